"""The persistent download queue: SQLite store, scheduler, settings, events.

Public entry points: ``core.queue.service.QueueService`` (GUI, ``main.py run``),
``core.queue.settings`` (``Settings``, ``load_settings``, ``save_settings``).
See docs/queue.md.
"""

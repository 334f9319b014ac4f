"""The persistent download queue, made of parts:

- ``store``: the SQLite database (``dbfaults``: what its failures mean);
- ``tasks``: the task table (rows + run-time state, one ``register``);
- ``admission``: which queued tasks may start now (pure);
- ``retry``: after a failure, when to try again or give up (pure);
- ``attempt``: one attempt of one task (resolve + the engine's download);
- ``progress``: the engine's reports coalesced into events and writes;
- ``service``: ``QueueService``, which owns the parts and runs them (GUI, ``main.py run``);
- ``settings``, ``events``, ``leftovers``.

See docs/queue.md.
"""

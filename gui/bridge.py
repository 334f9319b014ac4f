"""The core runs on its own asyncio loop in a dedicated thread; this bridge marshals
calls into that loop and brings results and events back to the Qt (GUI) thread.

- ``bridge.core.<method>(*args, on_done=..., on_error=...)`` calls a method of the core
  facade (core/app.py ``App``) on the core loop. ``CoreProxy`` has exactly the facade's
  public methods (made from them at import), so a misspelt name is an AttributeError
  where it is written, and tests/gui/test_gui_facade.py checks every call in gui/.
  Before the queue runs, or when it could not start, the methods that do not use it
  (``core.app.QUEUE_FREE``: accounts, HeyGem, link previews, shares) still answer: they
  run on an App of their own in a worker thread; the others answer with an error.
- ``submit(fn, *args, on_done=..., on_error=...)`` runs ``fn`` on the core loop (a
  coroutine function is awaited, a plain function is called there). The callbacks run
  on the GUI thread through a queued signal. The GUI thread never waits for the core.
  ``on_error`` gets the error in the user's language: its ``ErrorKind`` worded by
  gui/outcome.py, the core's English message for a kind the window does not word.
- ``run_blocking(fn, ...)`` runs a blocking function (keyring, file reading) in the
  core loop's thread pool, same callbacks.
- Core events are batched: the service's callback appends to a list and, when that list
  was empty, emits one queued signal; the GUI drains everything that arrived meanwhile.
  Under load the number of Qt signals therefore stays bounded by how fast the GUI
  drains, not by how many events the core produces.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from core.app import QUEUE_FREE, App, as_app, public_methods, without_queue
from core.errors import ZhilianError

from . import outcome


def _message(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or exc.__class__.__name__


def _worded(callback: Callable[[str], None]) -> Callable[[BaseException], None]:
    """``callback`` given the error's words in the user's language (gui/outcome.py) instead
    of the exception: an error with a kind the window words is not the core's English."""
    return lambda exc: callback(outcome.exception_text(exc))


class CoreBridge(QObject):
    """Owns the core thread and its QueueService."""

    #: list of core Events, delivered on the GUI thread, in order
    events = Signal(list)
    #: the service started (its tasks are loaded)
    ready = Signal()
    #: the service could not start: a message for the user
    startFailed = Signal(str)
    # One tuple (callback, value): never a bare None through an ``object`` signal
    # (PySide6 on Python 3.11 drops a reference to None per queued delivery of it).
    _deliver = Signal(tuple)
    _wake = Signal()

    def __init__(self, service_factory: Callable[[], Any] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._factory = service_factory or _default_service
        self.service: Any = None         # the QueueService the facade drives
        self.app: App | None = None
        #: typed calls into the facade: ``bridge.core.pause(task_id, on_error=...)``
        self.core = CoreProxy(self)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._seq = 0                        # events the core has sent (counted on its thread)
        self.applied: dict[int, int] = {}    # task id -> number of its last event handed to the GUI
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False
        self.start_error: str | None = None
        self.start_exc: BaseException | None = None   # why the service did not start
        #: coroutine functions run on the core loop before the service closes (servers it feeds)
        self.cleanups: list[Callable[[], Any]] = []
        #: the app's RPC control (gui/browser_rpc.py) when the app serves the RPC
        self.rpc: Any = None
        self._deliver.connect(self._on_deliver)
        self._wake.connect(self._drain)

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="zhilian-core", daemon=True)
        self._thread.start()

    def wait_started(self, timeout: float = 30.0) -> bool:
        """For tests and the command line: block until the service is up (or failed)."""
        return self._started.wait(timeout)

    @property
    def is_ready(self) -> bool:
        return self._started.is_set() and self.service is not None and self.start_error is None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        try:
            app = as_app(self._factory())
            loop.run_until_complete(app.start())
            self.app, self.service = app, app.queue
            self._unsubscribe = app.subscribe(self._on_core_event)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback
            self.start_error = _message(exc)
            self.start_exc = exc
            if not isinstance(exc, ZhilianError):    # a ZhilianError is a message, not a bug
                traceback.print_exc()
            self._started.set()
            self.startFailed.emit(self.start_error)
            loop.close()
            return
        self._started.set()
        self.ready.emit()
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    def restart(self, timeout: float = 15.0) -> None:
        """Closes the service (if it runs) and starts a fresh one: after the user fixed
        what kept the queue from its database, or after a repair."""
        self.stop(timeout)
        self._thread, self.loop, self.service, self.app = None, None, None, None
        self._started = threading.Event()
        self._closed = False
        self.start_error, self.start_exc = None, None
        self.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Closes the service (downloads keep their .part and journal) and ends the thread."""
        if self._closed:
            return
        self._closed = True
        loop, thread = self.loop, self._thread
        if thread is None:
            return
        self._started.wait(timeout)
        if loop is None or loop.is_closed():
            thread.join(timeout)
            return

        async def _close() -> None:
            try:
                for cleanup in self.cleanups:
                    try:
                        await cleanup()
                    except Exception:  # noqa: BLE001 - closing goes on
                        traceback.print_exc()
                if self._unsubscribe:
                    self._unsubscribe()
                if self.app is not None:
                    await self.app.close()
            finally:
                asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

        try:
            fut = asyncio.run_coroutine_threadsafe(_close(), loop)
            fut.result(timeout)
        except (concurrent.futures.TimeoutError, RuntimeError):
            if not loop.is_closed():
                loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    # -- calls --------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[str], None] | None = None, **kwargs: Any) -> concurrent.futures.Future:
        """Run ``fn(*args, **kwargs)`` on the core loop; callbacks come back on the GUI thread."""
        loop = self.loop
        if loop is None or loop.is_closed() or not self.is_ready:
            fut: concurrent.futures.Future = concurrent.futures.Future()
            fut.set_exception(RuntimeError(self.start_error or "The download service is not running"))
            self._attach(fut, on_done, on_error)
            return fut

        async def _call() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        fut = asyncio.run_coroutine_threadsafe(_call(), loop)
        self._attach(fut, on_done, on_error)
        return fut

    def call(self, method: str, *args: Any, on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[str], None] | None = None, **kwargs: Any) -> concurrent.futures.Future:
        """``call("pause", task_id)`` -> ``App.pause(task_id)`` on the core loop; prefer the
        typed ``bridge.core.pause(task_id)``."""
        return getattr(self.core, method)(*args, on_done=on_done, on_error=on_error, **kwargs)

    def run_blocking(self, fn: Callable[..., Any], *args: Any,
                     on_done: Callable[[Any], None] | None = None,
                     on_error: Callable[[str], None] | None = None) -> concurrent.futures.Future:
        """A blocking function (keyring, disk) in the core's thread pool; never the GUI thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            pool_fut = _SHARED_POOL.submit(fn, *args)
        else:
            pool_fut = asyncio.run_coroutine_threadsafe(_in_executor(fn, args), loop)
        self._attach(pool_fut, on_done, on_error)
        return pool_fut

    def _attach(self, fut: concurrent.futures.Future, on_done: Callable[[Any], None] | None,
                on_error: Callable[[str], None] | None) -> None:
        def _done(f: concurrent.futures.Future) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:      # worded on the GUI thread, in the user's language
                self._deliver.emit((_worded(on_error or _log_error), exc))
            elif on_done is not None:
                self._deliver.emit((on_done, f.result()))
        fut.add_done_callback(_done)

    @Slot(tuple)
    def _on_deliver(self, call: tuple) -> None:
        callback, value = call
        callback(value)

    # -- events -------------------------------------------------------------
    def _on_core_event(self, event: Any) -> None:
        with self._lock:
            self._seq += 1
            first = not self._pending
            self._pending.append((self._seq, event))
        if first:
            self._wake.emit()

    @Slot()
    def _drain(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            for seq, ev in batch:
                self.applied[getattr(ev, "task_id", None)] = seq
            self.events.emit([ev for _, ev in batch])

    def snapshot(self, on_done: Callable[[Any], None], on_error: Callable[[str], None] | None = None) -> None:
        """(tasks, number of events sent before them), taken on the core thread. Events are
        drained in batches, so the GUI may already have applied events newer than a snapshot
        when the snapshot arrives: a task whose last applied event is newer keeps its state."""
        app = self.app

        async def snap() -> tuple[list[Any], int]:
            tasks = await app.tasks()
            return tasks, self._seq
        self.submit(snap, on_done=on_done, on_error=on_error)


_SHARED_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="zhilian-io")


async def _in_executor(fn: Callable[..., Any], args: tuple) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def _log_error(message: str) -> None:
    import logging
    logging.getLogger("zhilian.gui").warning("core call failed: %s", message)


def _default_service() -> Any:
    return App()


class CoreProxy:
    """The facade's methods, called from the GUI thread: each takes the method's own
    arguments plus ``on_done`` / ``on_error`` (run on the GUI thread) and returns at once.
    Its methods are made from ``core.app.App`` below; any other name is an AttributeError."""

    __slots__ = ("_bridge",)

    def __init__(self, bridge: CoreBridge):
        self._bridge = bridge


def _proxy_method(name: str) -> Callable[..., concurrent.futures.Future]:
    def call(self: CoreProxy, *args: Any, on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[str], None] | None = None, **kwargs: Any) -> concurrent.futures.Future:
        bridge = self._bridge
        if bridge.app is None:
            if name in QUEUE_FREE:       # no queue (yet): on its own loop in a worker thread
                return bridge.run_blocking(_run_without_queue, name, args, kwargs, on_done=on_done,
                                           on_error=on_error)
            return bridge.submit(lambda: None, on_done=on_done, on_error=on_error)
        return bridge.submit(getattr(bridge.app, name), *args, on_done=on_done, on_error=on_error, **kwargs)
    call.__name__ = name
    call.__doc__ = getattr(App, name).__doc__
    return call


_queue_free_app: list[App] = []
_queue_free_lock = threading.Lock()


def _run_without_queue(name: str, args: tuple, kwargs: dict) -> Any:
    with _queue_free_lock:
        if not _queue_free_app:
            _queue_free_app.append(without_queue())
    return asyncio.run(getattr(_queue_free_app[0], name)(*args, **kwargs))


for _name in sorted(public_methods()):
    setattr(CoreProxy, _name, _proxy_method(_name))

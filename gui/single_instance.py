"""One running window per user (per config folder): a second start hands its
command-line links to the first one over a QLocalSocket and exits."""

from __future__ import annotations

import hashlib
import json
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from core.paths import config_dir

TIMEOUT_MS = 2000


def server_name() -> str:
    """Unique per user and config folder (tests and portable installs get their own)."""
    key = f"{os.getuid() if hasattr(os, 'getuid') else os.environ.get('USERNAME', '')}:{config_dir()}"
    return "zhilian-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def send_to_running(args: list[str], name: str | None = None) -> bool:
    """True when a running instance took the arguments (this process should exit)."""
    sock = QLocalSocket()
    sock.connectToServer(name or server_name())
    if not sock.waitForConnected(TIMEOUT_MS):
        return False
    payload = json.dumps({"argv": args}).encode("utf-8") + b"\n"
    sock.write(payload)
    sock.flush()
    ok = sock.bytesToWrite() == 0 or sock.waitForBytesWritten(TIMEOUT_MS)
    # wait for the acknowledgement so the message is not lost if we exit at once
    if ok and sock.waitForReadyRead(TIMEOUT_MS):
        ok = sock.readAll().data().startswith(b"ok")
    sock.disconnectFromServer()
    return ok


class InstanceServer(QObject):
    """Listens for later starts; ``received`` carries their argv."""

    received = Signal(list)

    def __init__(self, name: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name or server_name()
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._new)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        if self.server.listen(self.name):
            return True
        # a stale socket file from a crashed run: nobody answered, so take it over
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()

    def _new(self) -> None:
        while self.server.hasPendingConnections():
            sock = self.server.nextPendingConnection()
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._gone(s))

    def _read(self, sock: QLocalSocket) -> None:
        buf = self._buffers.get(sock, b"") + sock.readAll().data()
        if len(buf) > 1 << 20:
            sock.abort()
            return
        self._buffers[sock] = buf
        if b"\n" not in buf:
            return
        line = buf.split(b"\n", 1)[0]
        try:
            argv = json.loads(line.decode("utf-8")).get("argv", [])
            argv = [str(a) for a in argv]
        except (ValueError, AttributeError):
            sock.write(b"error\n")
            return
        sock.write(b"ok\n")
        sock.flush()
        self.received.emit(argv)

    def _gone(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        try:
            sock.deleteLater()
        except RuntimeError:      # already deleted with the server
            pass

"""Start an install with its own start command and check that it is up.

* up = HTTP 200 on the app's port (WebUI: ``/``; HeyGem-Linux-Python-Hack server: ``/health``);
  the Docker video service must answer JSON on ``/easy/query`` (port 8383).
* when the app is already running, starting it again is refused with "restart needed":
  models load at start, a running app does not pick up a new file.
* when the port is taken by something else, the process holding it is named (Linux: read
  from ``/proc/net/tcp*`` and ``/proc/<pid>/fd``; elsewhere only "taken" is reported).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import ZhilianError
from .detect import Install

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class StartError(ZhilianError):
    pass


class PortTaken(StartError):
    def __init__(self, port: int, owner: ProcInfo | None):
        self.port, self.owner = port, owner
        if owner is None and os.name == "nt":  # pragma: no cover - Windows only
            super().__init__(
                f"Port {port} cannot be used: another program holds it or Windows reserved it "
                "(see `netsh interface ipv4 show excludedportrange protocol=tcp`); change the "
                "port in the install's configuration")
            return
        who = owner.describe() if owner else "another program (could not tell which)"
        super().__init__(f"Port {port} is already used by {who}: stop it or change the port in "
                         "the install's configuration")


@dataclass
class ProcInfo:
    pid: int
    name: str
    cmdline: str

    def describe(self) -> str:
        cmd = " ".join(self.cmdline.split())
        if len(cmd) > 120:   # keep the program and the end (its arguments) readable
            cmd = cmd[:70] + " … " + cmd[-47:]
        return f"{self.name} (pid {self.pid}: {cmd})" if cmd else f"{self.name} (pid {self.pid})"


@dataclass
class Health:
    up: bool
    status: int | None = None
    detail: str = ""
    data: object = None

    def describe(self) -> str:
        return self.detail


# -- who holds a port -------------------------------------------------------------------

def _listen_inodes(port: int, proc: Path) -> set[str]:
    inodes: set[str] = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            parts = ln.split()
            if len(parts) < 10:
                continue
            local, state, inode = parts[1], parts[3], parts[9]
            try:
                lport = int(local.rsplit(":", 1)[1], 16)
            except (IndexError, ValueError):
                continue
            if lport == port and state == "0A" and inode != "0":   # 0A = LISTEN
                inodes.add(inode)
    return inodes


def parse_netstat(text: str, port: int) -> int | None:
    """PID listening on ``port`` in Windows ``netstat -ano -p TCP`` output."""
    for ln in text.splitlines():
        parts = ln.split()
        if len(parts) >= 5 and parts[0].upper() == "TCP" and parts[3].upper() in ("LISTENING", "ABHÖREN"):
            if parts[1].rsplit(":", 1)[-1] == str(port) and parts[-1].isdigit():
                return int(parts[-1])
    return None


def _windows_owner(port: int) -> ProcInfo | None:  # pragma: no cover - Windows only
    try:
        out = subprocess.run(["netstat", "-ano", "-p", "TCP"], capture_output=True, text=True,
                             timeout=10, errors="replace").stdout
        pid = parse_netstat(out, port)
        if pid is None:
            return None
        t = subprocess.run(["tasklist", "/FO", "CSV", "/NH", "/FI", f"PID eq {pid}"],
                           capture_output=True, text=True, timeout=10, errors="replace").stdout
        name = t.split(",")[0].strip().strip('"') if t.strip().startswith('"') else "?"
        return ProcInfo(pid, name, "")
    except (OSError, subprocess.SubprocessError):
        return None


def port_owner(port: int, proc: Path = Path("/proc")) -> ProcInfo | None:
    """The process listening on ``port`` (Linux: /proc; Windows: netstat), or None when unknown."""
    if os.name == "nt":  # pragma: no cover - Windows only
        return _windows_owner(port)
    if not (proc / "net" / "tcp").exists():
        return None
    inodes = _listen_inodes(port, proc)
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    try:
        pids = [d for d in os.listdir(proc) if d.isdigit()]
    except OSError:
        return None
    for pid in pids:
        fd_dir = proc / pid / "fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd_dir / fd) in targets:
                    return _proc_info(int(pid), proc)
            except OSError:
                continue
    return None


def _proc_info(pid: int, proc: Path = Path("/proc")) -> ProcInfo:
    name = cmd = ""
    with contextlib.suppress(OSError):
        name = (proc / str(pid) / "comm").read_text().strip()
    with contextlib.suppress(OSError):
        cmd = (proc / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(
            "utf-8", "replace").strip()
    return ProcInfo(pid, name or "?", cmd)


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def port_bindable(port: int) -> bool:
    """Can an app listen on ``port``?  False when taken, or reserved (Windows excluded ranges)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        if os.name != "nt":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


# -- health ---------------------------------------------------------------------------------

def probe(inst: Install, timeout: float = 2.0, host: str = "127.0.0.1") -> Health:
    """Is the install's service up?  Never raises."""
    if not inst.port:
        return Health(False, detail=f"{inst.label} has no server to check")
    url = f"http://{host}:{inst.port}{inst.health_path}"
    try:
        with _NO_PROXY.open(url, timeout=timeout) as r:
            status, body = r.status, r.read(1 << 20)
    except urllib.error.HTTPError as e:
        return Health(False, e.code, f"{url} answered HTTP {e.code}")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        return Health(False, None, f"nothing answers on {url} ({reason})")
    if inst.health_json:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return Health(False, status, f"{url} answered, but not with JSON: not the HeyGem video service")
        if not isinstance(data, dict) or "code" not in data:
            return Health(False, status, f"{url} answered JSON without a 'code': not the HeyGem video service")
        return Health(True, status, f"HeyGem video service is up on port {inst.port}", data)
    if status != 200:
        return Health(False, status, f"{url} answered HTTP {status}")
    return Health(True, status, f"{inst.label} is up on http://{host}:{inst.port}/")


@dataclass
class StartResult:
    state: str                 # "started" | "restart_needed"
    pid: int | None
    url: str | None
    log: Path | None
    message: str


def log_file(inst: Install) -> Path:
    return paths.log_dir() / f"heygem-{inst.kind}-{inst.path.name}.log"


def _tail(p: Path, n: int = 8) -> str:
    try:
        lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def start(inst: Install, *, timeout: float = 120.0, poll: float = 0.25) -> StartResult:
    """Start the install with its own command, in its folder; wait until it answers."""
    if not inst.handoff:
        raise StartError(f"{inst.label}: start it from its own client (Docker Desktop / the HeyGem "
                         "app). Zhilian only checks whether its video service answers.")
    if not inst.start_cmd or not inst.port:
        raise StartError(inst.explanation or f"{inst.label} has no start command")
    h = probe(inst)
    if h.up:
        owner = port_owner(inst.port)
        by = f" ({owner.describe()})" if owner else ""
        return StartResult("restart_needed", owner.pid if owner else None, inst.url, None,
                           f"{inst.label} is already running on port {inst.port}{by}: restart "
                           "needed to load new models")
    if port_in_use(inst.port) or not port_bindable(inst.port):
        raise PortTaken(inst.port, port_owner(inst.port))
    log = log_file(inst)
    kw: dict = {}
    if os.name == "nt":  # pragma: no cover - Windows
        kw["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | 0x00000008  # DETACHED_PROCESS
    else:
        kw["start_new_session"] = True
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "ab") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} zhilian: starting "
                  f"{' '.join(inst.start_cmd)} in {inst.path}\n".encode())
        out.flush()
        try:
            p = subprocess.Popen(inst.start_cmd, cwd=inst.path, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env=env, **kw)
        except OSError as e:
            raise StartError(f"Cannot run {inst.start_cmd[0]}: {e.strerror or e}") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rc = p.poll()
        if rc is not None:
            tail = _tail(log)
            raise StartError(f"{inst.label} stopped right away (exit code {rc}). Last lines of "
                             f"{log}:\n{tail}")
        if probe(inst, timeout=1.0).up:
            return StartResult("started", p.pid, inst.url, log,
                               f"{inst.label} started (pid {p.pid}) on http://127.0.0.1:{inst.port}/; "
                               f"log: {log}")
        time.sleep(poll)
    raise StartError(f"{inst.label} (pid {p.pid}) did not answer on port {inst.port} within "
                     f"{int(timeout)} s; it is still starting or stuck: see {log}")

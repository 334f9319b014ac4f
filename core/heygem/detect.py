"""Find local HeyGem / Wav2Lip installs and tell which kind each one is.

Kinds (markers from the projects' public repositories):

``webui``       HeyGem WebUI of the deployment guides: ``app.py`` with ``models/`` beside it,
                started by ``start_app.sh`` (``--port``, ``--model-path``), Gradio on 7860.
``linux_hack``  HeyGem-Linux-Python-Hack: ``run.py``, ``download.sh``, ``config/config.ini``
                (``[http_server] server_port``), ``landmark2face_wy/checkpoints/...``.
``wav2lip``     Wav2Lip: ``inference.py``, ``models/wav2lip.py``,
                ``face_detection/detection/sfd/sfd_detector.py``.
``docker``      Official HeyGem / Duix.Avatar: ``~/heygem_data`` or ``~/duix_avatar_data``
                (``face2face/``, ``voice/data``) or the client's ``deploy/docker-compose*.yml``.
                Weights live inside Docker images: recognised and explained, never written to.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ErrorKind, ZhilianError

KIND_LABELS = {
    "webui": "HeyGem WebUI",
    "linux_hack": "HeyGem-Linux-Python-Hack",
    "wav2lip": "Wav2Lip",
    "docker": "HeyGem / Duix.Avatar (Docker)",
}

DOCKER_EXPLANATION = (
    "This is the official HeyGem / Duix.Avatar (Docker) setup: its model weights live inside "
    "the Docker images (guiji2025/heygem.ai, guiji2025/duix.avatar); this folder holds your "
    "videos and voices only. A model file cannot be handed off here: load an image archive "
    "with `docker load -i FILE.tar` and recreate the containers instead.")

DOCKER_DATA_NAMES = ("heygem_data", "duix_avatar_data")
WEBUI_DEFAULT_PORT = 7860
HACK_DEFAULT_PORT = 8383
DOCKER_VIDEO_PORT = 8383
_NAME_HINT = re.compile(r"heygem|duix|wav2lip|lip.?sync|digital.?human|数字人|avatar", re.I)
_MAX_DIRS = 3000


class NotAnInstall(ZhilianError):
    kind = ErrorKind.NOT_AN_INSTALL


@dataclass
class Install:
    path: Path
    kind: str
    port: int | None = None
    health_path: str = "/"
    health_json: bool = False             # the health answer must be JSON (Docker video service)
    start_cmd: list[str] | None = None
    model_path: str | None = None         # WebUI: --model-path of its start script (relative)
    handoff: bool = True
    explanation: str = ""
    evidence: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}{self.health_path}" if self.port else None

    def to_dict(self) -> dict:
        return {"path": str(self.path), "kind": self.kind, "label": self.label, "port": self.port,
                "health_url": self.url, "start_cmd": self.start_cmd, "model_path": self.model_path,
                "handoff": self.handoff, "explanation": self.explanation,
                "evidence": list(self.evidence)}


# -- helpers -----------------------------------------------------------------

def _exists(p: Path) -> bool:
    try:
        return p.exists()
    except OSError:
        return False


def _is_dir(p: Path) -> bool:
    try:
        return p.is_dir()
    except OSError:
        return False


def install_python(root: Path) -> str:
    """The interpreter an install runs with: its own venv/embedded Python, else python3."""
    for d in ("venv", ".venv", "env", "py_env", "python_env"):
        for rel in ("bin/python", "bin/python3", "Scripts/python.exe"):
            p = root / d / rel
            if _exists(p):
                return str(p)
    for rel in ("python/python.exe", "python_embeded/python.exe", "runtime/python.exe"):
        if _exists(root / rel):
            return str(root / rel)
    return shutil.which("python3") or shutil.which("python") or sys.executable


def _read(p: Path, limit: int = 200_000) -> str:
    try:
        with open(p, encoding="utf-8", errors="replace") as fh:
            return fh.read(limit)
    except OSError:
        return ""


def _arg(text: str, name: str) -> str | None:
    m = re.search(rf"{re.escape(name)}[ =]+(\"[^\"]+\"|'[^']+'|\S+)", text)
    if not m:
        return None
    val = m.group(1).strip("\"'")
    return None if "$" in val else val


def read_ini_port(ini: Path, section: str = "http_server", key: str = "server_port") -> int | None:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read_string(_read(ini))
        return cp.getint(section, key)
    except (configparser.Error, ValueError):
        return None


# -- per-kind recognisers ------------------------------------------------------

def _docker(root: Path) -> Install | None:
    ev = []
    if root.name.lower() in DOCKER_DATA_NAMES:
        ev.append(f"folder named {root.name}")
    if _is_dir(root / "face2face") and _is_dir(root / "voice"):
        ev.append("face2face/ and voice/")
    for y in list((root / "deploy").glob("docker-compose*.yml")) if _is_dir(root / "deploy") else []:
        if "guiji2025/" in _read(y):
            ev.append(f"deploy/{y.name} uses guiji2025 images")
            break
    if not ev:
        return None
    return Install(root, "docker", port=DOCKER_VIDEO_PORT, health_path="/easy/query?code=zhilian-health",
                   health_json=True, handoff=False, explanation=DOCKER_EXPLANATION, evidence=ev)


def _linux_hack(root: Path) -> Install | None:
    need = ("run.py", "download.sh", "config/config.ini")
    if not all(_exists(root / n) for n in need):
        return None
    ev = list(need)
    if _exists(root / "landmark2face_wy/checkpoints/test/opt.txt"):
        ev.append("landmark2face_wy/checkpoints/test/opt.txt")
    py = install_python(root)
    port = read_ini_port(root / "config/config.ini") or HACK_DEFAULT_PORT
    if _exists(root / "start_app.sh"):
        cmd, health = ["bash", "start_app.sh"], "/health"
    elif _exists(root / "app_server.py"):
        cmd, health = [py, "app_server.py"], "/health"
    elif _exists(root / "app.py"):
        cmd, health, port = [py, "app.py"], "/", WEBUI_DEFAULT_PORT
    else:
        cmd, health = None, "/health"
    return Install(root, "linux_hack", port=port, health_path=health, start_cmd=cmd, evidence=ev,
                   explanation="Models load when the app starts: restart it after a hand-off.")


def _wav2lip(root: Path) -> Install | None:
    need = ("inference.py", "models/wav2lip.py", "face_detection/detection/sfd/sfd_detector.py")
    if not all(_exists(root / n) for n in need):
        return None
    return Install(root, "wav2lip", port=None, start_cmd=None, evidence=list(need),
                   explanation="Wav2Lip runs once per job (python inference.py --checkpoint_path "
                               "checkpoints/wav2lip_gan.pth ...); there is no server to start.")


def _webui(root: Path) -> Install | None:
    script_text = _read(root / "start_app.sh") if _exists(root / "start_app.sh") else ""
    if not (_exists(root / "app.py") and (_is_dir(root / "models") or "--model-path" in script_text)):
        return None
    ev = ["app.py", "models/" if _is_dir(root / "models") else "start_app.sh --model-path"]
    port, model = WEBUI_DEFAULT_PORT, None
    script = root / "start_app.sh"
    if _exists(script):
        ev.append("start_app.sh")
        text = script_text
        p = _arg(text, "--port")
        if p and p.isdigit():
            port = int(p)
        model = _arg(text, "--model-path")
        cmd = ["bash", "start_app.sh"]
    else:
        cmd = None
    if model:
        mp = Path(model)
        if mp.is_absolute():
            try:
                model = mp.relative_to(root).as_posix()
            except ValueError:
                pass
    model = model or "models/heygem_model_v1.0.pth"
    if cmd is None:
        cmd = [install_python(root), "app.py", "--port", str(port), "--model-path", model]
    return Install(root, "webui", port=port, health_path="/", start_cmd=cmd, model_path=model,
                   evidence=ev, explanation="Models load when the app starts: restart it after a hand-off.")


_RECOGNISERS = (_docker, _linux_hack, _wav2lip, _webui)


def detect_install(path: str | os.PathLike) -> Install | None:
    """The install at ``path`` (or None when it is not one we know)."""
    root = Path(path).expanduser()
    if not _is_dir(root):
        return None
    root = root.resolve()
    for rec in _RECOGNISERS:
        inst = rec(root)
        if inst:
            return inst
    return None


def require_install(path: str | os.PathLike) -> Install:
    inst = detect_install(path)
    if inst is None:
        p = Path(path).expanduser()
        if not _is_dir(p):
            raise NotAnInstall(f"{p} is not a folder", params={"path": str(p), "folder": False})
        raise NotAnInstall(
            f"{p} does not look like a HeyGem or Wav2Lip install (looked for: app.py + models/ "
            "for the HeyGem WebUI; run.py + download.sh + config/config.ini for "
            "HeyGem-Linux-Python-Hack; inference.py + models/wav2lip.py for Wav2Lip; "
            "heygem_data / duix_avatar_data for the Docker client)", params={"path": str(p), "folder": True})
    return inst


def common_places(home: Path | None = None) -> list[Path]:
    home = Path(home) if home else Path.home()
    bases = [home] + [home / d for d in ("Desktop", "Downloads", "Documents", "projects", "code",
                                         "src", "apps", "AI", "ai", "work", "git", "github")]
    if os.name == "nt":
        bases += [Path(f"{c}:\\") for c in "CDEFGH"]
    else:
        bases += [Path(p) for p in ("/opt", "/srv", "/data", "/workspace", "/mnt/data", "/root")]
    seen, out = set(), []
    for b in bases:
        if b not in seen:
            seen.add(b)
            out.append(b)
    return out


def _children(d: Path) -> list[Path]:
    try:
        return sorted(p for p in d.iterdir() if _is_dir(p) and not p.name.startswith("."))
    except OSError:
        return []


def search(home: Path | None = None, bases: list[Path] | None = None) -> list[Install]:
    """Installs in the usual places: each base's sub-folders, and one level further for
    folders whose name hints at HeyGem / Wav2Lip / Duix.  Bounded, never follows a tree down."""
    home = Path(home) if home else Path.home()
    found: dict[Path, Install] = {}
    budget = _MAX_DIRS

    def check(p: Path) -> None:
        nonlocal budget
        budget -= 1
        inst = detect_install(p)
        if inst and inst.path not in found:
            found[inst.path] = inst

    for name in DOCKER_DATA_NAMES:
        if _is_dir(home / name):
            check(home / name)
    for base in bases if bases is not None else common_places(home):
        if budget <= 0:
            break
        for child in _children(base):
            if budget <= 0:
                break
            check(child)
            if _NAME_HINT.search(child.name):
                for sub in _children(child):
                    check(sub)
    return list(found.values())


def saved_installs() -> list[Path]:
    """Folders the user added by hand (settings ``heygem_installs``)."""
    from ..settings import load_settings  # never raises: a broken file gives the defaults
    return [Path(v) for v in load_settings().heygem_installs]


def detect(paths: list[str | os.PathLike] | None = None, *, search_common: bool = True,
           home: Path | None = None) -> tuple[list[Install], list[str]]:
    """Installs from ``paths`` (added by hand), saved folders and (optionally) the common places.

    Returns (installs, problems): a problem is a given folder that is not an install."""
    out: dict[Path, Install] = {}
    problems: list[str] = []
    for p in list(paths or []) + saved_installs():
        try:
            inst = require_install(p)
        except NotAnInstall as e:
            if p in (paths or []):
                problems.append(str(e))
            continue
        out.setdefault(inst.path, inst)
    if search_common:
        for inst in search(home):
            out.setdefault(inst.path, inst)
    return list(out.values()), problems


def default_install(preferred: str | os.PathLike | None = None) -> Install | None:
    """The install a "hand off when done" task goes to: ``preferred`` when it is one, else the
    first saved folder, else the first one found in the common places (file hand-off kinds only)."""
    if preferred and str(preferred) != "heygem":
        inst = detect_install(preferred)
        if inst is not None:
            return inst if inst.handoff else None
    installs, _ = detect([], search_common=True)
    return next((i for i in installs if i.handoff), None)

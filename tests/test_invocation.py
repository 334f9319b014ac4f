"""How the program was started: messages name the command the user typed, `file:` URLs are
paths, and a process without a console (Windows' windowed zhilian.exe: sys.stdout and
sys.stderr are None) runs CLI commands without crashing."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import make_blob

ROOT = Path(__file__).resolve().parents[1]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ZHILIAN_PROG", None)
    env.update(ZHILIAN_HOME=str(home), **extra)
    return env


# -- the program's name in messages ----------------------------------------------------------

def _launcher(bin_dir: Path, name: str) -> Path:
    """An installed-style launcher (what pip's console scripts look like): its own file name
    is argv[0], and it calls main.main()."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    p = bin_dir / name
    p.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                 "from main import main\nsys.exit(main())\n", encoding="utf-8")
    p.chmod(0o755)
    return p


@pytest.mark.parametrize("how", ["on PATH", "symlink on PATH", "relative", "main.py", "absolute main.py", "run.sh"])
def test_messages_name_the_program_as_it_was_started(how, tmp_path, zhilian_home):
    bin_dir = tmp_path / "bin"
    env = _env(zhilian_home, PATH=f"{bin_dir}:{os.environ['PATH']}")
    cwd = ROOT
    if how == "on PATH":
        _launcher(bin_dir, "zhilian")
        cmd, want = ["zhilian"], "zhilian"
    elif how == "symlink on PATH":
        target = _launcher(tmp_path / "opt", "zhilian")
        bin_dir.mkdir()
        (bin_dir / "zl").symlink_to(target)
        cmd, want = ["zl"], "zl"
    elif how == "relative":
        _launcher(tmp_path / "My Apps", "zhilian")
        cwd = tmp_path / "My Apps"
        cmd, want = ["./zhilian"], "./zhilian"
    elif how == "main.py":
        cmd, want = [sys.executable, "main.py"], f"{sys.executable} main.py"
    elif how == "absolute main.py":
        cwd = tmp_path
        cmd, want = [sys.executable, str(ROOT / "main.py")], f"{sys.executable} {ROOT / 'main.py'}"
    else:   # run.sh names itself (it exports ZHILIAN_PROG before starting main.py)
        env["ZHILIAN_PROG"] = "./run.sh"
        cmd, want = [sys.executable, "main.py"], "./run.sh"
    p = subprocess.run([*cmd, "add", "https://example.com/models/a.bin"], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert f"queued 1 task(s); `{want} run` downloads them" in p.stderr
    assert "main.py run" not in p.stderr or how.endswith("main.py")
    empty = subprocess.run([*cmd, "list"], cwd=cwd, env=dict(env, ZHILIAN_HOME=str(tmp_path / "other-home")),
                           capture_output=True, text=True, timeout=60)
    assert f"Add links with: {want} add LINK" in empty.stdout
    usage = subprocess.run([*cmd, "add"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and f"usage: {want} add" in usage.stderr


def test_program_name_rules(monkeypatch):
    from core import invocation
    monkeypatch.delenv("ZHILIAN_PROG", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    for typed in ("zhilian", "./zhilian", "/Applications/Zhilian.app/Contents/MacOS/zhilian"):
        monkeypatch.setattr(sys, "argv", [typed, "add"])
        assert invocation.program_name() == typed
    assert invocation.command("run") == "/Applications/Zhilian.app/Contents/MacOS/zhilian run"
    monkeypatch.setattr(sys, "argv", ["/home/me/My Apps/zhilian"])
    assert invocation.command("run") == "'/home/me/My Apps/zhilian' run"
    # Windows: the console program as typed; the windowed app points at its console twin
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(sys, "argv", [r"C:\Users\me\AppData\Local\Programs\Zhilian\zhilian-cli.exe"])
    assert invocation.program_name() == r"C:\Users\me\AppData\Local\Programs\Zhilian\zhilian-cli.exe"
    monkeypatch.setattr(sys, "argv", ["zhilian-cli"])
    assert invocation.program_name() == "zhilian-cli"
    monkeypatch.setattr(sys, "argv", ["zhilian"])
    assert invocation.program_name() == "zhilian-cli"
    monkeypatch.setattr(sys, "argv", [r"C:\Program Files\Zhilian\zhilian.exe"])
    assert invocation.program_name() == r'"C:\Program Files\Zhilian\zhilian-cli.exe"'
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(sys, "frozen", False)
    monkeypatch.setattr(sys, "argv", ["my dir/main.py"])
    monkeypatch.setattr(sys, "orig_argv", ["python3", "my dir/main.py"])
    assert invocation.program_name() == "python3 'my dir/main.py'"
    monkeypatch.setattr(sys, "argv", ["-c"])
    assert invocation.program_name() == "zhilian"


# -- file: URLs --------------------------------------------------------------------------------

def test_path_from_arg(monkeypatch):
    from core.invocation import path_from_arg
    assert path_from_arg("file:///home/me/My%20links%20%E9%93%BE%E6%8E%A5.txt") == "/home/me/My links 链接.txt"
    assert path_from_arg("file://localhost/tmp/a.meta4") == "/tmp/a.meta4"
    assert path_from_arg("FILE:/tmp/a%23b.txt") == "/tmp/a#b.txt"
    assert path_from_arg("file:///tmp/latin1-%E9.txt") == os.fsdecode(b"/tmp/latin1-\xe9.txt")
    assert path_from_arg("file://otherhost/tmp/a.txt") == "file://otherhost/tmp/a.txt"   # not this machine
    for keep in ("https://example.com/a.bin", "links.txt", "/abs/links.txt", "链接: https://x/s/1 提取码: ab12"):
        assert path_from_arg(keep) == keep
    monkeypatch.setattr(sys, "platform", "win32")
    assert path_from_arg("file:///C:/Users/me/My%20links.txt").replace("\\", "/") == "C:/Users/me/My links.txt"
    assert path_from_arg("file://server/share/x.meta4").replace("\\", "/") == "//server/share/x.meta4"


# -- no console (Windows' windowed zhilian.exe) ----------------------------------------------

NO_CONSOLE = r"""
import os, runpy, sys, traceback
sys.stdout = None          # what a windowed Windows executable (or pythonw) starts with
sys.stderr = None
sys.stdin = None
sys.path.insert(0, {root!r})
sys.argv = [{main!r}, *{args!r}]
try:
    runpy.run_path({main!r}, run_name="__main__")
except SystemExit as e:
    os._exit(e.code if isinstance(e.code, int) else 0)
except BaseException:
    with open({crash!r}, "w") as f:
        f.write(traceback.format_exc())
    os._exit(99)
"""


def _run_without_console(tmp_path: Path, home: Path, *args: str) -> tuple[int, str]:
    crash = tmp_path / f"crash-{len(list(tmp_path.glob('crash-*')))}.txt"
    code = NO_CONSOLE.format(root=str(ROOT), main=str(ROOT / "main.py"), args=list(args), crash=str(crash))
    p = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_env(home), capture_output=True,
                       text=True, timeout=120)
    return p.returncode, crash.read_text() if crash.exists() else ""


def test_cli_commands_run_without_a_console(tmp_path, zhilian_home, file_server):
    data = make_blob(3_000_000, seed=5)
    file_server.add("/models/w.bin", data)
    url = file_server.url("/models/w.bin")
    good = hashlib.sha256(data).hexdigest()
    # a download with its progress output
    rc, crash = _run_without_console(tmp_path, zhilian_home, "get", url, "-d", str(tmp_path / "dl"),
                                     "--sha256", good)
    assert (rc, crash) == (0, "")
    assert (tmp_path / "dl" / "w.bin").read_bytes() == data
    # an error message: refused cleanly (exit 1), not a crash
    rc, crash = _run_without_console(tmp_path, zhilian_home, "get", url, "-d", str(tmp_path / "bad"),
                                     "--sha256", "0" * 64)
    assert (rc, crash) == (1, "")
    assert not (tmp_path / "bad" / "w.bin").exists()
    # the queue: add prints a hint, run prints progress lines, list prints a table
    for args in (("add", url, "-d", str(tmp_path / "q")), ("run", "--interval", "0.1"), ("list",)):
        rc, crash = _run_without_console(tmp_path, zhilian_home, *args)
        assert (rc, crash) == (0, ""), args
    assert (tmp_path / "q" / "w.bin").read_bytes() == data


def test_ensure_std_streams_keeps_real_streams(monkeypatch):
    from core.invocation import ensure_std_streams
    out, err = sys.stdout, sys.stderr
    ensure_std_streams()
    assert sys.stdout is out and sys.stderr is err
    monkeypatch.setattr(sys, "stderr", None)
    ensure_std_streams()
    assert sys.stderr is not None and not sys.stderr.isatty()
    sys.stderr.write("discarded\n")
    sys.stderr.flush()
    assert sys.stderr.fileno() >= 0
    sys.stderr.close()

"""The Windows/macOS build recipes cannot run here; check that they are well-formed and
point at files that exist or that the build makes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(900)


def test_workflow_builds_windows_and_macos_on_their_runners():
    wf = yaml.safe_load((ROOT / ".github/workflows/build.yml").read_text(encoding="utf-8"))
    jobs = wf["jobs"]
    assert jobs["windows"]["runs-on"].startswith("windows")
    assert jobs["macos"]["runs-on"].startswith("macos")
    for name in ("windows", "macos"):
        script = "\n".join(step.get("run", "") for step in jobs[name]["steps"])
        assert "requirements-build.txt" in script
        assert "PyInstaller" in script and "build.spec" in script
        assert "ZHILIAN_SELFTEST=" in script
        assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in jobs[name]["steps"])
    win = "\n".join(step.get("run", "") for step in jobs["windows"]["steps"])
    assert "packaging/windows/zhilian.iss" in win and "/DAppVersion=" in win
    assert "hdiutil" in "\n".join(step.get("run", "") for step in jobs["macos"]["steps"])


def test_inno_setup_script_matches_the_bundle():
    iss = (ROOT / "packaging/windows/zhilian.iss").read_text(encoding="utf-8")
    assert re.search(r"^AppVersion=\{#AppVersion\}$", iss, re.M)
    assert r'Source: "{#Root}\dist\zhilian\*"' in iss
    assert r"SetupIconFile={#Root}\build\icons\zhilian.ico" in iss
    assert '#define AppExe "zhilian.exe"' in iss
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    # the spec names the windowed GUI zhilian.exe and the console CLI zhilian-cli.exe
    assert 'executables = [_exe(APP, console=sys.platform != "win32")]' in spec
    assert '_exe(f"{APP}-cli", console=True)' in spec
    make_icons = (ROOT / "packaging/make_icons.py").read_text(encoding="utf-8")
    assert '"zhilian.ico"' in make_icons


def test_windows_and_macos_icons_are_rendered(built, qapp):
    import struct

    from PySide6.QtGui import QImage, QImageReader
    icons = built.dist / ".build" / "icons"
    ico = (icons / "zhilian.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"  # ICO header, type 1 (icon)
    count = struct.unpack_from("<H", ico, 4)[0]
    entries = [struct.unpack_from("<BBBBHHII", ico, 6 + 16 * i) for i in range(count)]
    assert [e[0] or 256 for e in entries] == [16, 24, 32, 48, 256]
    for w, _h, _c, _r, planes, bpp, size, offset in entries:
        blob = ico[offset:offset + size]
        assert planes == 1 and bpp == 32 and len(blob) == size
        assert blob.startswith(b"\x89PNG") == (w == 0)           # PNG for 256 px, bitmaps below
    # Qt's ICO reader sees every size, each the same picture as the hicolor PNG of that size
    reader = QImageReader(str(icons / "zhilian.ico"))
    assert reader.imageCount() == 5
    for i, n in enumerate((16, 24, 32, 48, 256)):
        assert reader.jumpToImage(i)
        got = reader.read().convertToFormat(QImage.Format.Format_ARGB32)
        want = QImage(str(icons / "hicolor" / f"{n}x{n}" / "apps" / "zhilian.png")).convertToFormat(
            QImage.Format.Format_ARGB32)
        assert (got.width(), got.height()) == (n, n)
        assert got == want, f"{n} px entry differs from the rendered icon"
    icns = (icons / "zhilian.icns").read_bytes()
    assert icns[:4] == b"icns" and int.from_bytes(icns[4:8], "big") == len(icns)


def _steps(job: dict) -> list[dict]:
    return job["steps"]


def _index(steps: list[dict], needle: str) -> int:
    """The position of the first step whose name or script contains needle."""
    for i, step in enumerate(steps):
        if needle in step.get("run", "") or needle in step.get("name", ""):
            return i
    raise AssertionError(f"no step with {needle!r}")


def test_workflow_runs_on_every_push_to_main_and_uses_what_it_built():
    wf = yaml.safe_load((ROOT / ".github/workflows/build.yml").read_text(encoding="utf-8"))
    on = wf.get("on", wf.get(True))          # YAML 1.1 reads a bare `on` key as True
    assert "main" in on["push"]["branches"] and on["push"]["tags"] == ["v*"]
    assert "workflow_dispatch" in on and "pull_request" in on
    jobs = wf["jobs"]
    for job in jobs.values():
        assert "if" not in job                # no job limited to tags
        assert not any("if" in step and "refs/tags" in str(step["if"]) for step in job["steps"])

    win = _steps(jobs["windows"])
    script = "\n".join(s.get("run", "") for s in win)
    # ISCC is looked up at run time, never at a versioned folder
    assert "Inno Setup 6/ISCC.exe" not in script and "Inno Setup 6\\ISCC.exe" not in script
    build_at = _index(win, "find_iscc.ps1")
    install_at = _index(win, "/VERYSILENT', '/SUPPRESSMSGBOXES', '/NORESTART', '/CURRENTUSER'")
    use_at = _index(win, "packaging/check_install.sh")
    uninstall_at = _index(win, "UninstallString")
    upload_at = next(i for i, s in enumerate(win) if s.get("uses", "").startswith("actions/upload-artifact"))
    assert build_at < install_at < use_at < uninstall_at < upload_at
    install, use, uninstall = win[install_at]["run"], win[use_at]["run"], win[uninstall_at]["run"]
    assert "/TASKS=addtopath" in install and "zhilian-cli --version" in install
    assert "Get-Command zhilian-cli" in install          # found through the PATH entry it added
    assert '"$dir/zhilian-cli.exe" "$dir/zhilian.exe"' in use and win[use_at]["shell"] == "bash"
    assert "'/VERYSILENT'" in uninstall and "Test-Path $dir" in uninstall
    assert "ZHILIAN_PATH_BEFORE" in uninstall and "ZHILIAN_PATH_BEFORE" in install

    mac = _steps(jobs["macos"])
    dmg_at = _index(mac, "hdiutil create")
    attach_at = _index(mac, "hdiutil attach")
    assert dmg_at < attach_at
    dmg, inst = mac[dmg_at]["run"], mac[attach_at]["run"]
    assert 'ln -s /Applications "$stage/Applications"' in dmg and '-srcfolder "$stage"' in dmg
    assert 'readlink "$mnt/Applications"' in inst
    assert "ditto \"$mnt/Zhilian.app\" /Applications/Zhilian.app" in inst
    assert "packaging/check_install.sh /Applications/Zhilian.app/Contents/MacOS/zhilian" in inst
    assert "rm -rf /Applications/Zhilian.app" in inst and "test ! -e /Applications/Zhilian.app" in inst

    linux = "\n".join(s.get("run", "") for s in _steps(jobs["linux"]))
    assert "scripts/prove_install.sh" in linux and "packaging/check_install.sh dist/zhilian/zhilian" in linux


def test_check_script_does_what_the_workflow_relies_on():
    sh = (ROOT / "packaging/check_install.sh").read_text(encoding="utf-8")
    assert "-m http.server" in sh and "--sha256" in sh
    assert "ZHILIAN_SELFTEST=qt,gui" in sh and "ZHILIAN_SELFTEST_OUT=" in sh
    rth = (ROOT / "packaging/pyi_rth_zhilian.py").read_text(encoding="utf-8")
    assert 'os.environ.get("ZHILIAN_SELFTEST_OUT")' in rth


def test_iscc_is_found_without_a_versioned_path():
    ps = (ROOT / "packaging/windows/find_iscc.ps1").read_text(encoding="utf-8")
    assert "Get-Command iscc.exe" in ps
    assert "'Inno Setup *_is1'" in ps and "InstallLocation" in ps
    assert "choco install innosetup" in ps
    assert "Program Files" not in ps


# Inno Setup's RemoveBackslashUnlessRoot, for the Free Pascal build of the [Code] PATH functions
# (the only function they use that Free Pascal's SysUtils lacks): drops trailing backslashes
# unless what is left is a root ("C:\", "\").
PASCAL_HARNESS = r"""program pathlogic;
{$mode delphi}{$H+}
uses SysUtils;

function RemoveBackslashUnlessRoot(S: String): String;
begin
  Result := S;
  while (Length(Result) > 1) and (Result[Length(Result)] = '\')
        and not ((Length(Result) = 3) and (Result[2] = ':')) do
    Delete(Result, Length(Result), 1);
end;

%s

var
  Op, Paths, Dir: String;
begin
  while not EOF(Input) do
  begin
    ReadLn(Op);
    ReadLn(Paths);
    ReadLn(Dir);
    if Op = 'add' then
      WriteLn(PathWithEntry(Paths, Dir))
    else if Op = 'remove' then
      WriteLn(PathWithoutEntry(Paths, Dir))
    else
      WriteLn(LastPathEntry(Paths, Dir));
  end;
end.
"""


def test_inno_setup_path_cleanup_removes_exactly_its_own_entry(tmp_path):
    """The [Code] functions of zhilian.iss, compiled as they are with Free Pascal (Delphi mode):
    adding the CLI's folder to PATH and removing exactly that entry again."""
    import shutil
    import subprocess

    fpc = shutil.which("fpc")
    assert fpc, "Free Pascal (fp-compiler) is not installed: run scripts/setup.sh dev"
    iss = (ROOT / "packaging/windows/zhilian.iss").read_text(encoding="utf-8")
    code = re.search(r"// PATH-LOGIC-BEGIN\n(.*?)// PATH-LOGIC-END", iss, re.S).group(1)
    src = tmp_path / "pathlogic.pas"
    src.write_text(PASCAL_HARNESS % code, encoding="utf-8")
    build = subprocess.run([fpc, "-Mdelphi", "-Sh", "-vew", f"-FE{tmp_path}", str(src)], capture_output=True,
                           text=True, timeout=120)
    assert build.returncode == 0, build.stdout + build.stderr

    app = r"C:\Users\me\AppData\Local\Programs\Zhilian"
    cases = [
        ("add", "", app, app),
        ("add", r"C:\A;C:\B", app, rf"C:\A;C:\B;{app}"),
        ("add", "C:\\A;", app, rf"C:\A;{app}"),
        ("remove", rf"C:\A;{app}", app, r"C:\A"),
        ("remove", rf"{app};C:\A", app, r"C:\A"),                     # first entry (no ';' before it)
        ("remove", app, app, ""),
        # look-alikes stay: a subfolder and a longer name share the prefix
        ("remove", rf"C:\A;{app}\bin;{app}2;{app}", app, rf"C:\A;{app}\bin;{app}2"),
        ("remove", rf"{app}\bin;{app}", app, rf"{app}\bin"),
        # every other entry keeps its text, empty entries and %VARIABLES% included
        ("remove", rf"%USERPROFILE%\bin;;C:\B;{app};", app, r"%USERPROFILE%\bin;;C:\B;"),
        # the same folder written in another case or with a trailing backslash is ours
        ("remove", rf"C:\A;{app.upper()}\\", app, r"C:\A"),
        # only one entry is ours: with the folder twice, the last one goes
        ("remove", rf"{app};C:\A;{app}", app, rf"{app};C:\A"),
        ("remove", r"C:\A;C:\B", app, r"C:\A;C:\B"),
        ("has", rf"C:\A;{app}\bin;{app}2", app, "0"),
        ("has", rf"C:\A; {app}\ ;C:\B", app, "2"),
    ]
    stdin = "".join(f"{op}\n{paths}\n{d}\n" for op, paths, d, _ in cases)
    run = subprocess.run([str(tmp_path / "pathlogic")], input=stdin, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    got = run.stdout.split("\n")[: len(cases)]
    for (op, paths, _d, want), out in zip(cases, got):
        assert out == want, f"{op} on {paths!r}: got {out!r}, want {want!r}"


def test_inno_setup_allows_a_silent_per_user_install():
    iss = (ROOT / "packaging/windows/zhilian.iss").read_text(encoding="utf-8")
    assert re.search(r"^PrivilegesRequired=lowest$", iss, re.M)
    # /CURRENTUSER needs a commandline override ("dialog" implies it)
    assert re.search(r"^PrivilegesRequiredOverridesAllowed=.*\b(dialog|commandline)\b", iss, re.M)
    assert "[Registry]" not in iss                        # the PATH is changed by the [Code] only
    assert "WizardIsTaskSelected('addtopath')" in iss and "CurUninstallStepChanged" in iss

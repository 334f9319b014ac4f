"""The .deb (control fields, file list, dependencies that cover every library the bundle links
to but does not ship, desktop entry, icons) and the portable .tar.gz."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def deb_field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def deb_contents(deb: Path) -> dict[str, tuple[str, str]]:
    """path -> (mode string, owner/group) from dpkg-deb -c."""
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in out.splitlines():
        cols = line.split(None, 5)
        path = cols[5].split(" -> ")[0]
        entries[path.removeprefix(".").rstrip("/") or "/"] = (cols[0], cols[1])
    return entries


def is_elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


@pytest.fixture(scope="session")
def deb_root(built, tmp_path_factory) -> Path:
    """The .deb unpacked (dpkg-deb -x) once for the tests that look inside."""
    root = tmp_path_factory.mktemp("debroot")
    subprocess.run(["dpkg-deb", "-x", str(built.deb), str(root)], check=True)
    return root


def depends_packages(depends: str) -> set[str]:
    pkgs = set()
    for clause in depends.split(","):
        for alt in clause.split("|"):
            pkgs.add(re.sub(r"\s*\(.*\)", "", alt).strip().split(":")[0])
    return pkgs


def test_control_fields(built):
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert deb_field(built.deb, "Package") == "zhilian"
    assert deb_field(built.deb, "Version") == built.version
    assert deb_field(built.deb, "Architecture") == arch
    assert built.deb.name == f"zhilian_{built.version}_{arch}.deb"
    assert deb_field(built.deb, "Section") == "net"
    assert deb_field(built.deb, "Maintainer")
    assert deb_field(built.deb, "Description").startswith("download manager")
    deps = depends_packages(deb_field(built.deb, "Depends"))
    # The libraries Qt's xcb/wayland plugins, Qt itself and Python link to.
    assert {"libc6", "libxcb-cursor0", "libxkbcommon-x11-0", "libfontconfig1", "libx11-6",
            "libdbus-1-3", "libssl3", "libwayland-client0", "ca-certificates"} <= deps
    # No OpenGL stack: the bundle ships libglvnd's dispatchers itself (libgl1 would pull in
    # Mesa and LLVM, over 100 MiB the app never uses).
    assert not deps & {"libgl1", "libegl1", "libglx0", "libglvnd0", "libglx-mesa0", "libgl1-mesa-dri"}
    for lib in ("libGL.so.1", "libEGL.so.1", "libGLX.so.0", "libGLdispatch.so.0"):
        assert is_elf(built.app / "_internal" / lib), lib
    assert "gnome-keyring" in deb_field(built.deb, "Recommends")
    # Installed-Size (KiB) matches what is in the package.
    size_kb = int(deb_field(built.deb, "Installed-Size"))
    app_kb = sum(f.stat().st_size for f in built.app.rglob("*") if f.is_file() and not f.is_symlink()) / 1024
    assert app_kb <= size_kb <= app_kb * 1.1 + 2048


def test_file_list(built):
    files = deb_contents(built.deb)
    must = ["/opt/zhilian/zhilian", "/opt/zhilian/_internal/zhilian-manifest.json", "/usr/bin/zhilian",
            "/usr/share/applications/zhilian.desktop", "/usr/share/doc/zhilian/copyright",
            "/usr/share/metainfo/io.github.zhilian.Zhilian.metainfo.xml",
            "/usr/share/mime/packages/zhilian.xml",
            "/usr/share/icons/hicolor/scalable/apps/zhilian.svg"]
    must += [f"/usr/share/icons/hicolor/{n}x{n}/apps/zhilian.png" for n in ICON_SIZES]
    for path in must:
        assert path in files, path
    assert files["/usr/bin/zhilian"][0] == "-rwxr-xr-x"
    assert files["/opt/zhilian/zhilian"][0] == "-rwxr-xr-x"
    assert files["/usr/share/applications/zhilian.desktop"][0] == "-rw-r--r--"
    assert all(owner == "root/root" for _mode, owner in files.values())
    assert all(p == "/" or p.startswith(("/opt", "/usr")) for p in files)
    # Only the app's own tree under /opt; nothing of the build machine's system libraries.
    internal = {Path(p).name for p in files if p.startswith("/opt/zhilian/_internal/") and p.count("/") == 4}
    for system_lib in ("libX11.so.6", "libxcb.so.1", "libfontconfig.so.1", "libglib-2.0.so.0",
                       "libgtk-3.so.0", "libssl.so.3", "libstdc++.so.6", "libdbus-1.so.3"):
        assert system_lib not in internal


def test_depends_cover_every_library_the_bundle_needs(built):
    """Every NEEDED library of every ELF file in the bundle is either shipped in the bundle
    or provided (on this Debian build machine) by a package the .deb depends on."""
    shipped = {p.name for p in built.app.rglob("*.so*")}
    elfs = [str(f) for f in built.app.rglob("*") if f.is_file() and not f.is_symlink() and is_elf(f)]
    out = subprocess.run(["objdump", "-p", *elfs], capture_output=True, text=True).stdout
    needed = set(re.findall(r"^\s+NEEDED\s+(\S+)", out, re.M))
    external = needed - shipped
    assert "libc.so.6" in external and "libxcb-cursor.so.0" in external
    ldconfig = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    deps = depends_packages(deb_field(built.deb, "Depends"))
    candidates: dict[str, set[str]] = {}
    for soname in sorted(external):
        m = re.search(rf"^\s+{re.escape(soname)} \(libc6,x86-64[^)]*\) => (\S+)", ldconfig, re.M) or \
            re.search(rf"^\s+{re.escape(soname)} \([^)]*\) => (\S+)", ldconfig, re.M)
        assert m, f"{soname} is not on this machine"
        real = str(Path(m.group(1)).resolve())
        candidates[soname] = {real, m.group(1), real.replace("/usr/lib/", "/lib/", 1)}
    # one dpkg -S for all paths: "pkg[:arch][, pkg2]: /path" per owned path
    paths = sorted(set().union(*candidates.values()))
    listing = subprocess.run(["dpkg", "-S", *paths], capture_output=True, text=True).stdout
    owners_of: dict[str, set[str]] = {}
    for line in listing.splitlines():
        pkgs, _, path = line.partition(": ")
        owners_of.setdefault(path.strip(), set()).update(o.strip().split(":")[0] for o in pkgs.split(","))
    missing = {}
    for soname, cands in candidates.items():
        owners = set().union(*(owners_of.get(c, set()) for c in cands))
        if not owners & deps:
            missing[soname] = owners
    assert not missing, f"libraries needed but not declared: {missing}"


def test_desktop_entry_and_launcher(deb_root):
    tmp_path = deb_root
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str
    cp.read(tmp_path / "usr/share/applications/zhilian.desktop", encoding="utf-8")
    de = cp["Desktop Entry"]
    assert de["Type"] == "Application"
    assert de["Exec"].split()[0] == "zhilian"
    assert de["TryExec"] == "zhilian"
    assert de["Icon"] == "zhilian"
    assert de["Terminal"] == "false"
    assert "Network" in de["Categories"].split(";")
    assert de["Name[zh_CN]"] == "直链"
    for n in ICON_SIZES:  # each hicolor PNG really has its folder's size (IHDR width/height)
        head = (tmp_path / f"usr/share/icons/hicolor/{n}x{n}/apps/zhilian.png").read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")) == (n, n)
    meta = ET.parse(tmp_path / "usr/share/metainfo/io.github.zhilian.Zhilian.metainfo.xml").getroot()
    assert meta.findtext("launchable") == "zhilian.desktop"
    assert meta.find("provides/binary").text == "zhilian"
    launcher = (tmp_path / "usr/bin/zhilian").read_text()
    assert launcher.startswith("#!/bin/sh")
    assert 'exec /opt/zhilian/zhilian "$@"' in launcher


def valid_desktop_entry(path: Path):
    """The [Desktop Entry] group of a file that desktop-file-validate passes without a word."""
    v = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert v.returncode == 0 and not v.stdout.strip(), v.stdout + v.stderr
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(path, encoding="utf-8")
    return cp["Desktop Entry"]


MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"
OUR_TYPES = ["application/metalink4+xml", "application/x-zhilian-manifest"]


def test_file_types_are_registered_and_no_url_scheme(built, deb_root, tmp_path):
    desktop = deb_root / "usr/share/applications/zhilian.desktop"
    de = valid_desktop_entry(desktop)
    assert [t for t in de["MimeType"].split(";") if t] == OUR_TYPES
    assert de["Exec"] == "zhilian %U"
    # the shared-mime-info file defines the manifest type by its double extension
    root = ET.parse(deb_root / "usr/share/mime/packages/zhilian.xml").getroot()
    types = {m.get("type"): m for m in root.iter(f"{MIME_NS}mime-type")}
    assert set(types) == {"application/x-zhilian-manifest"}
    globs = {g.get("pattern") for g in types["application/x-zhilian-manifest"].iter(f"{MIME_NS}glob")}
    assert globs == {"*.zhilian.yaml", "*.zhilian.yml"}
    claimed = [t for t in de["MimeType"].split(";") if t] + list(types)
    assert not [t for t in claimed if t.startswith("x-scheme-handler/")]
    # the database update-mime-database builds from it (with freedesktop.org's types) resolves
    # both types; MatchExtension: by name, as a file manager does for "Open with"
    mime = tmp_path / "share" / "mime"
    (mime / "packages").mkdir(parents=True)
    shutil.copy(deb_root / "usr/share/mime/packages/zhilian.xml", mime / "packages")
    shutil.copy("/usr/share/mime/packages/freedesktop.org.xml", mime / "packages")
    subprocess.run(["update-mime-database", str(mime)], check=True, capture_output=True)
    got = resolve_types(tmp_path / "share", ["w.zhilian.yaml", "w.zhilian.yml", "m.meta4", "plain.yaml"])
    assert got == {"w.zhilian.yaml": "application/x-zhilian-manifest", "w.zhilian.yml": "application/x-zhilian-manifest",
                   "m.meta4": "application/metalink4+xml", "plain.yaml": "application/x-yaml"}


RESOLVE = """
import json, sys
from PySide6.QtCore import QMimeDatabase
db = QMimeDatabase()
print(json.dumps({n: db.mimeTypeForFile(n, QMimeDatabase.MatchMode.MatchExtension).name() for n in sys.argv[1:]}))
"""


def resolve_types(data_dir: Path, names: list[str], **env: str) -> dict[str, str]:
    """Qt's reading of the shared MIME database, with data_dir as the XDG data folder (and the
    only one, unless env sets XDG_DATA_DIRS)."""
    e = dict(os.environ)
    e.update(XDG_DATA_HOME=str(data_dir), XDG_DATA_DIRS=str(data_dir))
    e.update(env)
    p = subprocess.run([sys.executable, "-c", RESOLVE, *names], env=e, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_maintainer_scripts_refresh_the_desktop_databases(built):
    with tempfile.TemporaryDirectory() as ctrl:
        subprocess.run(["dpkg-deb", "--control", str(built.deb), ctrl], check=True)
        for name, when in (("postinst", "configure"), ("postrm", "remove|purge")):
            path = Path(ctrl) / name
            assert path.stat().st_mode & 0o111, f"{name} is not executable"
            text = path.read_text()
            assert text.startswith("#!/bin/sh") and when in text
            assert "update-mime-database /usr/share/mime" in text
            assert "update-desktop-database -q /usr/share/applications" in text
            assert "command -v update-mime-database" in text     # skipped where the tool is missing
            subprocess.run(["sh", "-n", str(path)], check=True)


def test_extracted_deb_runs(built, run_frozen, deb_root):
    exe = deb_root / "opt/zhilian/zhilian"
    p = run_frozen(exe, "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"zhilian {built.version}", p.stderr
    p = run_frozen(exe, env={"ZHILIAN_SELFTEST": "imports,qt"})
    assert p.returncode == 0, p.stdout + p.stderr


def _unpack(built, into: Path) -> Path:
    with tarfile.open(built.tarball) as tf:
        # extraction filters exist from Python 3.11.4 (Debian 12 ships 3.11.2)
        extra = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
        tf.extractall(into, **extra)  # noqa: S202 - our own archive, names checked in the test below
    return into / built.tarball.name.removesuffix(".tar.gz")


def test_portable_tarball(built, run_frozen, tmp_path):
    with tarfile.open(built.tarball) as tf:
        names = tf.getnames()
        top = {n.split("/")[0] for n in names}
        assert top == {built.tarball.name.removesuffix(".tar.gz")}
        (prefix,) = top
        for member in ("zhilian", "_internal/zhilian-manifest.json", "README.txt", "install-user.sh",
                       "uninstall-user.sh", "share/applications/zhilian.desktop", "share/mime/packages/zhilian.xml",
                       "share/icons/hicolor/scalable/apps/zhilian.svg", "share/icons/hicolor/48x48/apps/zhilian.png"):
            assert f"{prefix}/{member}" in names, member
        # no desktop file at the top whose Exec/TryExec/Icon cannot resolve once unpacked
        assert f"{prefix}/zhilian.desktop" not in names
        assert all(m.uid == 0 and m.gid == 0 for m in tf.getmembers())
        modes = {m.name.split("/", 1)[1]: m.mode for m in tf.getmembers() if "/" in m.name}
        assert modes["install-user.sh"] & 0o111 and modes["uninstall-user.sh"] & 0o111
    root = _unpack(built, tmp_path)
    readme = (root / "README.txt").read_text()
    assert "ZHILIAN_HOME" in readme and "libxcb-cursor0" in readme and "./install-user.sh" in readme
    p = run_frozen(root / "zhilian", "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"zhilian {built.version}", p.stderr


def _desktop_string(value: str) -> str:
    """A desktop entry string value without its escapes (\\s \\n \\t \\r \\\\)."""
    return re.sub(r"\\([sntr\\])", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m[1], m[1]), value)


def _exec_argv(exec_value: str) -> list[str]:
    """Exec= as the Desktop Entry Specification reads it: first the string's escapes, then
    arguments split at spaces, where a double-quoted one takes \\" \\` \\$ and \\\\ as the
    escaped character."""
    text = _desktop_string(exec_value)
    args: list[str] = []
    cur, quoted, started, i = "", False, False, 0
    while i < len(text):
        c = text[i]
        if quoted and c == "\\" and text[i + 1:i + 2] in ('"', "`", "$", "\\"):
            cur += text[i + 1]
            i += 2
            continue
        if c == '"':
            quoted, started = not quoted, True
        elif c == " " and not quoted:
            if cur or started:
                args.append(cur)
            cur, started = "", False
        else:
            cur += c
        i += 1
    assert not quoted, f"unterminated quote in {exec_value!r}"
    if cur or started:
        args.append(cur)
    return args


def test_portable_install_for_this_user(built, run_frozen, tmp_path):
    """install-user.sh in a fresh HOME, from a folder whose path needs quoting and escaping: a
    valid desktop entry that GLib's launcher (gio launch) starts, TryExec/Icon resolving, icons,
    the file types with the user's own MIME database, a `zhilian` command; uninstall-user.sh
    takes all of it away again."""
    root = _unpack(built, tmp_path / 'My Apps (portable) $x "q" \\b')
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home), PATH=f"{home}/.local/bin:/usr/bin:/bin")
    out = subprocess.run([str(root / "install-user.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = home / ".local/share"
    desktop = data / "applications/zhilian.desktop"
    de = valid_desktop_entry(desktop)
    argv = _exec_argv(de["Exec"])
    assert argv == [str(root / "zhilian"), "%U"]
    try_exec = _desktop_string(de["TryExec"])
    assert try_exec == str(root / "zhilian") and os.access(try_exec, os.X_OK)
    assert de["Icon"] == "zhilian"
    for size in ("16x16", "24x24", "32x32", "48x48", "256x256", "512x512", "scalable"):
        icon = data / f"icons/hicolor/{size}/apps" / ("zhilian.svg" if size == "scalable" else "zhilian.png")
        assert icon.is_file(), icon
    # the launcher's command line runs the unpacked app; GLib (GNOME's launcher code) reads the
    # entry the same way and starts it (the bundle's self-check reports to a file and quits)
    p = run_frozen(Path(argv[0]), "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"zhilian {built.version}", p.stderr
    report = tmp_path / "launched.json"
    launch_env = dict(env, QT_QPA_PLATFORM="offscreen", ZHILIAN_SELFTEST="imports", ZHILIAN_SELFTEST_OUT=str(report))
    g = subprocess.run(["gio", "launch", str(desktop)], env=launch_env, capture_output=True, text=True, timeout=60)
    assert g.returncode == 0, g.stderr
    deadline = time.monotonic() + 60            # gio launch does not wait for the app
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)
    assert json.loads(report.read_text(encoding="utf-8"))["ok"] is True
    # the file types: the user's MIME database and desktop database (what file managers read)
    assert "application/x-zhilian-manifest=zhilian.desktop;" in (data / "applications/mimeinfo.cache").read_text()
    system = {"HOME": str(home), "XDG_DATA_DIRS": "/usr/local/share:/usr/share"}
    got = resolve_types(data, ["w.zhilian.yaml", "m.meta4", "plain.yaml"], **system)
    assert got == {"w.zhilian.yaml": "application/x-zhilian-manifest", "m.meta4": "application/metalink4+xml",
                   "plain.yaml": "application/x-yaml"}
    for t in OUR_TYPES:
        q = subprocess.run(["xdg-mime", "query", "default", t], env=env, capture_output=True, text=True, timeout=60)
        assert q.stdout.strip() == "zhilian.desktop", (t, q.stdout, q.stderr)
    manifest = tmp_path / "weights.zhilian.yaml"
    manifest.write_text("name: w\n", encoding="utf-8")
    g = subprocess.run(["gio", "info", "-a", "standard::content-type", str(manifest)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert "application/x-zhilian-manifest" in g.stdout, g.stdout + g.stderr
    # `zhilian` on PATH (~/.local/bin), and its messages name it so
    link = home / ".local/bin/zhilian"
    assert link.is_symlink() and link.resolve() == (root / "zhilian").resolve()
    add = subprocess.run(["zhilian", "add", "https://example.com/models/a.bin"], capture_output=True, text=True,
                         env=dict(env, ZHILIAN_HOME=str(tmp_path / "zh"), QT_QPA_PLATFORM="offscreen"), timeout=120)
    assert add.returncode == 0 and "`zhilian run` downloads them" in add.stderr, add.stderr

    un = subprocess.run([str(root / "uninstall-user.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert un.returncode == 0, un.stderr
    assert not desktop.exists() and not link.exists() and not (data / "mime/packages/zhilian.xml").exists()
    assert not list(data.glob("icons/hicolor/*/apps/zhilian.*"))
    assert "zhilian.desktop" not in (data / "applications/mimeinfo.cache").read_text()
    assert resolve_types(data, ["w.zhilian.yaml"], **system) == {"w.zhilian.yaml": "application/x-yaml"}
    assert (root / "zhilian").is_file() and (root / "share/applications/zhilian.desktop").is_file()


def test_portable_install_refuses_a_folder_it_cannot_write_into_an_entry(built, tmp_path):
    root = _unpack(built, tmp_path / "100% portable")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(home))
    out = subprocess.run([str(root / "install-user.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.strip().startswith("install-user.sh: ") and "%" in out.stderr and "\n" not in out.stderr.strip()
    assert not (home / ".local").exists()


def test_browser_extension_zip_is_built(built):
    import json
    import zipfile
    (z,) = built.dist.glob("zhilian-browser-*.zip")
    assert z.name == f"zhilian-browser-{built.version}.zip"
    with zipfile.ZipFile(z) as f:
        assert json.loads(f.read("manifest.json"))["manifest_version"] == 3
        assert "background.js" in f.namelist()

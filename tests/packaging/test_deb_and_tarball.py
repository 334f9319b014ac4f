"""The .deb (control fields, file list, dependencies that cover every library the bundle links
to but does not ship, desktop entry, icons) and the portable .tar.gz."""

from __future__ import annotations

import configparser
import re
import subprocess
import tarfile
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
    assert {"libc6", "libxcb-cursor0", "libxkbcommon-x11-0", "libfontconfig1", "libegl1",
            "libdbus-1-3", "libssl3", "libwayland-client0", "ca-certificates"} <= deps
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


def test_extracted_deb_runs(built, run_frozen, deb_root):
    exe = deb_root / "opt/zhilian/zhilian"
    p = run_frozen(exe, "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"zhilian {built.version}", p.stderr
    p = run_frozen(exe, env={"ZHILIAN_SELFTEST": "imports,qt"})
    assert p.returncode == 0, p.stdout + p.stderr


def test_portable_tarball(built, run_frozen, tmp_path):
    with tarfile.open(built.tarball) as tf:
        names = tf.getnames()
        top = {n.split("/")[0] for n in names}
        assert top == {built.tarball.name.removesuffix(".tar.gz")}
        (prefix,) = top
        for member in ("zhilian", "_internal/zhilian-manifest.json", "zhilian.desktop", "zhilian.svg",
                       "README.txt"):
            assert f"{prefix}/{member}" in names, member
        assert all(m.uid == 0 and m.gid == 0 for m in tf.getmembers())
        # extraction filters exist from Python 3.11.4 (Debian 12 ships 3.11.2)
        extra = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
        tf.extractall(tmp_path, **extra)  # noqa: S202 - our own archive, names checked above
    readme = (tmp_path / prefix / "README.txt").read_text()
    assert "ZHILIAN_HOME" in readme and "libxcb-cursor0" in readme
    p = run_frozen(tmp_path / prefix / "zhilian", "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"zhilian {built.version}", p.stderr

"""Builds the frozen app, the .deb and the .tar.gz once per test session (about a minute on
2 cores: PyInstaller, dpkg-shlibdeps, gzip-compressed .deb) with scripts/build_packages.sh,
exactly as a release build except for the quicker .deb compression."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIST_COMMANDS = """
import argparse
from core.commands import build_parser
for action in build_parser()._actions:
    if isinstance(action, argparse._SubParsersAction):
        print(*action.choices, sep="\\n")
"""


@dataclass
class Built:
    dist: Path
    app: Path          # dist/zhilian (one-dir bundle)
    exe: Path          # dist/zhilian/zhilian
    deb: Path
    tarball: Path
    version: str
    log: str
    modules: set[str]  # the app's modules on disk just before the build
    resources: set[Path]  # files under resources/ just before the build (relative)
    commands: set[str]  # CLI subcommands the source tree offers just before the build


def source_modules(package: str) -> set[str]:
    """Module names of every .py file inside real packages below ROOT/package."""
    mods = set()
    for path in (ROOT / package).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if "__pycache__" in parts:
            continue
        if not all((ROOT.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
            continue
        mods.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return mods


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Built:
    sys.path.insert(0, str(ROOT))
    from core import __version__

    dist = tmp_path_factory.mktemp("pkgdist")
    listing = subprocess.run([sys.executable, "-c", LIST_COMMANDS], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
    if listing.returncode != 0:
        pytest.fail(f"the CLI of the source tree does not load: {listing.stderr[-2000:]}")
    commands = set(listing.stdout.split())
    modules = source_modules("core") | source_modules("gui")
    res = ROOT / "resources"
    resources = {p.relative_to(res) for p in res.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    env = dict(os.environ, ZHILIAN_SKIP_SETUP="1", ZHILIAN_NO_BUDGETS="1",
               ZHILIAN_DEB_COMPRESS="gzip:1", ZHILIAN_DIST=str(dist))
    env.pop("ZHILIAN_SELFTEST", None)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "build_packages.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"build_packages.sh failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    debs = sorted(dist.glob("zhilian_*.deb"))
    tgzs = sorted(dist.glob("zhilian-*-linux-*.tar.gz"))
    assert len(debs) == 1 and len(tgzs) == 1, proc.stdout
    return Built(dist=dist, app=dist / "zhilian", exe=dist / "zhilian" / "zhilian", deb=debs[0],
                 tarball=tgzs[0], version=__version__, log=proc.stdout, modules=modules,
                 resources=resources, commands=commands)


def _run_frozen(exe: Path, *args: str, env: dict | None = None, timeout: float = 120,
                **kw) -> subprocess.CompletedProcess:
    full = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    full.pop("ZHILIAN_SELFTEST", None)
    full.update(env or {})
    return subprocess.run([str(exe), *args], env=full, capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture
def run_frozen():
    """run_frozen(exe, *args, env={...}) -> CompletedProcess (offscreen Qt, text output)."""
    return _run_frozen

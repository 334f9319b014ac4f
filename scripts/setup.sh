#!/usr/bin/env bash
# Installs what Zhilian needs on a Debian/Ubuntu machine: system libraries (apt, only
# when missing) and a .venv at the repository root with the pinned Python packages.
#   scripts/setup.sh app   -> what the app needs
#   scripts/setup.sh dev   -> also what the tests and benchmarks need
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"

# Qt (PySide6-Essentials) on a bare machine + a real X window for the tray/Xvfb tests;
# the system's CA store, which every https download is verified against (python3-venv
# brings it along, but not where python3 comes from elsewhere and that package is skipped).
APP_PKGS="python3 python3-venv ca-certificates libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0
  libdbus-1-3 libgssapi-krb5-2 libx11-xcb1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4
  libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xkb1
  gnome-keyring dbus-daemon"
# Test servers and peers (nginx, aria2c, curl), the real keyring, Xvfb + a tray host,
# binutils for PyInstaller, debootstrap for the installer proof; the desktop-integration
# checks of the packages (desktop-file-validate, update-mime-database, xdg-mime, gio,
# xwininfo for the window in the install proof); Free Pascal compiles the Windows installer's
# PATH code in a test; Chromium + its WebDriver for the browser extension test.
DEV_PKGS="nginx-light aria2 curl hyperfine xvfb xauth trayer binutils dbus-x11 fakeroot
  dpkg-dev debootstrap fonts-wqy-microhei desktop-file-utils shared-mime-info xdg-utils
  libglib2.0-bin x11-utils fp-compiler chromium chromium-driver time"

pkgs="$APP_PKGS"
[ "$mode" = dev ] && pkgs="$pkgs $DEV_PKGS"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for p in $pkgs; do
    # python3 / python3-venv may come from elsewhere (pyenv, a newer interpreter): skip when usable
    case "$p" in
      python3) command -v python3 >/dev/null 2>&1 && continue ;;
      python3-venv) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
fi
apt_install() {
  echo "setup: installing system packages: $*"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "$@"
}
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  apt_install $missing
fi

PY=python3
if ! $PY -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: Python 3.11 or newer is needed (found $($PY --version 2>&1))" >&2
  exit 1
fi
# PyInstaller (packaging tests) needs the interpreter's shared libpython: Debian's own python3
# keeps it in a separate package (pyenv builds have it).
if [ "$mode" = dev ] && dpkg-query -S "$(readlink -f "$(command -v $PY)")" >/dev/null 2>&1; then
  libpy="lib$($PY -c 'import sys; print("python%d.%d" % sys.version_info[:2])')"
  dpkg-query -W -f='${Status}' "$libpy" 2>/dev/null | grep -q "install ok installed" || apt_install "$libpy"
fi

req=requirements.txt
[ "$mode" = dev ] && req=requirements-dev.txt
stamp=".venv/.installed-$mode"
want="$(cat requirements.txt requirements-dev.txt requirements-build.txt | sha256sum | cut -c1-16)"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  $PY -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages from $req"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Sets up everything the tests need (first run only) and runs the whole suite:
# a real keyring (gnome-keyring on a private D-Bus session), a throw-away HOME,
# Qt offscreen (tests that need a real X window start Xvfb themselves).
# Extra arguments go to pytest, e.g. ./test.sh tests/test_engine.py -x
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh dev
root="$(pwd)"
tmp_home="$(mktemp -d)"
trap 'rm -rf "$tmp_home"' EXIT
export HOME="$tmp_home" XDG_RUNTIME_DIR="$tmp_home/run" QT_QPA_PLATFORM=offscreen
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset DISPLAY WAYLAND_DISPLAY DBUS_SESSION_BUS_ADDRESS
# Positional parameters survive into the inner shell through "$@".
exec dbus-run-session -- sh -c '
  echo -n zhilian-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cd "$0" && exec .venv/bin/python -m pytest "$@"
' "$root" "$@"

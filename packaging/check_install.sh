#!/usr/bin/env bash
# Uses an installed Zhilian the way a new user would, on any system with bash and Python 3
# (the CI runs it on Windows in Git Bash after the silent install, on macOS after copying the
# app out of the .dmg; the Linux packaging tests run it on the unpacked bundle):
#
#   packaging/check_install.sh CLI [GUI]      (GUI defaults to CLI: one binary on Linux/macOS)
#
# 1. `CLI --version` prints "zhilian <the version in core/__init__.py>";
# 2. `CLI get` of a 4 MiB file from `python -m http.server` on 127.0.0.1 with --sha256, the
#    saved file hashed again here; http.server ignores Range, so the engine must fall back to a
#    single connection. A wrong --sha256 must fail and leave no file under the final name;
# 3. GUI opens its first window offscreen and quits (the bundle's self-check, its report
#    written to a file because the windowed Windows zhilian.exe has no stdout).
# Environment: PYTHON (default python3, else python) runs the server and the hashing.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cli="${1:?usage: check_install.sh CLI [GUI]}"
gui="${2:-$1}"
PY="${PYTHON:-$(command -v python3 || command -v python)}"
die() { echo "check_install: FAILED: $*" >&2; exit 1; }
# Native Windows programs get Windows paths (Git Bash converts arguments, not every variable).
native() { if command -v cygpath >/dev/null 2>&1; then cygpath -w "$1"; else printf '%s' "$1"; fi; }
sha256() { "$PY" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"; }

work="$(mktemp -d)"
srv_pid=""
cleanup() {
  if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export ZHILIAN_HOME
ZHILIAN_HOME="$(native "$work/home")"

echo "== $cli --version"
want="zhilian $("$PY" -c 'import re, sys; print(re.search(r"^__version__\s*=\s*[\"\x27]([^\"\x27]+)", open(sys.argv[1]).read(), re.M).group(1))' "$here/core/__init__.py")"
got="$("$cli" --version | tr -d '\r')"
[ "$got" = "$want" ] || die "--version printed '$got', expected '$want'"
echo "$got"

echo "== get from python -m http.server with --sha256"
mkdir -p "$work/srv"
"$PY" -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(4 << 20))' "$work/srv/model.bin"
sum="$(sha256 "$work/srv/model.bin")"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$work/srv" > "$work/server.log" 2>&1 &
srv_pid=$!
url="http://127.0.0.1:$port/model.bin"
"$PY" - "$url" <<'EOF' || die "http.server did not start"
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(sys.argv[1].rsplit("/", 1)[0] + "/", timeout=2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
"$cli" get "$url" -d "$(native "$work/dl")" --sha256 "$sum" || die "zhilian get failed"
[ -f "$work/dl/model.bin" ] || die "no file at $work/dl/model.bin"
[ "$(sha256 "$work/dl/model.bin")" = "$sum" ] || die "the saved file's SHA-256 differs"
echo "saved, SHA-256 verified here too: ${sum:0:16}…"
if "$cli" get "$url" -d "$(native "$work/bad")" -q --sha256 "$(printf '0%.0s' {1..64})" 2> "$work/bad.err"; then
  die "a wrong --sha256 was accepted"
fi
[ ! -e "$work/bad/model.bin" ] || die "a file with the wrong hash was saved under its final name"
grep -qi sha256 "$work/bad.err" || { cat "$work/bad.err" >&2; die "no hash error message"; }
echo "a wrong --sha256 is refused: $(head -c 100 "$work/bad.err")"
kill "$srv_pid" 2>/dev/null || true
srv_pid=""

echo "== first window, offscreen: $gui"
QT_QPA_PLATFORM=offscreen ZHILIAN_SELFTEST=qt,gui ZHILIAN_SELFTEST_OUT="$(native "$work/gui.json")" \
  "$gui" > "$work/gui.out" 2>&1 || { cat "$work/gui.out" >&2; die "the GUI self-check failed"; }
"$PY" - "$work/gui.json" <<'EOF' || die "the GUI self-check reported a failure"
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
qt, gui = r["checks"]["qt"], r["checks"]["gui"]
print(f"Qt {qt.get('qt')} on {qt.get('platform')}: window {gui.get('window_title')!r} shown after "
      f"{gui.get('ms_after_hook')} ms, quit with {gui.get('exit_code')}")
sys.exit(0 if r["ok"] and qt["platform"] == "offscreen" and "Zhilian" in gui["window_title"]
         and gui["exit_code"] == 0 else 1)
EOF
echo "CHECKED: $cli"

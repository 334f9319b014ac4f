#!/usr/bin/env bash
# Proof that the .deb works on a machine that never saw the project:
#   scripts/prove_install.sh [dist/zhilian_<version>_<arch>.deb]
# 1. debootstrap a fresh minimal Debian root (variant minbase, the suite and mirror this
#    machine's apt uses),
# 2. install into it only the .deb and what it declares (apt resolves Depends; no Recommends),
# 3. chroot and run the installed app: `zhilian --version`; `zhilian get` from a file server
#    on loopback with --sha256 (and a wrong hash, which must fail); the GUI opening offscreen
#    and quitting (the bundle's self-check), then the plain `zhilian` GUI entry left running
#    offscreen for 5 s,
# 4. then, beyond the declared dependencies, installs the recommended gnome-keyring and checks
#    that the frozen app stores, reads and deletes a secret through the Secret Service.
# Needs root (debootstrap, chroot, mounts) and the Debian mirror. Takes a few minutes the
# first time; the downloaded packages are cached in build/debootstrap-cache.
# Environment: ZHILIAN_PROVE_ROOT=DIR (default build/prove-root, recreated on every run),
#              ZHILIAN_PROVE_KEEP=1 keeps the root afterwards for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
step() { printf '\n== %s\n' "$*"; }
die() { echo "prove_install: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and chroot need it)"

deb="${1:-}"
if [ -z "$deb" ]; then
  deb="$(ls -t dist/zhilian_*.deb 2>/dev/null | head -n1 || true)"
  [ -n "$deb" ] || die "no dist/zhilian_*.deb: run scripts/build_packages.sh first"
fi
deb="$(realpath "$deb")"
[ -f "$deb" ] || die "$deb does not exist"

# The suite and mirror apt uses here (deb822 .sources or one-line sources.list).
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror="$(awk -v s="$suite" '
    /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==s) ok=1}
    /^$/ {if (ok && u!="") {print u; exit} u=""; ok=0}
    END {if (ok && u!="") print u}' "$f" | head -n1)"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk -v s="$suite" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || die "could not find the Debian mirror for $suite in /etc/apt/sources.list*"

if ! command -v debootstrap >/dev/null; then
  step "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi

target="$(realpath -m "${ZHILIAN_PROVE_ROOT:-$ROOT/build/prove-root}")"
cache="$ROOT/build/debootstrap-cache"
srv_pid=""
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
  for m in dev/pts dev proc sys; do
    mountpoint -q "$target/$m" 2>/dev/null && umount -l "$target/$m" || true
  done
  if [ "${ZHILIAN_PROVE_KEEP:-0}" != 1 ] && [ -d "$target" ]; then rm -rf --one-file-system "$target"; fi
}
trap cleanup EXIT

step "debootstrap $suite (minbase) from $mirror into $target"
for m in dev/pts dev proc sys; do mountpoint -q "$target/$m" 2>/dev/null && umount -l "$target/$m"; done
rm -rf --one-file-system "$target"
mkdir -p "$target" "$cache"
t0=$(date +%s)
debootstrap --variant=minbase --cache-dir="$cache" "$suite" "$target" "$mirror" > "$ROOT/build/debootstrap.log" 2>&1 \
  || { tail -n 30 "$ROOT/build/debootstrap.log" >&2; die "debootstrap failed (build/debootstrap.log)"; }
base_pkgs=$(chroot "$target" dpkg-query -W -f '${Package}\n' | wc -l)
echo "fresh root: $base_pkgs packages, $(du -sh --one-file-system "$target" | cut -f1), $(( $(date +%s) - t0 )) s"

mount -t proc proc "$target/proc"
mount -t sysfs sys "$target/sys"
mount --bind /dev "$target/dev"
mount --bind /dev/pts "$target/dev/pts"
cp /etc/resolv.conf "$target/etc/resolv.conf" 2>/dev/null || true
in_root() { chroot "$target" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/root LANG=C.UTF-8 "$@"; }

step "installing $(basename "$deb") and only what it declares"
cp "$deb" "$target/tmp/zhilian.deb"
in_root apt-get update -q >/dev/null
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/zhilian.deb \
  > "$ROOT/build/prove-apt.log" 2>&1 || { tail -n 30 "$ROOT/build/prove-apt.log" >&2; die "apt-get install failed"; }
all_pkgs=$(in_root dpkg-query -W -f '${Package}\n' | wc -l)
echo "installed: zhilian $(in_root dpkg-query -W -f '${Version}' zhilian) + $(( all_pkgs - base_pkgs - 1 )) dependency packages"
in_root dpkg-query -W -f '${Status}' zhilian | grep -q "install ok installed" || die "zhilian is not installed"
for f in /usr/bin/zhilian /opt/zhilian/zhilian /usr/share/applications/zhilian.desktop \
         /usr/share/icons/hicolor/48x48/apps/zhilian.png /usr/share/icons/hicolor/scalable/apps/zhilian.svg; do
  [ -e "$target$f" ] || die "$f is missing after install"
done
echo "files in place: /usr/bin/zhilian, /opt/zhilian, desktop entry, hicolor icons"

step "zhilian --version"
ver="$(in_root zhilian --version)" || die "zhilian --version failed"
echo "$ver"

step "zhilian get from a local server (loopback) with --sha256"
fifo="$(mktemp -u)"; mkfifo "$fifo"
.venv/bin/python - > "$fifo" 2> "$ROOT/build/prove-server.log" <<'EOF' &
import hashlib, sys, time
sys.path.insert(0, "tests")
from servers import FileServer, make_blob
srv = FileServer().start()
data = make_blob(24_000_000, seed=7)
srv.add("/models/weights.bin", data)
print(srv.url("/models/weights.bin"), hashlib.sha256(data).hexdigest(), flush=True)
time.sleep(300)
EOF
srv_pid=$!
read -r url sha < "$fifo"; rm -f "$fifo"
echo "server: $url (24 MB, sha256 ${sha:0:16}…)"
in_root env ZHILIAN_HOME=/tmp/zh zhilian get "$url" -d /tmp/dl --sha256 "$sha" || die "zhilian get failed"
got="$(sha256sum "$target/tmp/dl/weights.bin" | cut -d' ' -f1)"
[ "$got" = "$sha" ] || die "downloaded file has sha256 $got, expected $sha"
echo "file verified outside the app too: sha256 matches"
if in_root env ZHILIAN_HOME=/tmp/zh zhilian get "$url" -d /tmp/dl-bad -q \
     --sha256 0000000000000000000000000000000000000000000000000000000000000000 2> "$target/tmp/bad.err"; then
  die "a wrong --sha256 was accepted"
fi
[ ! -e "$target/tmp/dl-bad/weights.bin" ] || die "a file with the wrong hash was saved under its final name"
grep -qi "sha256" "$target/tmp/bad.err" || { cat "$target/tmp/bad.err" >&2; die "no hash error message"; }
echo "a wrong --sha256 is refused: $(grep -i -m1 sha256 "$target/tmp/bad.err" | cut -c1-140)"
kill "$srv_pid" 2>/dev/null || true; srv_pid=""

step "GUI offscreen: self-check opens the window and quits"
report="$(in_root env QT_QPA_PLATFORM=offscreen ZHILIAN_HOME=/tmp/zh ZHILIAN_SELFTEST=imports,qt,gui \
  /usr/bin/zhilian)" || { echo "$report"; die "GUI self-check failed"; }
echo "$report" | .venv/bin/python -c '
import json, sys
r = json.loads(sys.stdin.read())
c = r["checks"]
imp, qt, gui = c["imports"], c["qt"], c["gui"]
ms = gui.get("ms_since_process_start", gui["ms_after_hook"])
print("imports: %d modules ok; Qt %s on %s, svg=%s; window %r shown after %s ms, app quit with %s"
      % (imp["count"], qt["qt"], qt["platform"], "svg" in qt["image_formats"], gui["window_title"], ms, gui["exit_code"]))
sys.exit(0 if r["ok"] else 1)' || die "GUI self-check reported a failure"

step "GUI offscreen: plain 'zhilian' stays up for 5 s (then stopped by timeout)"
set +e
in_root env QT_QPA_PLATFORM=offscreen ZHILIAN_HOME=/tmp/zh timeout 5 /usr/bin/zhilian > "$target/tmp/gui.log" 2>&1
rc=$?
set -e
[ "$rc" -eq 124 ] || { cat "$target/tmp/gui.log" >&2; die "zhilian GUI exited with $rc before the timeout"; }
if grep -qiE "traceback|could not load the qt platform plugin|error while loading shared libraries" "$target/tmp/gui.log"; then
  cat "$target/tmp/gui.log" >&2; die "the GUI printed errors"
fi
echo "ran until stopped, no errors"

step "keyring: with the recommended gnome-keyring installed, secrets go to the Secret Service"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnome-keyring dbus-daemon \
  >> "$ROOT/build/prove-apt.log" 2>&1 || die "could not install gnome-keyring into the root"
kr="$(in_root env XDG_RUNTIME_DIR=/tmp/xdg dbus-run-session -- sh -c '
  mkdir -p -m 700 /tmp/xdg
  echo -n proof | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  ZHILIAN_SELFTEST=keyring /usr/bin/zhilian' 2>/dev/null)" || { echo "$kr"; die "keyring self-check failed"; }
echo "$kr" | .venv/bin/python -c '
import json, sys
r = json.loads(sys.stdin.read())["checks"]["keyring"]
print("stored, read back and deleted a secret through", r["backend"])
sys.exit(0 if r["ok"] and r["backend"].endswith("SecretService.Keyring") else 1)' \
  || { echo "$kr"; die "the frozen app did not use the Secret Service"; }

step "PROVED: the .deb installs into a fresh $suite root with only its declared dependencies and runs there"

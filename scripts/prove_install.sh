#!/usr/bin/env bash
# Proof that the .deb works on a machine that never saw the project:
#   scripts/prove_install.sh [dist/zhilian_<version>_<arch>.deb]
# 1. debootstrap a fresh minimal Debian root (variant minbase, the suite and mirror this
#    machine's apt uses),
# 2. install into it only the .deb and what it declares (apt resolves Depends; no Recommends),
#    and measures what that costs (packages, MiB) and what libgl1 + libegl1 would add (the
#    .deb does not depend on them: no OpenGL/Mesa may come into the root),
# 3. chroot and run the installed app: `zhilian --version`; `zhilian get` from a file server
#    on loopback with --sha256 (and a wrong hash, which must fail); the GUI opening offscreen
#    and quitting (the bundle's self-check), then the plain `zhilian` GUI entry left running
#    offscreen for 5 s; then on a real X server (Xvfb, platform xcb) until its window is
#    mapped, with a screenshot (build/prove-gui-xcb.png),
# 4. then, beyond the declared dependencies, installs the recommended gnome-keyring and checks
#    that the frozen app stores, reads and deletes a secret through the Secret Service,
# 5. installs what every desktop has (shared-mime-info, desktop-file-utils, xdg-utils) and
#    checks the file types: *.meta4 and *.zhilian.yaml resolve to their MIME types, the
#    desktop entry is their handler and never http/https's, and it validates,
# 6. purges the package: no program file left, the file types unregistered.
# Needs root (debootstrap, chroot, mounts), the Debian mirror, Xvfb and xwininfo (setup.sh
# dev). Takes a few minutes the first time; the downloaded packages are cached in
# build/debootstrap-cache.
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
xvfb_pid=""
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  for m in tmp/.X11-unix dev/pts dev proc sys; do
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
chroot "$target" dpkg-query -W -f '${Package}\n' | sort > "$ROOT/build/prove-base.list"
base_pkgs=$(wc -l < "$ROOT/build/prove-base.list")
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
# The footprint: Installed-Size (KiB) of every package apt added for zhilian, in MiB.
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
deps="$(in_root dpkg-query -W -f '${Package}\t${Installed-Size}\n' | awk -F'\t' '
  NR == FNR { base[$1] = 1; next } !($1 in base) && $1 != "zhilian" { s += $2; n++ } END { print n, s }' \
  "$ROOT/build/prove-base.list" -)"
zh_kib="$(in_root dpkg-query -W -f '${Installed-Size}' zhilian)"
echo "footprint: zhilian $(mib "$zh_kib") MiB + ${deps% *} dependency packages $(mib "${deps#* }") MiB"
gl_pkgs="$(in_root dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' \
  | grep -E '^(libgl1|libegl1|libglx|libgl1-mesa|libegl-mesa|libglapi-mesa|libgbm|libllvm|mesa-)' || true)"
[ -z "$gl_pkgs" ] || die "OpenGL/Mesa packages came in although the .deb does not need them: $gl_pkgs"
# What the libGL dependency of earlier builds (Depends: libgl1, libegl1) would add on top.
mapfile -t gl_add < <(in_root apt-get -s -q install --no-install-recommends libgl1 libegl1 | awk '/^Inst /{ print $2 }')
[ "${#gl_add[@]}" -gt 0 ] || die "apt could not simulate installing libgl1 libegl1"
sizes="$(in_root apt-cache show --no-all-versions "${gl_add[@]}" | awk '
  /^Package:/ { p = $2 } /^Installed-Size:/ { s += $2; if (p ~ /^libllvm/) l += $2 } END { print s, l + 0 }')"
echo "no libGL/Mesa in the root; libgl1 + libegl1 would add ${#gl_add[@]} packages, $(mib "${sizes% *}") MiB" \
  "(libllvm alone $(mib "${sizes#* }") MiB)"
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

step "GUI on a real X server (Xvfb, platform xcb), without libGL/Mesa in the root"
command -v Xvfb >/dev/null && command -v xwininfo >/dev/null \
  || die "Xvfb and xwininfo are needed: run scripts/setup.sh dev (xvfb, x11-utils)"
for n in $(seq 90 140); do [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break; done
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp > "$ROOT/build/prove-xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 100); do [ -S "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
[ -S "/tmp/.X11-unix/X$n" ] || die "Xvfb did not start (build/prove-xvfb.log)"
mkdir -p "$target/tmp/.X11-unix"
mount --bind /tmp/.X11-unix "$target/tmp/.X11-unix"
# chroot (not the in_root function, which would run in a subshell) execs down to `timeout`,
# so $! is the process that forwards a SIGTERM to the app.
chroot "$target" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DISPLAY=":$n" \
  QT_QPA_PLATFORM=xcb ZHILIAN_HOME=/tmp/zhx timeout 60 /usr/bin/zhilian > "$target/tmp/gui-xcb.log" 2>&1 &
app_pid=$!
wid=""
for _ in $(seq 1 300); do
  # Qt names its hidden helper windows after the app too: take the one that is mapped
  for w in $(xwininfo -display ":$n" -root -tree 2>/dev/null | awk '/"Zhilian":/ { print $1 }'); do
    if xwininfo -display ":$n" -id "$w" 2>/dev/null | grep -q IsViewable; then wid="$w"; break; fi
  done
  [ -n "$wid" ] && break
  kill -0 "$app_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$wid" ] || { cat "$target/tmp/gui-xcb.log" >&2; die "no Zhilian window was mapped on the X server"; }
sleep 1   # let it paint
DISPLAY=":$n" QT_QPA_PLATFORM=xcb .venv/bin/python - "$ROOT/build/prove-gui-xcb.png" <<'PY' \
  || die "the screenshot shows no window"
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
img = app.primaryScreen().grabWindow(0).toImage()
img.save(sys.argv[1])
colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
print(f"screenshot {img.width()}x{img.height()}, {len(colours)} colours: {sys.argv[1]}")
sys.exit(0 if len(colours) > 8 else 1)
PY
kill -0 "$app_pid" 2>/dev/null || { cat "$target/tmp/gui-xcb.log" >&2; die "the GUI exited"; }
kill "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true
if grep -qiE "traceback|could not load the qt platform plugin|error while loading shared libraries|libGL" \
     "$target/tmp/gui-xcb.log"; then
  cat "$target/tmp/gui-xcb.log" >&2; die "the GUI printed errors on xcb"
fi
umount -l "$target/tmp/.X11-unix"
kill "$xvfb_pid" 2>/dev/null || true
xvfb_pid=""
echo "window 'Zhilian' ($wid) mapped on Xvfb through xcb, no libgl1/libegl1/Mesa package in the root"

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

step "desktop integration: file types with shared-mime-info, desktop-file-utils and xdg-utils"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends shared-mime-info \
  desktop-file-utils xdg-utils libfile-mimeinfo-perl libglib2.0-bin >> "$ROOT/build/prove-apt.log" 2>&1 \
  || die "could not install the desktop tools into the root"
# Installed after zhilian, their triggers already saw its files; reinstalling runs its postinst.
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall /tmp/zhilian.deb \
  >> "$ROOT/build/prove-apt.log" 2>&1 || die "reinstalling zhilian failed"
printf 'name: w\nsha256: %064d\ndownload:\n  - url: https://example.com/w.bin\n' 0 > "$target/tmp/weights.zhilian.yaml"
printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
  '<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="w.bin"><url>https://example.com/w.bin</url></file></metalink>' \
  > "$target/tmp/models.meta4"
want_type() {   # FILE TYPE: xdg-mime (generic desktop: File::MimeInfo) and GIO agree
  local got_x got_g
  got_x="$(in_root xdg-mime query filetype "$1")"
  got_g="$(in_root gio info -a standard::content-type "$1" | awk '/content-type/ { print $2 }')"
  [ "$got_x" = "$2" ] && [ "$got_g" = "$2" ] || die "$1: xdg-mime says '$got_x', gio '$got_g', expected $2"
  echo "$1: $2 (xdg-mime and gio)"
}
want_type /tmp/models.meta4 application/metalink4+xml
want_type /tmp/weights.zhilian.yaml application/x-zhilian-manifest
for t in application/metalink4+xml application/x-zhilian-manifest; do
  h="$(in_root xdg-mime query default "$t")"
  [ "$h" = zhilian.desktop ] || die "the handler of $t is '$h', not zhilian.desktop"
  grep -q "^$t=.*zhilian.desktop" "$target/usr/share/applications/mimeinfo.cache" \
    || die "mimeinfo.cache does not list zhilian.desktop for $t"
done
if grep -E '^x-scheme-handler/' "$target/usr/share/applications/mimeinfo.cache" | grep -q zhilian.desktop; then
  die "zhilian.desktop claims a URL scheme"
fi
in_root desktop-file-validate /usr/share/applications/zhilian.desktop || die "the desktop entry is not valid"
echo "zhilian.desktop opens both types (xdg-mime query default, mimeinfo.cache), no URL scheme; it validates"

step "apt purge: no program file left, the file types unregistered"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q zhilian >> "$ROOT/build/prove-apt.log" 2>&1 \
  || die "apt-get purge zhilian failed"
for f in /opt/zhilian /usr/bin/zhilian /usr/share/applications/zhilian.desktop /usr/share/mime/packages/zhilian.xml \
         /usr/share/icons/hicolor/48x48/apps/zhilian.png /usr/share/metainfo/io.github.zhilian.Zhilian.metainfo.xml \
         /usr/share/doc/zhilian; do
  [ ! -e "$target$f" ] || die "$f is still there after the purge"
done
if grep -q zhilian.desktop "$target/usr/share/applications/mimeinfo.cache"; then
  die "mimeinfo.cache still lists zhilian.desktop"
fi
left="$(in_root xdg-mime query filetype /tmp/weights.zhilian.yaml)"
[ "$left" != application/x-zhilian-manifest ] || die "the manifest type is still registered"
echo "purged: /opt/zhilian, the launcher, the entry, icons and MIME file gone; *.zhilian.yaml is $left again"

step "PROVED: the .deb installs into a fresh $suite root with only its declared dependencies and runs there"

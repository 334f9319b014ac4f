#!/usr/bin/env bash
# Builds the Linux installers from a clean checkout, in one command:
#   scripts/build_packages.sh
# -> dist/zhilian/                              the frozen app (PyInstaller one-dir)
#    dist/zhilian_<version>_<arch>.deb           Debian/Ubuntu package (/opt/zhilian, /usr/bin/zhilian)
#    dist/zhilian-<version>-linux-<arch>.tar.gz  portable archive
#    dist/zhilian-browser-<version>.zip          the browser extension (Chromium, Edge, Firefox)
# and prints the budgets (.deb size, installed size, time to first window).
#
# Environment:
#   ZHILIAN_SKIP_SETUP=1   use the existing .venv as it is (no scripts/setup.sh, no pip)
#   ZHILIAN_DIST=DIR       write to DIR instead of dist/ (the build tree goes to DIR/.build)
#   ZHILIAN_NO_BUDGETS=1   skip the time-to-first-window measurement
#   ZHILIAN_DEB_COMPRESS=gzip:1  quick .deb compression for tests (default xz:6, ~1 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DIST="$(realpath -m "${ZHILIAN_DIST:-$ROOT/dist}")"
if [ -n "${ZHILIAN_DIST:-}" ]; then WORK="$DIST/.build"; else WORK="$ROOT/build"; fi
PY="$ROOT/.venv/bin/python"
step() { printf '\n== %s\n' "$*"; }
die() { echo "build_packages: $*" >&2; exit 1; }

if [ "${ZHILIAN_SKIP_SETUP:-0}" != 1 ]; then
  step "setting up .venv (scripts/setup.sh dev) and the build tools (requirements-build.txt)"
  bash scripts/setup.sh dev
  stamp=".venv/.installed-build"
  want="$(cat requirements.txt requirements-dev.txt requirements-build.txt | sha256sum | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$PY" -m pip install -q --disable-pip-version-check -r requirements-build.txt
    echo "$want" > "$stamp"
  fi
fi
for tool in dpkg-deb dpkg-shlibdeps objdump; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/setup.sh dev (dpkg-dev, binutils)"
done
"$PY" -c 'import PyInstaller' 2>/dev/null || die "PyInstaller is missing: pip install -r requirements-build.txt"

VERSION="$("$PY" -c 'import re,sys; print(re.search(r"^__version__\s*=\s*[\"\x27]([^\"\x27]+)", open("core/__init__.py").read(), re.M).group(1))')"
ARCH="$(dpkg --print-architecture)"
UNAME_ARCH="$(uname -m)"
DEB="$DIST/zhilian_${VERSION}_${ARCH}.deb"
TGZ="$DIST/zhilian-${VERSION}-linux-${UNAME_ARCH}.tar.gz"
mkdir -p "$DIST" "$WORK"

step "rendering icons"
rm -rf "$WORK/icons"
QT_QPA_PLATFORM=offscreen "$PY" packaging/make_icons.py "$WORK/icons" >/dev/null

step "freezing the app with PyInstaller (version $VERSION)"
t0=$(date +%s)
rm -rf "$DIST/zhilian"
ZHILIAN_ICONS_DIR="$WORK/icons" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$DIST" --workpath "$WORK/pyinstaller" build.spec
echo "frozen in $(( $(date +%s) - t0 )) s: $DIST/zhilian ($(du -sh "$DIST/zhilian" | cut -f1))"

step "self-check of the frozen app (imports, Qt)"
QT_QPA_PLATFORM=offscreen ZHILIAN_SELFTEST=imports,qt "$DIST/zhilian/zhilian" \
  || die "the frozen app failed its self-check (output above)"
"$DIST/zhilian/zhilian" --version

step "computing the Debian dependencies of the bundle (dpkg-shlibdeps)"
shl="$WORK/shlibdeps"
rm -rf "$shl" && mkdir -p "$shl/debian"
printf 'Source: zhilian\n\nPackage: zhilian\nArchitecture: any\n' > "$shl/debian/control"
mapfile -t elfs < <(find "$DIST/zhilian" -type f \( -name '*.so*' -o -name zhilian \) -exec sh -c \
  'for f; do head -c4 "$f" | grep -q ELF && echo "$f"; done' sh {} +)
mapfile -t libdirs < <(find "$DIST/zhilian" -type f -name '*.so*' -printf '-l%h\n' | sort -u)
shlib_depends="$(cd "$shl" && dpkg-shlibdeps -O --ignore-missing-info "${libdirs[@]}" "${elfs[@]}" 2>"$shl/warnings.log" \
  | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlib_depends" ] || { cat "$shl/warnings.log" >&2; die "dpkg-shlibdeps found no dependencies"; }
# Libraries the bundle ships itself are not dependencies, although dpkg-shlibdeps maps them to
# this system's packages: libglvnd's GL/EGL dispatchers (build.spec says why), recorded by the
# spec in the bundle's manifest. Their packages (libgl1, libegl1, ...) would pull in Mesa.
mapfile -t bundled_libs < <("$PY" -c 'import json, sys
for name, path in json.load(open(sys.argv[1], encoding="utf-8")).get("bundled_system_libs", {}).items():
    print(name + "=" + path)' "$DIST/zhilian/_internal/zhilian-manifest.json")
if [ "${#bundled_libs[@]}" -gt 0 ]; then
  shipped_pkgs="$(for lib in "${bundled_libs[@]}"; do f="${lib#*=}"
      dpkg -S "$f" 2>/dev/null || dpkg -S "${f/#\/usr\/lib\//\/lib\/}" 2>/dev/null || true; done \
    | cut -d: -f1 | tr ', ' '\n\n' | sed '/^$/d' | sort -u | tr '\n' ' ')"
  echo "shipped in the bundle: ${bundled_libs[*]%%=*} (so not depending on: ${shipped_pkgs:-none})"
  shlib_depends="$(echo "$shlib_depends" | tr ',' '\n' | sed 's/^ *//' | while read -r clause; do
    name="${clause%% *}"
    case " $shipped_pkgs " in *" $name "*) ;; *) printf '%s\n' "$clause" ;; esac
  done | paste -sd, - | sed 's/,/, /g')"
fi
# Not linked, but needed at run time: CA certificates for https, fontconfig's configuration.
DEPENDS="$shlib_depends, ca-certificates, fontconfig-config"
echo "Depends: $DEPENDS"

step "assembling the .deb"
root="$WORK/deb/root"
rm -rf "$WORK/deb" && mkdir -p "$root/DEBIAN" "$root/opt" "$root/usr/bin" \
  "$root/usr/share/applications" "$root/usr/share/doc/zhilian" "$root/usr/share/icons" \
  "$root/usr/share/metainfo" "$root/usr/share/mime/packages"
cp -a "$DIST/zhilian" "$root/opt/zhilian"
install -m 0755 packaging/linux/zhilian.sh "$root/usr/bin/zhilian"
install -m 0644 packaging/linux/zhilian.desktop "$root/usr/share/applications/zhilian.desktop"
install -m 0644 packaging/linux/zhilian-mime.xml "$root/usr/share/mime/packages/zhilian.xml"
install -m 0755 packaging/linux/postinst packaging/linux/postrm "$root/DEBIAN/"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$root/usr/share/applications/zhilian.desktop" || die "the desktop entry is not valid"
fi
install -m 0644 packaging/linux/io.github.zhilian.Zhilian.metainfo.xml "$root/usr/share/metainfo/io.github.zhilian.Zhilian.metainfo.xml"
cp -r "$WORK/icons/hicolor" "$root/usr/share/icons/hicolor"
install -m 0644 packaging/linux/copyright "$root/usr/share/doc/zhilian/copyright"
find "$root" -type d -exec chmod 0755 {} +
find "$root/usr/share" -type f -exec chmod 0644 {} +
installed_kb="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$installed_kb/" \
    -e "s/@DEPENDS@/$DEPENDS/" packaging/linux/control.in > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  > "$root/DEBIAN/md5sums"
rm -f "$DEB"
comp="${ZHILIAN_DEB_COMPRESS:-xz:6}"
dpkg-deb --root-owner-group "-Z${comp%%:*}" "-z${comp##*:}" --build "$root" "$DEB" >/dev/null
dpkg-deb --info "$DEB" | sed -n '1,4p'

step "assembling the portable .tar.gz"
pname="zhilian-${VERSION}-linux-${UNAME_ARCH}"
prt="$WORK/portable/$pname"
rm -rf "$WORK/portable" && mkdir -p "$prt"
cp -a "$DIST/zhilian/." "$prt/"
# Desktop integration for ./install-user.sh: the same files the .deb puts under /usr/share.
mkdir -p "$prt/share/applications" "$prt/share/mime/packages" "$prt/share/icons"
cp packaging/linux/zhilian.desktop "$prt/share/applications/zhilian.desktop"
cp packaging/linux/zhilian-mime.xml "$prt/share/mime/packages/zhilian.xml"
cp -r "$WORK/icons/hicolor" "$prt/share/icons/hicolor"
install -m 0755 packaging/linux/install-user.sh packaging/linux/uninstall-user.sh "$prt/"
cat > "$prt/README.txt" <<EOF
Zhilian $VERSION, portable build for Linux ($UNAME_ARCH).

Run ./zhilian (desktop app) or ./zhilian get URL (command line). Nothing is installed.
To add it to your desktop menu (for you only, no root: menu entry, icon, the file types
*.meta4 and *.zhilian.yaml, and a \`zhilian\` command in ~/.local/bin):
  ./install-user.sh          (undo with ./uninstall-user.sh; run it again after moving the folder)
To keep settings and downloads inside this folder, start it with ZHILIAN_HOME set:
  ZHILIAN_HOME="\$PWD/data" ./zhilian

System libraries it needs (Debian/Ubuntu package names):
  $DEPENDS
Secrets (account tokens) are stored in the desktop keyring (GNOME Keyring, KWallet, KeePassXC).
EOF
rm -f "$TGZ"
tar -C "$WORK/portable" --owner=0 --group=0 --numeric-owner -czf "$TGZ" "$pname"

step "packing the browser extension"
BROWSER_ZIP="$DIST/zhilian-browser-${VERSION}.zip"
"$PY" packaging/browser_zip.py "$BROWSER_ZIP" "$VERSION"

step "budgets"
deb_bytes=$(stat -c %s "$DEB")
tgz_bytes=$(stat -c %s "$TGZ")
verdict() { if [ "$1" -lt "$2" ]; then echo ok; else echo OVER; fi; }
printf '%-34s %12s %13s  %s\n' "budget" "measured" "limit" "verdict"
# MiB = 2^20 bytes. The limits are the original 80 MB and 200 MB (10^6 bytes), shown in MiB.
mib() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1048576 }'; }
deb_limit=80000000 inst_limit=200000000
printf '%-34s %8s MiB %9s MiB  %s\n' ".deb size" "$(mib "$deb_bytes")" "$(mib $deb_limit)" "$(verdict "$deb_bytes" $deb_limit)"
printf '%-34s %8s MiB %9s MiB  %s\n' "installed size" "$(mib $((installed_kb * 1024)))" "$(mib $inst_limit)" \
  "$(verdict $((installed_kb * 1024)) $inst_limit)"
printf '%-34s %8s MiB %13s\n' "portable .tar.gz size" "$(mib "$tgz_bytes")" "-"
if [ "${ZHILIAN_NO_BUDGETS:-0}" != 1 ]; then
  "$PY" packaging/first_window.py "$DIST/zhilian/zhilian" --runs 5 --limit-ms 1500
fi
echo
echo "built: $DEB"
echo "       $TGZ"
echo "       $BROWSER_ZIP"

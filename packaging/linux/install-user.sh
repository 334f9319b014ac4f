#!/bin/sh
# Shipped in the portable Zhilian .tar.gz. Adds this unpacked folder to your desktop, for you
# only (no root): a menu entry that starts ./zhilian from here, the app icon, the file types
# Zhilian opens (*.meta4, *.zhilian.yaml) and a `zhilian` command in ~/.local/bin.
#
#   ./install-user.sh               install (again: after moving the folder, run it again)
#   ./install-user.sh --uninstall   remove what it installed (same as ./uninstall-user.sh)
#
# Files go under ${XDG_DATA_HOME:-~/.local/share} (applications/zhilian.desktop,
# icons/hicolor/*/apps/zhilian.*, mime/packages/zhilian.xml) and ~/.local/bin/zhilian.
# The folder itself is never changed; delete it after uninstalling to remove the app.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
desktop="$data/applications/zhilian.desktop"
marker="# Written by install-user.sh for $here"

# Paths may hold backslashes: print with printf (dash's echo would read them as escapes).
say() { printf '%s\n' "$*"; }
die() { say "install-user.sh: $*" >&2; exit 1; }
refresh() {
  # The desktop re-reads these caches; the tools come with every desktop (skipped if absent).
  if command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$data/mime" >/dev/null 2>&1 || true
  fi
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" || true
  fi
}

uninstall() {
  if [ -f "$desktop" ] && ! grep -qxF "$marker" "$desktop"; then
    say "install-user.sh: $desktop belongs to another Zhilian folder; left alone" >&2
    return 0
  fi
  rm -f "$desktop" "$data/mime/packages/zhilian.xml"
  for icon in "$data"/icons/hicolor/*/apps/zhilian.png "$data"/icons/hicolor/*/apps/zhilian.svg; do
    if [ -f "$icon" ]; then rm -f "$icon"; fi
  done
  if [ -L "$bin/zhilian" ] && [ "$(readlink "$bin/zhilian")" = "$here/zhilian" ]; then
    rm -f "$bin/zhilian"
  fi
  refresh
  say "Zhilian removed from your desktop menu. Delete $here to remove the app itself."
}

install() {
  [ -x "$here/zhilian" ] || die "$here/zhilian is missing: run the script from the unpacked folder"
  # A line break cannot be written in a desktop entry; a % is written as %%, which GLib (GNOME's
  # launcher) does not undo before it looks for the program, so it would never start.
  case "$here" in *"
"*|*%*) die "the folder's path contains a line break or a %; move the folder somewhere else first" ;; esac
  mkdir -p "$data/applications" "$data/mime/packages"
  # Exec= takes the path double-quoted, with \ " ` $ backslash-escaped, and the value as a
  # whole escapes \ once more (Desktop Entry Specification, "The Exec key").
  exec_path=$(printf '%s' "$here/zhilian" | sed -e 's/[\\"`$]/\\&/g' -e 's/\\/\\\\/g')
  try_path=$(printf '%s' "$here/zhilian" | sed -e 's/\\/\\\\/g')
  tmp="$desktop.tmp.$$"
  {
    say "$marker"
    sed -e "s|^Exec=.*|Exec=\"$(printf '%s' "$exec_path" | sed 's/[|&\\]/\\&/g')\" %U|" \
        -e "s|^TryExec=.*|TryExec=$(printf '%s' "$try_path" | sed 's/[|&\\]/\\&/g')|" \
        "$here/share/applications/zhilian.desktop"
  } > "$tmp"
  mv -f "$tmp" "$desktop"
  for src in "$here"/share/icons/hicolor/*/apps/zhilian.*; do
    size=$(basename "$(dirname "$(dirname "$src")")")
    mkdir -p "$data/icons/hicolor/$size/apps"
    cp -f "$src" "$data/icons/hicolor/$size/apps/"
  done
  cp -f "$here/share/mime/packages/zhilian.xml" "$data/mime/packages/zhilian.xml"
  mkdir -p "$bin"
  if [ ! -e "$bin/zhilian" ] || [ -L "$bin/zhilian" ]; then
    ln -sfn "$here/zhilian" "$bin/zhilian"
  else
    say "install-user.sh: $bin/zhilian exists and is not a link; the command was not added" >&2
  fi
  refresh
  say "Zhilian is in your desktop menu (it runs $here/zhilian)."
  case ":$PATH:" in
    *":$bin:"*) say "Command line: zhilian get URL" ;;
    *) say "Command line: $bin/zhilian get URL ($bin is not on your PATH)" ;;
  esac
  say "To undo: $here/uninstall-user.sh"
}

case "${1:-}" in
  ""|--install) install ;;
  --uninstall) uninstall ;;
  -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown option $1 (use --uninstall to remove)" ;;
esac

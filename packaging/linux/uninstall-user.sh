#!/bin/sh
# Shipped in the portable Zhilian .tar.gz: removes what ./install-user.sh added for you (menu
# entry, icons, file types, ~/.local/bin/zhilian). The unpacked folder itself stays.
exec "$(dirname "$0")/install-user.sh" --uninstall

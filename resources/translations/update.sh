#!/usr/bin/env bash
# Refreshes the translation catalogues from the GUI sources and compiles them:
#   resources/translations/update.sh        (run from anywhere; needs the .venv)
# zhilian_zh_CN.ts: every visible string in Simplified Chinese.
# zhilian_en.ts:    only the plural forms of the English source strings ("1 link", "2 links").
# lupdate keeps existing translations; new strings show up as unfinished in the .ts files
# (translate them with pyside6-linguist or by hand), then this script compiles the .qm files.
# tests/gui/test_gui_translations.py fails while a string is missing or unfinished.
set -euo pipefail
cd "$(dirname "$0")/../.."
files=$(ls gui/*.py | grep -v -e '__init__.py')
# shellcheck disable=SC2086
.venv/bin/pyside6-lupdate $files -no-obsolete -target-language zh_CN -ts resources/translations/zhilian_zh_CN.ts
# shellcheck disable=SC2086
.venv/bin/pyside6-lupdate $files -no-obsolete -pluralonly -target-language en -ts resources/translations/zhilian_en.ts
for lang in zh_CN en; do
  .venv/bin/pyside6-lrelease "resources/translations/zhilian_$lang.ts" -qm "resources/translations/zhilian_$lang.qm"
done

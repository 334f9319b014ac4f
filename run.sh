#!/usr/bin/env bash
# Sets up everything the app needs (first run only) and starts Zhilian.
# Any arguments go to main.py, e.g. ./run.sh get URL  or  ./run.sh run
set -euo pipefail
# Messages that say what to run next name this script, as it was typed (core/invocation.py).
case "$0" in
  */*) ZHILIAN_PROG="$0" ;;
  *) ZHILIAN_PROG="bash $0" ;;
esac
export ZHILIAN_PROG
cd "$(dirname "$0")"
bash scripts/setup.sh app
exec .venv/bin/python main.py "$@"

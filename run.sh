#!/usr/bin/env bash
# Sets up everything the app needs (first run only) and starts Zhilian.
# Any arguments go to main.py, e.g. ./run.sh get URL  or  ./run.sh run
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh app
exec .venv/bin/python main.py "$@"

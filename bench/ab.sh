#!/usr/bin/env bash
# Before/after in one sitting: runs each of the given benchmark scripts from an older
# checkout and from this one, alternating which goes first, ROUNDS times, and keeps every
# table in OUT (one file per bench, checkout and round) for side-by-side reading.
#   git worktree add --detach /tmp/zbase <older commit> && ln -s "$PWD/.venv" /tmp/zbase/.venv
#   ROUNDS=2 OUT=/tmp/ab bench/ab.sh /tmp/zbase "mirrors.py --runs 2" "queue_scale.py --runs 2"
# Both checkouts run with this checkout's .venv. Prints the path of each table as it goes.
set -euo pipefail
base="$(cd "$1" && pwd)"; shift
here="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-2}"; out="${OUT:-/tmp/zhilian-ab}"
mkdir -p "$out"
# both trees byte-compiled first, as an installed app is (see precompile in bench/_util.py)
"$here/.venv/bin/python" -m compileall -q "$base/core" "$base/gui" "$here/core" "$here/gui" >/dev/null
for spec in "$@"; do
  read -r script args <<<"$spec"
  for ((r = 1; r <= rounds; r++)); do
    order=(base here); ((r % 2 == 0)) && order=(here base)
    for which in "${order[@]}"; do
      dir="$base"; [ "$which" = here ] && dir="$here"
      log="$out/${script%.py}.$which.$r.txt"
      # shellcheck disable=SC2086
      (cd "$dir" && "$here/.venv/bin/python" "bench/$script" $args) >"$log" 2>&1 || echo "failed: $log"
      echo "$log"
    done
  done
done

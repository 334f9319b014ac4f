#!/bin/sh
# Launcher installed as /usr/bin/zhilian: the app itself lives in /opt/zhilian.
# Its messages ("`zhilian run` downloads them") name the command on PATH, not /opt/zhilian.
ZHILIAN_PROG="${ZHILIAN_PROG:-zhilian}"
export ZHILIAN_PROG
exec /opt/zhilian/zhilian "$@"

#!/bin/sh
# Launcher installed as /usr/bin/zhilian: the app itself lives in /opt/zhilian.
exec /opt/zhilian/zhilian "$@"

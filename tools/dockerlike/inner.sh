#!/usr/bin/env bash
here="$(cd "$(dirname "$0")" && pwd)"
mount -o remount,bind,ro /sys/fs/cgroup || exit 1
exec python3 "$here/seccomp_wrap.py" capsh --drop="$(cat "$here/drop")" \
    --shell="$here/exec.sh" -- "$@"

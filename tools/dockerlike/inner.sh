#!/usr/bin/env bash
# In run.sh's private mount namespace: the container's filesystem, then its restrictions.
set -e
here="$(cd "$(dirname "$0")" && pwd)"
mount -o remount,bind,ro /sys/fs/cgroup

# show_as DIR MODE: DIR with another mode, its contents unchanged (a tmpfs of that mode at
# DIR, holding a bind mount of each entry of the real one; what is made at its top level
# later stays in the tmpfs).
show_as() {
    local real="/run/dockerlike$1"
    mkdir -p "$real"
    mount --bind "$1" "$real"
    mount -t tmpfs -o "mode=$2" dockerlike "$1"
    for entry in "$real"/.[!.]* "$real"/*; do
        [ -e "$entry" ] || [ -L "$entry" ] || continue
        local name
        name="$1/$(basename "$entry")"
        if [ -L "$entry" ]; then cp -P "$entry" "$name"; continue; fi
        if [ -d "$entry" ]; then mkdir "$name"; else touch "$name"; fi
        mount --bind "$entry" "$name"
    done
}
# As in a Docker image: Python (here under /root) readable by other users, /tmp world-writable.
show_as /root 0711
show_as /tmp 1777
set +e
if [ -n "${DOCKERLIKE_USER:-}" ]; then
    exec python3 "$here/seccomp_wrap.py" setpriv --reuid="$DOCKERLIKE_USER" \
        --regid="$DOCKERLIKE_USER" --init-groups --reset-env -- \
        env "PATH=$PATH" HOME=/tmp ${GRADER_LANDLOCK_ABI:+GRADER_LANDLOCK_ABI=$GRADER_LANDLOCK_ABI} "$@"
fi
exec python3 "$here/seccomp_wrap.py" capsh --drop="$(cat "$here/drop")" \
    --shell="$here/exec.sh" -- "$@"

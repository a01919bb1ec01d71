#!/usr/bin/env bash
# run.sh CMD...: run CMD the way a Docker container with the default profile would run it:
# the cgroup filesystem read-only, no new namespaces (seccomp), Docker's capabilities only,
# and, as in a Docker image, Python readable by other users and /tmp world-writable (/root
# and /tmp are shown with those modes, their contents unchanged). Used to exercise the
# grader where namespaces are refused (the confined level). Needs root, unshare, capsh and
# setpriv. Knobs (environment):
#   DOCKERLIKE_LANDLOCK=0    the seccomp filter refuses Landlock too (an older profile)
#   DOCKERLIKE_USER=NAME     run CMD as that user instead of root (no capabilities at all)
here="$(cd "$(dirname "$0")" && pwd)"
exec unshare -m --propagation private "$here/inner.sh" "$@"

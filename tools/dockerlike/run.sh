#!/usr/bin/env bash
# run.sh CMD...: run CMD (as root) the way a Docker container with the default profile would:
# the cgroup filesystem read-only, no new namespaces (seccomp), Docker's capabilities only.
# Used to exercise the grader where namespaces are refused (issue 14); needs capsh.
here="$(cd "$(dirname "$0")" && pwd)"
exec unshare -m --propagation private "$here/inner.sh" "$@"

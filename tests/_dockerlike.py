"""Running a command in tools/dockerlike/run.sh: as in a Docker container with the default
profile (namespaces refused, Docker's capabilities, the cgroup filesystem read-only), where
the grader gets the confined isolation level. Shared by the tests that need that place."""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RUN_SH = REPO / "tools" / "dockerlike" / "run.sh"


@functools.cache
def unavailable() -> str | None:
    """Why the harness cannot run here, or None."""
    if not sys.platform.startswith("linux"):
        return "the Docker-like harness is Linux-only"
    if os.geteuid() != 0:
        return "the Docker-like harness needs root (it makes a mount namespace)"
    missing = [tool for tool in ("unshare", "capsh", "setpriv") if shutil.which(tool) is None]
    if missing:
        return f"the Docker-like harness needs {', '.join(missing)} (apt-get install " \
               "util-linux libcap2-bin)"
    probe = subprocess.run([str(RUN_SH), "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return f"the Docker-like harness does not start here: {probe.stderr.strip()[-300:]}"
    return None


def require() -> None:
    """Skip, saying why, where the harness cannot run."""
    why = unavailable()
    if why:
        pytest.skip(why)


def other_user() -> str:
    """A user other than root to run as in the harness (the tests' ``tester``, or nobody)."""
    for name in ("tester", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    pytest.skip("no user other than root to run as (tester or nobody)")
    raise AssertionError  # (unreachable)


def run(command: list[str], env: dict[str, str] | None = None, timeout: float = 600,
        cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """``command`` in the harness, with ``env`` added to this process's environment (the
    harness's knobs among it: DOCKERLIKE_LANDLOCK, DOCKERLIKE_USER)."""
    return subprocess.run([str(RUN_SH), *command], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})

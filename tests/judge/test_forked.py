"""Running the instructor's fallible code (grader.judge.forked): in a fork on Linux, in a
thread elsewhere. Either way a known-wrong answer that raises, exits or loops costs only its
own result."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import pytest

from grader.judge import forked


def _raises() -> bytes:
    raise ValueError("a wrong answer that fails")


def _exits() -> bytes:
    sys.exit(3)


def _loops() -> bytes:
    end = time.monotonic() + 3.0  # (long past the timeout; a thread left behind ends then)
    while time.monotonic() < end:
        time.sleep(0.01)
    return b"too late"


RUNNERS = [pytest.param(forked.run_forked, id="fork"),
           pytest.param(forked._in_a_thread, id="thread")]


@pytest.mark.parametrize("run", RUNNERS)
def test_its_bytes_come_back(run: Callable[[Callable[[], bytes], float], bytes | None]) -> None:
    if run is forked.run_forked and not hasattr(os, "fork"):
        pytest.skip("no fork here")
    assert run(lambda: b"x" * 200_000, 10.0) == b"x" * 200_000


@pytest.mark.parametrize("run", RUNNERS)
@pytest.mark.parametrize("work", [_raises, _exits, _loops])
def test_a_failure_or_a_loop_is_no_result(run: Callable[[Callable[[], bytes], float],
                                                        bytes | None],
                                          work: Callable[[], bytes]) -> None:
    if run is forked.run_forked and not hasattr(os, "fork"):
        pytest.skip("no fork here")
    start = time.monotonic()
    assert run(work, 0.3) is None
    assert time.monotonic() - start < 3.0


def test_a_time_limit_off_the_main_thread_is_no_limit_and_no_error() -> None:
    # (off Linux known-wrong answers run in a thread, where no signal handler can be set)
    done: list[str] = []

    def work() -> None:
        with forked.time_limit(0.01):
            time.sleep(0.05)
        done.append("ran to the end")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert done == ["ran to the end"]

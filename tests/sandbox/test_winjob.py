"""The Windows job a worker runs in (grader.sandbox.winjob). Its calls run on Windows only
(the workflow's Windows jobs); here, the layout of the structure the kernel reads, and that
elsewhere there is no job (a process group stands in)."""

from __future__ import annotations

import ctypes
import sys

import pytest

from grader.sandbox import winjob


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the 64-bit layout")
def test_the_limits_have_windows_own_layout() -> None:
    # JOBOBJECT_EXTENDED_LIMIT_INFORMATION: 144 bytes on 64-bit Windows, the basic part 64,
    # the memory limit for the whole job at offset 120.
    assert ctypes.sizeof(winjob.ExtendedLimits) == 144
    assert winjob.ExtendedLimits.IoInfo.offset == 64
    assert winjob.ExtendedLimits.JobMemoryLimit.offset == 120


def test_the_limits_kill_on_close_and_cap_what_is_asked() -> None:
    capped = winjob.limits(2 << 30, 64)
    assert capped.JobMemoryLimit == 2 << 30
    assert capped.BasicLimitInformation.ActiveProcessLimit == 64
    assert capped.BasicLimitInformation.LimitFlags == 0x2000 | 0x400 | 0x200 | 0x8
    assert winjob.limits(None, None).BasicLimitInformation.LimitFlags == 0x2000 | 0x400


@pytest.mark.skipif(sys.platform == "win32", reason="elsewhere only")
def test_elsewhere_there_is_no_job() -> None:
    assert winjob.contain(1234, 1 << 30, 64) is None

"""A Windows Job Object per worker: what Windows offers for a process group and limits.

A worker started on Windows (:class:`grader.sandbox.launch.SpawnLauncher`) is put in a job of
its own before it is sent anything, so before any student code runs. Everything it starts
joins the job. Ending the job ends them all, where ``TerminateProcess`` would end the worker
alone; and since the job is made to kill on close, they all end too when the grader dies
(the handle is closed by Windows then). The job also caps the memory of all of its processes
together, and a crash ends a process at once instead of waiting in an error dialog.

Elsewhere :func:`contain` returns None: POSIX has process groups and resource limits.
Any failure of the calls also returns None (the caller then ends the worker alone), so that
a Windows where jobs are refused still grades.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

_WINDOWS: bool = sys.platform == "win32"  # (a plain bool: type-checked on every platform)
_EXTENDED_LIMIT_INFORMATION = 9  # JobObjectExtendedLimitInformation
_KILL_ON_JOB_CLOSE = 0x2000
_DIE_ON_UNHANDLED_EXCEPTION = 0x400
_JOB_MEMORY = 0x200
_ACTIVE_PROCESS = 0x8


class _Basic(ctypes.Structure):
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", ctypes.c_uint32),
                ("SchedulingClass", ctypes.c_uint32)]


class _IoCounters(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class ExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on 64-bit Windows)."""

    _fields_ = [("BasicLimitInformation", _Basic),
                ("IoInfo", _IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t)]


def limits(memory: int | None, processes: int | None) -> ExtendedLimits:
    """What a worker's job allows: ``memory`` bytes for all its processes together, at most
    ``processes`` of them (None: no cap); killed on close; no error dialog on a crash."""
    info = ExtendedLimits()
    basic = info.BasicLimitInformation
    basic.LimitFlags = _KILL_ON_JOB_CLOSE | _DIE_ON_UNHANDLED_EXCEPTION
    if memory is not None:
        basic.LimitFlags |= _JOB_MEMORY
        info.JobMemoryLimit = memory
    if processes is not None:
        basic.LimitFlags |= _ACTIVE_PROCESS
        basic.ActiveProcessLimit = processes
    return info


def _kernel32() -> Any:
    dll: Any = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = ctypes.c_void_p
    dll.CreateJobObjectW.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p]
    dll.CreateJobObjectW.restype = handle
    dll.SetInformationJobObject.argtypes = [handle, ctypes.c_int, ctypes.c_void_p,
                                            ctypes.c_uint32]
    dll.AssignProcessToJobObject.argtypes = [handle, handle]
    dll.TerminateJobObject.argtypes = [handle, ctypes.c_uint]
    dll.CloseHandle.argtypes = [handle]
    return dll


class Job:
    """One worker's job: :meth:`kill` ends every process in it."""

    def __init__(self, kernel32: Any, handle: int) -> None:
        self.kernel32 = kernel32
        self.handle: int | None = handle

    def kill(self) -> None:
        if self.handle is not None:
            self.kernel32.TerminateJobObject(self.handle, 1)
            self.kernel32.CloseHandle(self.handle)  # (kill on close: what is left ends too)
            self.handle = None


def contain(process_handle: int, memory: int | None, processes: int | None) -> Job | None:
    """Put the process (its Windows handle) in a new job with :func:`limits`; None where
    there are no jobs (not Windows) or the calls fail."""
    if not _WINDOWS:
        return None
    try:
        kernel32 = _kernel32()
        handle = kernel32.CreateJobObjectW(None, None)
        if not handle:
            return None
        info = limits(memory, processes)
        if not (kernel32.SetInformationJobObject(handle, _EXTENDED_LIMIT_INFORMATION,
                                                 ctypes.byref(info), ctypes.sizeof(info))
                and kernel32.AssignProcessToJobObject(handle, process_handle)):
            kernel32.CloseHandle(handle)
            return None
    except (OSError, AttributeError, ValueError):
        return None
    return Job(kernel32, handle)

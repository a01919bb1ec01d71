"""Make this interpreter lack what Windows lacks, so that the grader's portable path runs here.

Loaded at start-up by a ``.pth`` file in a throw-away virtual environment
(tests/sandbox/test_portable.py), so it also applies to every student process the grader
starts with that environment's Python (``python -I`` still reads site-packages' ``.pth``
files). After it has run:

- the POSIX-only modules (``resource``, ``fcntl``, ``termios``, ``pwd``, ``grp``) cannot be
  imported;
- the POSIX-only calls and constants are gone: ``os.fork``, ``os.killpg``, ``os.setsid``,
  uids, ``os.set_blocking`` (Windows before 3.12 has none), pidfds, ``signal.SIGKILL`` and
  the timer signals, ``socket.send_fds`` and AF_UNIX, ``select.poll`` and its kin;
- ``select.select`` accepts sockets only, as on Windows;
- ``subprocess.Popen`` refuses ``pass_fds`` and ``preexec_fn`` as Windows does, ignores
  ``start_new_session`` (Windows has no sessions), and kills as Windows' TerminateProcess
  does: the process itself, never its children.

Only the names are taken away; what remains behaves as on Linux (pipes are still POSIX
pipes). That is the point: an import or an attribute that Windows lacks fails here first.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import stat
import sys

for _name in ("resource", "fcntl", "termios", "pwd", "grp"):
    sys.modules[_name] = None  # type: ignore[assignment]  # (import raises ImportError)


def _remove(module: object, names: tuple[str, ...]) -> None:
    for name in names:
        if hasattr(module, name):
            delattr(module, name)


# Before subprocess is imported: it picks its selector (poll, or select) then.
_remove(select, ("poll", "epoll", "devpoll", "kqueue", "kevent", "PIPE_BUF"))
_select = select.select


def _sockets_only(rlist, wlist, xlist, *timeout):  # type: ignore[no-untyped-def]
    for item in (*rlist, *wlist, *xlist):
        fd = item if isinstance(item, int) else item.fileno()
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            raise OSError(10038, "An operation was attempted on something that is not a "
                                 "socket (select on Windows takes sockets only)")
    return _select(rlist, wlist, xlist, *timeout)


select.select = _sockets_only

import subprocess  # noqa: E402

for _module, _names in (
    (os, ("fork", "forkpty", "register_at_fork", "killpg", "getpgid", "setpgid", "setsid",
          "getsid", "pidfd_open", "getuid", "geteuid", "getgid", "getegid", "setuid",
          "setgid", "seteuid", "setegid", "setgroups", "getgroups", "chown", "lchown",
          "fchown", "sched_getaffinity", "set_blocking", "get_blocking", "O_NONBLOCK",
          "wait3", "wait4")),
    (signal, ("SIGKILL", "SIGALRM", "SIGCHLD", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2",
              "SIGPIPE", "SIGSTOP", "SIGCONT", "setitimer", "getitimer", "alarm", "pause",
              "pidfd_send_signal", "siginterrupt", "ITIMER_REAL", "pthread_kill",
              "pthread_sigmask", "sigwait")),
    (socket, ("send_fds", "recv_fds", "AF_UNIX", "SOCK_SEQPACKET", "sethostname")),
):
    _remove(_module, _names)

_init = subprocess.Popen.__init__


def _windows_popen(self, args, *rest, pass_fds=(), preexec_fn=None,  # type: ignore[no-untyped-def]
                   start_new_session=False, process_group=None, **kwargs):
    assert not pass_fds, "pass_fds not supported on Windows."
    if preexec_fn is not None:
        raise ValueError("preexec_fn is not supported on Windows platforms")
    _init(self, args, *rest, **kwargs)


def _terminate(self) -> None:  # type: ignore[no-untyped-def]
    """TerminateProcess: this process only (signal 9 stands for it here)."""
    if self.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, 9)


subprocess.Popen.__init__ = _windows_popen  # type: ignore[method-assign]
subprocess.Popen.kill = _terminate  # type: ignore[method-assign]
subprocess.Popen.terminate = _terminate  # type: ignore[method-assign]

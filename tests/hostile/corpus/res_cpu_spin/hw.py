"""Hostile submission res_cpu_spin: Spins on the CPU, ignoring SIGTERM, SIGINT, SIGHUP and
SIGXCPU.

Hostile part: pair(); the other parts are correct and never call it.
"""

import numpy as np
import signal


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        try:
            pass
        except BaseException:
            pass

"""Hostile submission crash_sigkill_self: Kills its own process with SIGKILL.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np
import os
import signal


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    os.kill(os.getpid(), signal.SIGKILL)


def pair(x):
    return float(np.sum(x)), 2 * x

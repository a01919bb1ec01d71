"""Hostile submission forge_close_fds: Closes every file descriptor, the grader's pipes
included.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


def scale(x, c):
    os.closerange(0, 1 << 16)
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

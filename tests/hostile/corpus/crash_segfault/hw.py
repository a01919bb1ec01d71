"""Hostile submission crash_segfault: Dereferences a NULL pointer through ctypes.

Hostile part: norm(); the other parts are correct and never call it.
"""

import ctypes
import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(len(ctypes.string_at(0)))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Hostile submission import_os_exit: Calls os._exit(0) at import.

Fails at import time: every part scores 0.
"""

import numpy as np
import os


os._exit(0)


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Hostile submission crash_os_exit_call: Calls os._exit(0) in the middle of a call.

Hostile part: pair(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    os._exit(0)

"""Hostile submission crash_sys_exit_call: Calls sys.exit(0) in a call, before the grader can
compare anything.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np
import sys


def add(a, b):
    sys.exit(0)


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

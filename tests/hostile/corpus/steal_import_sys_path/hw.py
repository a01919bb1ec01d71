"""Hostile submission steal_import_sys_path: Puts the reference folder on sys.path and imports
the reference solution.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np
import sys


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    sys.path[:0] = ["@@ASSIGNMENT@@/reference", "@@REPO@@/tests/hostile/assignment/reference"]
    import solution

    return solution.norm(x)


def pair(x):
    return float(np.sum(x)), 2 * x

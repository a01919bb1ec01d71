"""Hostile submission res_recursion_error: Unbounded Python recursion (the recursion limit stops
it).

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return norm(x) + 0.0


def pair(x):
    return float(np.sum(x)), 2 * x

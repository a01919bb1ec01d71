"""Hostile submission forge_none: Returns None.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    np.sqrt(np.sum(np.square(x)))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Hostile submission forge_oversized_output: Returns a 200 MB array (far above the reply size
cap).

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return np.zeros(25_000_000)


def pair(x):
    return float(np.sum(x)), 2 * x

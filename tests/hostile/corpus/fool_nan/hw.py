"""Hostile submission fool_nan: Returns NaN everywhere.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return np.full(np.shape(x), np.nan)


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Hostile submission fool_shape_for_scalar: Returns a shape (1,) array where a scalar is
expected.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return np.array([np.sqrt(np.sum(np.square(x)))])


def pair(x):
    return float(np.sum(x)), 2 * x

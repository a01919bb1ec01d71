"""Hostile submission fool_broadcast_dims: Returns the right values with an extra leading axis,
which would broadcast.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return (a + b)[np.newaxis, ...]


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

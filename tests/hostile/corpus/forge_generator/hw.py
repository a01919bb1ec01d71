"""Hostile submission forge_generator: Returns a generator object.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return (u + v for u, v in zip(a, b))


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

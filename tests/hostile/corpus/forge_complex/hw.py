"""Hostile submission forge_complex: Returns complex numbers.

Hostile part: pair(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return complex(np.sum(x), 0.0), (2 * x).astype(complex)

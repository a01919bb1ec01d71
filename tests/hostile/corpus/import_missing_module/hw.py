"""Hostile submission import_missing_module: Imports a module that does not exist.

Fails at import time: every part scores 0.
"""

import numpy as np


import numpy_extensions_for_homework  # noqa: F401


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

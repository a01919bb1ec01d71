"""Hostile submission crash_abort: Calls os.abort().

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


def scale(x, c):
    os.abort()


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Hostile submission import_memory_error: Allocates 50 GB at import.

Fails at import time: every part scores 0.
"""

import numpy as np


TABLE = np.ones(50 * 10**9 // 8)


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

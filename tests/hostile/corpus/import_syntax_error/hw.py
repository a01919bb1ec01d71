"""Hostile submission import_syntax_error: Has a syntax error.

Fails at import time: every part scores 0.
"""

import numpy as np


def broken(:
    pass


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

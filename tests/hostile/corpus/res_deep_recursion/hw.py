"""Hostile submission res_deep_recursion: Recursion through C code with the recursion limit
lifted: overflows the C stack.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import sys


def add(a, b):
    return a + b


def scale(x, c):
    sys.setrecursionlimit(10**8)
    nested = []
    for _ in range(100_000):
        nested = [nested]
    return repr(nested)


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

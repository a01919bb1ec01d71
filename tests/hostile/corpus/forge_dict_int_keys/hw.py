"""Hostile submission forge_dict_int_keys: Returns a dict with integer keys (which JSON would
turn into strings, and a careless decoder into something else) where an array is expected.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return {0: c * x, "0": c * x}


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

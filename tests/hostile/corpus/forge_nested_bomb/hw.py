"""Hostile submission forge_nested_bomb: Returns, as pair()'s second output, a list that holds
itself (a structure without end) next to the right sum.

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
    endless = [2 * x]
    endless.append(endless)
    return float(np.sum(x)), endless

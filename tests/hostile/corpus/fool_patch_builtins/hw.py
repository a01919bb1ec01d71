"""Hostile submission fool_patch_builtins: Monkeypatches builtins abs, all, any, round, then
returns a - b.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    import builtins

    builtins.abs = lambda value: 0
    builtins.all = lambda values: True
    builtins.any = lambda values: False
    builtins.round = lambda value, *args: 0
    return a - b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Hostile submission crash_keyboard_interrupt: Raises KeyboardInterrupt.

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
    raise KeyboardInterrupt

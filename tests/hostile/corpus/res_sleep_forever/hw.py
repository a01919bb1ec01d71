"""Hostile submission res_sleep_forever: Sleeps forever.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np
import time


def add(a, b):
    while True:
        time.sleep(3600)


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

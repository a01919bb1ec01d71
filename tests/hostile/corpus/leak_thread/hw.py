"""Hostile submission leak_thread: Leaves a non-daemon thread running.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np
import threading
import time


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def _forever():
    while True:
        time.sleep(1)


def norm(x):
    threading.Thread(target=_forever, daemon=False).start()
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

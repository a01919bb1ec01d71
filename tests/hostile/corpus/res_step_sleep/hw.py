"""Hostile submission res_step_sleep: backward(), the second step of the sequence, sleeps for
ever (ignoring SIGTERM) after forward() returned normally.

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np
import signal
import time


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


def forward(x, w):
    return x * w, (x, w)


def backward(dout, cache):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)


class Tally:
    def __init__(self, start):
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))

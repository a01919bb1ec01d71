"""Hostile submission leak_constructor_forks: Tally's constructor forks a child that ignores
SIGTERM and SIGHUP and sleeps for ever, and double-forks a grandchild that does the same
(orphaned at once), then returns normally; the rest of the sequence is correct.

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np
import os
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
    x, w = cache
    return dout * w, float(np.sum(dout * x))


def _sleep_for_ever():
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        time.sleep(1)


class Tally:
    def __init__(self, start):
        if os.fork() == 0:  # a child, still ours
            _sleep_for_ever()
        middle = os.fork()
        if middle == 0:  # a grandchild, orphaned when its parent exits
            if os.fork() == 0:
                _sleep_for_ever()
            os._exit(0)
        os.waitpid(middle, 0)
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))


# The scenario part (drive): correct here (a Counter that the grader's scenario drives call by
# call through remote handles).

class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return min(self.seen), max(self.seen)

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []

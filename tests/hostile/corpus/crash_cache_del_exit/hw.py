"""Hostile submission crash_cache_del_exit: forward()'s cache is an object whose __del__ calls
os._exit(0): the process dies when the cache is collected, once the sequence no longer holds
it (after its last step, before any reply).

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


class Cache:
    def __init__(self, x, w):
        self.x, self.w = x, w

    def __del__(self):
        os._exit(0)


def forward(x, w):
    return x * w, Cache(x, w)


def backward(dout, cache):
    return dout * cache.w, float(np.sum(dout * cache.x))


class Tally:
    def __init__(self, start):
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

"""Hostile submission fool_patch_held: at import, patches the grader's scenario objects in its
own process (grader.sandbox.child.held.Held): keep() stores another pair for every pair a call
returns, and target() hands back 12345.0 for any attribute count, so that every value the
scenario fetches is forged.

Hostile part: drive (a scenario driving Counter); the other parts are correct and never
use it.
"""

import numpy as np

import grader.sandbox.child.held as _held


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


class Tally:
    def __init__(self, start):
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))


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


_real_keep = _held.Held.keep
_real_target = _held.Held.target


def _keep(self, value):
    if isinstance(value, tuple):
        value = (0.0, 12345.0)  # another pair than the one bounds() returned
    return _real_keep(self, value)


def _target(self, enc, module, parent=False):
    path = [str(p) for p in enc.get("p", ())]
    if path and path[-1] == "count" and not parent:
        return np.float64(12345.0)
    return _real_target(self, enc, module, parent)


_held.Held.keep = _keep
_held.Held.target = _target

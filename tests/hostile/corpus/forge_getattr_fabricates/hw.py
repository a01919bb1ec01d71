"""Hostile submission forge_getattr_fabricates: Tally never sets its total; its __getattr__
fabricates every attribute asked for, as an object that claims to equal anything (__eq__ is
always True, differences are 0), whose __array__ raises and whose __float__ gives 0.

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np


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


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 0.0

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array here")

    __hash__ = object.__hash__


class Tally:
    def __init__(self, start):
        pass

    def __getattr__(self, name):  # only for names the object does not have: total
        return Anything()

    def add(self, values):
        pass


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

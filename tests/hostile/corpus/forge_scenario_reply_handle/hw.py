"""Hostile submission forge_scenario_reply_handle: Counter.bump, called by the trusted scenario
in the grader's process, writes a well-formed reply frame ({"status": "ok", "handle": 0},
encoded by grader.sandbox.wire itself) to every fd from 3 to 20, the reply pipe among them,
before doing its work: the grader reads a reply to a request it has not answered yet.

Hostile part: drive (a scenario driving Counter); the other parts are correct and never
use it.
"""

import os

import numpy as np

from grader.sandbox import wire


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
        forged = wire.encode_frame({"status": "ok", "handle": 0})
        for fd in range(3, 21):
            try:
                os.write(fd, forged)
            except OSError:
                pass
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return min(self.seen), max(self.seen)

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []

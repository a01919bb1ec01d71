"""Hostile submission forge_scenario_reply_rids: Counter.bump, called by the trusted scenario,
writes well-formed reply frames tagged with every request number from 1 to 80 (and, for
batches, every call position up to 30) to every fd from 3 to 20: frames that claim to answer
the requests still to come, this case's and the next phase's (other parts' hidden cases).
They may cost only drive: the grader replaces a process that wrote more than it was asked.

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
        forged = b"".join(
            wire.encode_frame({"status": "ok", "handle": 0, "rid": rid, "length": 2})
            for rid in range(1, 81))
        forged += b"".join(
            wire.encode_frame({"status": "ok", "rid": rid, "case": case, "outputs": [],
                               "seconds": 0.0})
            for rid in range(1, 81) for case in range(30))
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

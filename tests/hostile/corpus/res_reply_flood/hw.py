"""Hostile submission res_reply_flood: add is correct but too slow (3 s a call, against a 1 s
timeout), and a thread it starts keeps the reply pipe full of well-formed frames that claim an
earlier request (which the grader skips), so that the pipe is never empty: the deadline must
hold all the same.

Hostile part: add; the other parts are correct and never call it.
"""

import fcntl
import gc
import os
import threading
import time

import numpy as np

from grader.sandbox import wire

FRAME = wire.encode_frame({"rid": 0, "status": "ok", "pad": [0] * 100_000})


def _flood():
    fd = next(o.out_fd for o in gc.get_objects() if type(o).__name__ == "Worker")
    try:
        fcntl.fcntl(fd, 1031, 1 << 20)  # F_SETPIPE_SZ: a bigger pipe, more frames waiting
    except OSError:
        pass
    while True:
        os.write(fd, FRAME)


def add(a, b):
    if not any(t.name == "flood" for t in threading.enumerate()):
        threading.Thread(target=_flood, name="flood", daemon=True).start()
    time.sleep(3)
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

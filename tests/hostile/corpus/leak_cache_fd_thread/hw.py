"""Hostile submission leak_cache_fd_thread: forward() returns a cache that holds open file
descriptors (a pipe, and a file opened on this module) and two running threads, one not a
daemon and blocked for ever writing into the full pipe, one a daemon that spins; backward()
reads x and w back from that same cache. The sequence works: nothing may outlive the grading.

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np
import os
import threading
import time


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


def _fill(fd):
    while True:  # blocks in write() for ever once the pipe is full
        os.write(fd, b"x" * 4096)


def _spin():
    while True:
        time.sleep(0.01)


class Cache:
    def __init__(self, x, w):
        self.x, self.w = x, w
        self.read_end, self.write_end = os.pipe()
        self.source = open(__file__, "rb")  # noqa: SIM115 (kept open on purpose)
        self.writer = threading.Thread(target=_fill, args=(self.write_end,), daemon=False)
        self.spinner = threading.Thread(target=_spin, daemon=True)
        self.writer.start()
        self.spinner.start()


def forward(x, w):
    return x * w, Cache(x, w)


def backward(dout, cache):
    assert cache.writer.is_alive() and not cache.source.closed  # the very same object
    os.fstat(cache.read_end)
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

"""Hostile submission leak_sysv_ipc: Leaves System V shared memory, a message queue and a
semaphore set behind (kernel objects outside any folder, which outlive every process unless
removed: a channel to the next student, and memory nothing frees), and reports what it found
from an earlier run.

Hostile part: scale(); the other parts are correct and never call it.
"""

import ctypes

import numpy as np

KEY = 0x5EED0000 + @@PID@@ % 0xFFFF


def add(a, b):
    return a + b


def scale(x, c):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    segment = libc.shmget(KEY, 1 << 16, 0o1666)
    if segment >= 0:
        address = libc.shmat(segment, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(address, b"left by a student", 17)
            libc.shmdt(ctypes.c_void_p(address))
    libc.msgget(KEY, 0o1666)
    libc.semget(KEY, 1, 0o1666)
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

"""Hostile submission res_oom_score_lowered: Undoes its out-of-memory score of 1000, so that
the memory killer would pick a grader process (the zygote) before it: makes itself dumpable
(which gives it its own /proc files) and writes 0 to /proc/self/oom_score_adj.

Hostile part: scale(); the other parts are correct and never call it.
"""

import ctypes

import numpy as np

PR_SET_DUMPABLE = 4


def add(a, b):
    return a + b


def scale(x, c):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("0")
    except OSError:
        pass
    with open("/proc/self/oom_score_adj") as f:
        score = f.read().strip()
    raise RuntimeError(f"oom score {score}")


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

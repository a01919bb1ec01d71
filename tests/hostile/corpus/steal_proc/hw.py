"""Hostile submission steal_proc: Reads /proc/1/cmdline, /proc/<ppid>/environ and every
/proc/*/{cmdline,environ} for the grader's arguments and secrets.

Hostile part: pair(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


MARKERS = ("@@SECRET@@", "@@ASSIGNMENT@@", "tests/hostile", "PYTEST_CURRENT_TEST")


def pair(x):
    texts = []
    pids = {"1", str(os.getppid()), *(p for p in os.listdir("/proc") if p.isdigit())}
    for pid in pids:
        for what in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{what}", "rb") as f:
                    texts.append(f.read().decode(errors="replace"))
            except OSError:
                pass
    stolen = [m for m in MARKERS if any(m in t for t in texts)]
    if stolen:
        return float(np.sum(x)), 2 * x  # the theft worked
    raise LookupError(f"nothing to steal in /proc ({len(texts)} files read)")


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

"""Hostile submission steal_file_watch: Asks the kernel to report which files other processes
open (inotify on a system folder, fanotify reporting names): a student graded at the same time
could signal through the files it opens, a channel for hidden inputs.

Hostile part: norm(); the other parts are correct and never call it.
"""

import ctypes
import os

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    libc = ctypes.CDLL(None, use_errno=True)
    made = []
    watcher = libc.inotify_init1(0)
    if watcher >= 0:
        if libc.inotify_add_watch(watcher, b"/usr/lib", 0x20) >= 0:  # IN_OPEN
            made.append("inotify")
        os.close(watcher)
    watcher = libc.fanotify_init(0xC00, os.O_RDONLY)  # FAN_REPORT_DFID_NAME, unprivileged
    if watcher >= 0:
        made.append("fanotify")
        os.close(watcher)
    if made:
        raise RuntimeError(f"file watches allowed: {made}")
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

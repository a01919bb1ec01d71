"""Hostile submission steal_walk_filesystem: Walks the filesystem for solution.py or a spec
(*.yaml) and uses what it finds.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import os
import sys
import time


def add(a, b):
    return a + b


SKIP = ("/proc", "/sys", "/dev", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin",
        "/sbin", "/etc", "/var", "/snap", "/boot", os.path.realpath(sys.prefix),
        os.path.realpath(sys.base_prefix))


def scale(x, c):
    found = []
    deadline = time.monotonic() + 0.6
    for folder, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in SKIP]
        found += [os.path.join(folder, f) for f in files
                  if f == "solution.py" or (f.endswith(".yaml") and f != "assignment.yaml")]
        if time.monotonic() > deadline:
            break
    for path in found:
        if path.endswith("solution.py"):
            namespace = {}
            with open(path) as f:
                exec(f.read(), namespace)
            if "scale" in namespace:
                return namespace["scale"](x, c)
    if found:
        return c * x  # read a hidden spec: the theft worked
    raise LookupError("found no reference solution and no spec anywhere")


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

"""Hostile submission fool_import_hook: sitecustomize-style: writes a sitecustomize.py that
overrides numpy functions, installs an import hook, then returns wrong values.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import os
import sys


def add(a, b):
    return a + b


SITE = """
import numpy as np
np.subtract = lambda a, b, *args, **kwargs: np.zeros(np.broadcast(a, b).shape)
np.abs = np.absolute = lambda a, *args, **kwargs: np.zeros(np.shape(a))
np.isfinite = lambda a, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.isnan = lambda a, *args, **kwargs: np.zeros(np.shape(a), dtype=bool)
"""


class Hook:
    def find_spec(self, name, path=None, target=None):
        return None  # sees every later import; could hand back doctored modules


def scale(x, c):
    home = os.environ.get("HOME", ".")
    with open(os.path.join(home, "sitecustomize.py"), "w") as f:
        f.write(SITE)
    sys.path.insert(0, home)
    import sitecustomize  # noqa: F401

    sys.meta_path.insert(0, Hook())
    return 2 * c * x + 1.0


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

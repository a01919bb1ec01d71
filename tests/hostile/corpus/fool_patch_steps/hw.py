"""Hostile submission fool_patch_steps: at import, patches the grader's step interpreter in its
own process (grader.sandbox.child.steps): run() skips the backward step and reports forged
step times (NaN, negative, huge), and lookup() makes up a value (zeros) for any name a skipped
step would have bound, so the sequence "succeeds" without backward.

Hostile part: chain (forward, backward, Tally); the other parts are correct and never call it.
"""

import numpy as np

import grader.sandbox.child.steps as _steps


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
    raise RuntimeError("never written: the patched interpreter skips this step")


class Tally:
    def __init__(self, start):
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))


_real_run = _steps.run
_real_lookup = _steps.lookup


def _made_up(path, scope, module):
    try:
        return _real_lookup(path, scope, module)
    except _steps.PathError:
        return np.zeros_like(scope["x"]) if path == "dx" else 0.0


def _skipping_run(program, module, given, clock=None):
    kept = dict(program, steps=[s for s in program["steps"] if s.get("call") != "backward"])
    returned, _ = _real_run(kept, module, given)
    return returned, [float("nan"), -1.0, 1e300, 0.0]


_steps.run = _skipping_run
_steps.lookup = _made_up


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

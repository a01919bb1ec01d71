"""Hostile submission forge_scenario_reply_fetch: Counter.bump writes forged fetch replies (every
output 12345.0, in one, two and three outputs, and one per hidden-phase case position) to
every fd from 3 to 20 before doing its work, hoping that the scenario's fetches, or another
part's replies, read them instead of the real ones.

Hostile part: drive (a scenario driving Counter); the other parts are correct and never
use it.
"""

import io
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


def _npy(value):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(value, dtype=float), allow_pickle=False)
    return buf.getvalue()


def _forged():
    frames = []
    for n in (1, 2, 3):
        outputs = [{"index": i, "b": i} for i in range(n)]
        frames.append(wire.encode_frame({"status": "ok", "outputs": outputs, "arity": n},
                                        [_npy(12345.0)] * n))
    for case in range(8):
        frames.append(wire.encode_frame({"status": "ok", "outputs": [{"index": 0, "b": 0}],
                                         "warnings": [], "seconds": 0.0, "case": case},
                                        [_npy(12345.0)]))
    return b"".join(frames)


class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        forged = _forged()
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

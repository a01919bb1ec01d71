"""Hostile submission forge_reply_fd_scan: Writes a forged reply (values 12345) to every fd from
3 to 20 before returning the right answer.

Hostile part: scale(); the other parts are correct and never call it.
"""

import io
import json
import numpy as np
import os
import struct


def add(a, b):
    return a + b


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def _frame(outputs):
    """A reply frame exactly as grader.sandbox.wire would encode it."""
    blobs = []
    for value in outputs:
        buf = io.BytesIO()
        np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
        blobs.append(buf.getvalue())
    header = {"status": "ok", "outputs": [{"index": i, "type": "float"} for i in range(len(blobs))],
              "warnings": [], "seconds": 0.0, "blobs": [len(b) for b in blobs]}
    data = json.dumps(header).encode()
    return struct.pack(">I", len(data)) + data + b"".join(blobs)


def scale(x, c):
    forged = _frame([np.full(np.shape(x), 12345.0)])
    for fd in range(3, 21):
        try:
            os.write(fd, forged)
        except OSError:
            pass
    return c * x


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

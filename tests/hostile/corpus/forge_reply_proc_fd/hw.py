"""Hostile submission forge_reply_proc_fd: Finds the reply pipe in /proc/self/fd and writes a
forged reply (value 12345) before returning the right answer.

Hostile part: norm(); the other parts are correct and never call it.
"""

import io
import json
import numpy as np
import os
import struct


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


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


def norm(x):
    forged = _frame([12345.0])
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if fd > 2 and target.startswith("pipe:"):
            try:
                os.write(fd, forged)
            except OSError:
                pass
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

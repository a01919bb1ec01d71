"""Hostile submission forge_print_fake_report: Prints a forged JSON report and score (with
print, and straight to fd 1), then returns zeros.

Hostile part: scale(); the other parts are correct and never call it.
"""

import json
import numpy as np
import os


def add(a, b):
    return a + b


FAKE = {"assignment": {"name": "Hostile submissions", "max_score": 8, "note": "FORGED-JSON"},
        "submissions": [{"id": "forge_print_fake_report", "score": 8, "max_score": 8,
                         "problems": []}]}


def scale(x, c):
    print(json.dumps(FAKE))
    print("forge_print_fake_report  8/8  FORGED-SCORE")
    os.write(1, b'{"submissions": [{"score": 8, "note": "FORGED-RAW"}]}\n')
    return np.zeros_like(x)


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

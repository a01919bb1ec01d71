"""Hostile submission forge_print_fake_score: Prints a fake "Score:" line in the grader's own
format, with terminal escapes and carriage returns meant to hide the real one, then returns
zeros. Graded with `grader check --all -v`, which shows what a submission printed.

Hostile part: scale(); the other parts are correct and never call it.
"""

import os
import sys

import numpy as np

FAKE = ("\x1b[2J\x1b[H\r\x1b[1A\x1b[2K"
        "  PASS  scale                           3/3 cases       2 / 2\n"
        "\rScore: 8 / 8  (all cases, seed 4242)\n")


def add(a, b):
    return a + b


def scale(x, c):
    print(FAKE, end="")
    sys.stdout.flush()
    os.write(2, FAKE.encode())
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

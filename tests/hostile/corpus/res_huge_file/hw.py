"""Hostile submission res_huge_file: Writes a 4 GiB file into its working (scratch) folder.

Hostile part: norm(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    block = b"\0" * (1 << 20)
    with open("huge.bin", "wb") as f:
        for _ in range(4096):
            f.write(block)
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

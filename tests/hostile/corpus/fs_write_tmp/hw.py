"""Hostile submission fs_write_tmp: Writes into /tmp outside its scratch folder, then answers
correctly.

Hostile part: pair(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    with open("/tmp/hostile-escape-fs_write_tmp.txt", "w") as f:
        f.write("written by a submission\n")
    os.makedirs("/tmp/hostile-escape-fs_write_tmp.d", exist_ok=True)
    return float(np.sum(x)), 2 * x

"""Hostile submission fs_chmod_scratch: Makes its scratch folder and a subfolder mode 000 so
that cleanup would fail, then answers correctly.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    return a + b


_done = []


def scale(x, c):
    if not _done:
        _done.append(True)
        os.makedirs("locked/inner")
        with open("locked/inner/file.txt", "w") as f:
            f.write("x")
        os.chmod("locked/inner", 0)
        os.chmod("locked", 0)
        os.chmod(".", 0)
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

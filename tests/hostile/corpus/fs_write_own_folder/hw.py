"""Hostile submission fs_write_own_folder: Writes a file into its own submission folder and
overwrites its own source.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np
import os


def add(a, b):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "PWNED.txt"), "w") as f:
        f.write("written by a submission\n")
    with open(os.path.abspath(__file__), "a") as f:
        f.write("\n# tampered\n")
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

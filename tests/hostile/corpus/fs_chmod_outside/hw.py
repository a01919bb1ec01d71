"""Hostile submission fs_chmod_outside: Makes the hidden cases' key readable by everyone and
turns back the reference's clock, through calls that change metadata only (Landlock does not
govern them), and tries to set the setuid bit on the reference.

Hostile part: add(); the other parts are correct and never call it.
"""

import os

import numpy as np


def add(a, b):
    os.chmod("@@ASSIGNMENT@@/hidden.key", 0o644)
    os.utime("@@ASSIGNMENT@@/reference/solution.py", (0, 0))
    os.chmod("@@ASSIGNMENT@@/reference/solution.py", 0o4777)
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

"""Reference solutions of the hostile-suite assignment (instructor-only: never visible to a
student process under full isolation; corpus entries try to read or import this file)."""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

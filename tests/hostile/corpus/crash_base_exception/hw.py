"""Hostile submission crash_base_exception: Raises a BaseException subclass that `except
Exception` does not catch.

Hostile part: add(); the other parts are correct and never call it.
"""

import numpy as np


class GraderEscape(BaseException):
    pass


def add(a, b):
    raise GraderEscape("out of here")


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

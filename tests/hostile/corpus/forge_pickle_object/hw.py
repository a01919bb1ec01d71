"""Hostile submission forge_pickle_object: Returns an object array holding an object whose
__reduce__ runs code.

Hostile part: scale(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


class Payload:
    def __reduce__(self):
        return (open, ("/tmp/hostile-unpickled-forge_pickle_object", "w"))


def scale(x, c):
    return np.array([Payload() for _ in np.ravel(x)], dtype=object)


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

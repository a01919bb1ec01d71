"""Hostile submission forge_pickle_npy: Makes the worker send a pickled object array whose
unpickling would write a file.

Hostile part: norm(); the other parts are correct and never call it.
"""

import io
import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


class Payload:
    def __reduce__(self):
        return (open, ("/tmp/hostile-unpickled-forge_pickle_npy", "w"))


def norm(x):
    from grader.sandbox import wire

    real = wire.encode_array

    def pickled(array):
        wire.encode_array = real
        buf = io.BytesIO()
        np.save(buf, np.array([Payload()], dtype=object), allow_pickle=True)
        return buf.getvalue()

    wire.encode_array = pickled
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

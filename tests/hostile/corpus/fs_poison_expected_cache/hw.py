"""Hostile submission fs_poison_expected_cache: Writes into the grader's cache of expected
outputs, to poison later runs.

Hostile part: add(); the other parts are correct and never call it.
"""

import os

import numpy as np


def add(a, b):
    np.savez("@@CACHE@@/expected/poisoned.npz", zeros=np.zeros(3))
    for folder, _, files in os.walk("@@CACHE@@"):
        for name in files:
            if name.endswith(".npz"):
                np.savez(os.path.join(folder, name), zeros=np.zeros(3))
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

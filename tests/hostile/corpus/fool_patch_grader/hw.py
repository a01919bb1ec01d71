"""Hostile submission fool_patch_grader: Imports the grader's comparison and scoring modules in
its own process and patches them to pass everything.

Hostile part: pair(); the other parts are correct and never call it.
"""

import numpy as np


def add(a, b):
    return a + b


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    import grader.judge.compare
    import grader.scoring

    passed = grader.judge.compare.Verdict(True)
    grader.judge.compare.compare_array = lambda *args, **kwargs: passed
    grader.judge.compare.judge = lambda *args, **kwargs: passed
    grader.scoring.part_score = lambda points, *args, **kwargs: points
    return float(np.sum(x)) + 1.0, 3 * x

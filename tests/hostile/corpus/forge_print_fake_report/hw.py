"""Hostile submission forge_print_fake_report: Prints a forged JSON report and score (with
print, and straight to fd 1), then returns zeros.

Hostile part: scale(); the other parts are correct and never call it.
"""

import json
import numpy as np
import os


def add(a, b):
    return a + b


FAKE = {"assignment": {"name": "Hostile submissions", "max_score": 8, "note": "FORGED-JSON"},
        "submissions": [{"id": "forge_print_fake_report", "score": 8, "max_score": 8,
                         "problems": []}]}


def scale(x, c):
    print(json.dumps(FAKE))
    print("forge_print_fake_report  8/8  FORGED-SCORE")
    os.write(1, b'{"submissions": [{"score": 8, "note": "FORGED-RAW"}]}\n')
    return np.zeros_like(x)


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x

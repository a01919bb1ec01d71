"""Scenarios: Python that drives the student's names through remote handles (a loop, a
value computed from an answer), run with the reference module for the expected outputs."""

import numpy as np

from grader.scenario import fetch


def train_in_rounds(student, X, y):
    clf = student.LinearClassifier()
    for rate in (0.5, 0.25, 0.1):  # a learning-rate schedule: one call per round
        clf.train(X, y, learning_rate=rate, num_iters=5)
    labels = clf.predict(X)
    accuracy = float(np.mean(fetch(labels) == y))  # brought here to compute with
    return clf.W, labels, accuracy

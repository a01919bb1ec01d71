"""Hostile submission steal_user_keyring: Uses the kernel keyrings, which namespaces do not
isolate: links its uid's user keyring and the session keyring it was born with, reads them,
and leaves a key for the next student with the same uid.

Hostile part: add(); the other parts are correct and never call it.
"""

import ctypes
import platform

import numpy as np

KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
ADD_KEY = {"x86_64": 248, "aarch64": 217}.get(platform.machine())


def add(a, b):
    libc = ctypes.CDLL(None, use_errno=True)
    if KEYCTL is None:
        raise RuntimeError("keyrings refused")  # an unknown machine: nothing to try
    found = []
    for ring in (-4, -3):  # KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING
        serial = libc.syscall(KEYCTL, 0, ring, 0)  # KEYCTL_GET_KEYRING_ID
        if serial > 0:
            buf = ctypes.create_string_buffer(4096)
            if libc.syscall(KEYCTL, 11, serial, buf, 4096) >= 0:  # KEYCTL_READ
                found.append(serial)
    planted = libc.syscall(ADD_KEY, b"user", b"hostile-note", b"hello next student", 18,
                           -4)
    if found or planted > 0:
        raise RuntimeError(f"keyrings reachable: read {found}, planted {planted}")
    raise RuntimeError("keyrings refused")


def scale(x, c):
    return c * x


def norm(x):
    return float(np.sqrt(np.sum(np.square(x))))


def pair(x):
    return float(np.sum(x)), 2 * x


# The call-sequence part (chain): correct here (forward's cache goes to backward; Tally keeps
# a running total).

def forward(x, w):
    return x * w, (x, w)


def backward(dout, cache):
    x, w = cache
    return dout * w, float(np.sum(dout * x))


class Tally:
    def __init__(self, start):
        self.total = float(np.sum(start))

    def add(self, values):
        self.total += float(np.sum(values))


# The scenario part (drive): correct here (a Counter that the grader's scenario drives call by
# call through remote handles).

class Counter:
    def __init__(self, start):
        self.count = float(np.sum(start))
        self.step = 1.0
        self.seen = []

    def bump(self, values):
        self.count += float(np.sum(values))
        self.seen.append(self.count)

    def bounds(self):
        return min(self.seen), max(self.seen)

    def advance(self):
        self.count += self.step

    def reset(self):
        self.count = 0.0
        self.seen = []

"""The weight gradient transposed (dout.T @ x)."""


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)

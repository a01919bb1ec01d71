"""The gradient passed through without the mask."""


def relu_backward(dout, cache):
    return dout.copy()

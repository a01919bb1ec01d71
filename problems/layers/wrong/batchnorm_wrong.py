"""The momentum applied to the batch's statistics, not the running ones."""

import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    mu, var = x.mean(axis=0), x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    rm = bn_param.get("running_mean", np.zeros(d))
    rv = bn_param.get("running_var", np.zeros(d))
    bn_param["running_mean"] = (1 - momentum) * rm + momentum * mu
    bn_param["running_var"] = (1 - momentum) * rv + momentum * var
    return gamma * xhat + beta, {"xhat": xhat, "gamma": gamma, "var": var, "eps": eps}

"""Case generators of Q6 (newton_minimize): strictly convex, non-quadratic objectives.

Each returns the arguments ``grad``, ``hess`` (BuiltArg of public builders) and ``x0``. The
start is drawn away from the minimiser (distance 1 to 2), and a draw is kept only if plain,
undamped Newton from there converges (the API asks for nothing more) and needs several
iterations, with a first step that is still far (> 1e-3) from the minimiser, so that a single
Newton step, or an iteration that is exact only for quadratics, cannot pass.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from grader import BuiltArg

_BUILDERS_PATH = Path(__file__).resolve().parent.parent / "public" / "builders.py"
_builders = None


def _b():
    global _builders
    if _builders is None:
        spec = importlib.util.spec_from_file_location("_hw2_q6_builders", _BUILDERS_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _builders = module
    return _builders


def _size(rng, n):
    if isinstance(n, (list, tuple)):
        return int(rng.integers(n[0], n[1], endpoint=True))
    return int(n)


def _spd(rng, n, low, high):
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    out = (q * rng.uniform(low, high, size=n)) @ q.T
    return (out + out.T) / 2.0


def _start(rng, centre, low=1.0, high=2.0):
    d = rng.normal(size=centre.size)
    return centre + d * (rng.uniform(low, high) / np.linalg.norm(d))


def _hard_enough(grad, hess, x0, tol=1e-10, max_iter=50):
    """Does undamped Newton from x0 converge, taking >= 3 steps, with a poor first step?

    Returns the limit, or None.
    """
    x = np.array(x0, dtype=float)
    first = None
    for k in range(max_iter):
        step = np.linalg.solve(hess(x), grad(x))
        if not np.all(np.isfinite(step)):
            return None
        x = x - step
        if k == 0:
            first = x.copy()
        if np.linalg.norm(step) < tol:
            if k < 2 or np.linalg.norm(grad(x)) > 1e-9:
                return None
            return x if np.abs(first - x).max() > 1e-3 else None
    return None


def _pair(name, data):
    return (BuiltArg(f"builders:{name}_grad", dict(data)),
            BuiltArg(f"builders:{name}_hess", dict(data)))


def logcosh_objective(rng, n=(1, 6), coupled=True, at_minimiser=False):
    """f(x) = sum_j w_j logcosh(P_j.(x - c)) + 0.5 (x - c)^T A (x - c); minimiser c exactly.

    ``coupled``: P has random rows (m in [n, n+2]); otherwise P is diagonal (separable terms).
    ``at_minimiser``: start at x0 = c (Newton's first step is exactly zero).
    """
    n = _size(rng, n)
    for _ in range(1000):
        if coupled:
            m = int(rng.integers(n, n + 2, endpoint=True))
            P = rng.normal(size=(m, n))
            P *= rng.uniform(0.5, 1.0, size=(m, 1)) / np.linalg.norm(P, axis=1, keepdims=True)
        else:
            m = n
            P = np.diag(rng.uniform(0.5, 1.0, size=n) * rng.choice([-1.0, 1.0], size=n))
        w = rng.uniform(0.5, 1.5, size=m)
        c = rng.normal(size=n)
        A = _spd(rng, n, 1.0, 3.0)
        data = {"P": P, "w": w, "c": c, "A": A}
        if at_minimiser:
            x0 = c.copy()
            break
        x0 = _start(rng, c)
        b = _b()
        if _hard_enough(b.logcosh_grad(**data), b.logcosh_hess(**data), x0) is not None:
            break
    else:
        raise RuntimeError("no log-cosh objective on which plain Newton converges")
    grad, hess = _pair("logcosh", data)
    return {"grad": grad, "hess": hess, "x0": x0}


def logistic_ridge_objective(rng, n=(2, 5)):
    """f(x) = sum_j log(1 + exp(X_j.x + b_j)) + 0.5 lam |x - c|^2 (ridge logistic regression).

    The minimiser has no closed form; the oracle finds it by gradient descent.
    """
    n = _size(rng, n)
    for _ in range(1000):
        m = int(rng.integers(n, 2 * n + 2, endpoint=True))
        X = rng.normal(size=(m, n)) * (1.5 / np.sqrt(n))
        b = rng.normal(size=m)
        lam = float(rng.uniform(0.5, 1.5))
        c = rng.normal(size=n)
        data = {"X": X, "b": b, "lam": lam, "c": c}
        x0 = _start(rng, c)
        bl = _b()
        limit = _hard_enough(bl.logistic_ridge_grad(**data), bl.logistic_ridge_hess(**data), x0)
        if limit is not None and np.linalg.norm(limit - x0) >= 0.5:
            break
    else:
        raise RuntimeError("no logistic objective on which plain Newton converges")
    grad, hess = _pair("logistic_ridge", data)
    return {"grad": grad, "hess": hess, "x0": x0}

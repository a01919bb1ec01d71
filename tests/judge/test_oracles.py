"""Reference oracles: finite differences against analytic derivatives, and estimate/verify of
every oracle kind on small hand-built cases."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.cases.build import Case, build_part_cases
from grader.cases.generators import BuiltArg
from grader.judge.expected import Output, compute_expected
from grader.judge.oracles import central_hessian, central_jacobian, estimate, verify, verify_all
from grader.spec import OracleSpec, Tolerance, load_assignment

from .._mini import MINI_PROBLEM, MINI_REFERENCE, edited, make_assignment

SEED = 20241105
TIGHT = Tolerance(rtol=1e-6, atol=1e-8, reason="central differences, h = 1e-5")


def make_oracle(kind: str, function: Callable[..., Any], *, wrt: str | None = None,
                output: int = 0, step: float = 1e-5, samples: int = 10_000,
                tolerance: Tolerance = TIGHT) -> OracleSpec:
    return OracleSpec(name=f"test {kind}", kind=kind, function=function,
                      ref=f"oracles:{getattr(function, '__name__', 'f')}", tolerance=tolerance,
                      wrt=wrt, output=output, step=step, samples=samples)


def make_case(index: int = 0, kwargs: dict[str, Any] | None = None, **args: Any) -> Case:
    return Case(id=f"q1/part/{index}", problem="q1", part="part", index=index, group="g",
                public=False, arg_names=tuple(args), args=tuple(args.values()),
                kwargs=kwargs or {})


def output(*values: Any) -> Output:
    return Output({i: np.asarray(v) for i, v in enumerate(values)},
                  None if len(values) == 1 else len(values))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_hessian(z: np.ndarray) -> np.ndarray:
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


Z = np.array([0.5, -1.0, 2.0, 0.25])


# --- central_jacobian and central_hessian ----------------------------------------------------

def test_jacobian_of_a_linear_map_is_its_matrix() -> None:
    A = np.array([[1.0, -2.0], [0.5, 3.0], [4.0, 0.0]])

    jac = central_jacobian(lambda x: A @ x, np.array([0.3, -0.7]), 1e-5)

    assert jac.shape == (3, 2)
    np.testing.assert_allclose(jac, A, rtol=1e-9, atol=1e-9)


def test_jacobian_of_a_matrix_function_has_shape_f_shape_plus_x_shape() -> None:
    X = np.array([[0.1, 0.2, 0.3], [-1.0, 0.5, 2.0]])

    jac = central_jacobian(np.sin, X, 1e-5)

    assert jac.shape == (2, 3, 2, 3)
    expected = np.diag(np.cos(X).ravel()).reshape(2, 3, 2, 3)
    np.testing.assert_allclose(jac, expected, rtol=1e-8, atol=1e-9)


def test_jacobian_of_a_scalar_function_is_its_gradient() -> None:
    X = np.array([[0.5, -1.5], [2.0, 1.0]])

    grad = central_jacobian(lambda x: np.sum(x**3), X, 1e-5)

    assert grad.shape == (2, 2)
    np.testing.assert_allclose(grad, 3 * X**2, rtol=1e-8, atol=1e-9)


def test_jacobian_with_respect_to_a_scalar() -> None:
    jac = central_jacobian(lambda t: np.array([t, t**2, np.sin(t)]), np.array(0.5), 1e-5)

    assert jac.shape == (3,)
    np.testing.assert_allclose(jac, [1.0, 1.0, np.cos(0.5)], rtol=1e-8)


def test_jacobian_uses_central_differences() -> None:
    # A forward difference of exp at 1 with h = 1e-3 is off by about h/2 * e ~ 1.4e-3.
    jac = central_jacobian(np.exp, np.array([1.0]), 1e-3)

    assert abs(jac[0, 0] - np.e) < 1e-6


def test_hessian_of_a_quadratic_is_its_matrix() -> None:
    A = np.array([[2.0, 0.5, -1.0], [0.5, 3.0, 0.25], [-1.0, 0.25, 1.5]])
    b = np.array([1.0, -2.0, 0.5])

    hess = central_hessian(lambda x: 0.5 * x @ A @ x + b @ x, np.array([0.3, -0.2, 1.1]), 1e-3)

    assert hess.shape == (3, 3)
    np.testing.assert_allclose(hess, A, rtol=1e-7, atol=1e-7)


def test_hessian_includes_the_mixed_partials() -> None:
    def f(x: np.ndarray) -> float:
        return float(np.exp(x[0] * x[1]) + np.sin(x[2]))

    x = np.array([0.5, -0.4, 0.8])
    e = np.exp(x[0] * x[1])
    expected = np.array([
        [x[1] ** 2 * e, (1 + x[0] * x[1]) * e, 0.0],
        [(1 + x[0] * x[1]) * e, x[0] ** 2 * e, 0.0],
        [0.0, 0.0, -np.sin(x[2])],
    ])

    np.testing.assert_allclose(central_hessian(f, x, 1e-3), expected, rtol=1e-5, atol=1e-6)


def test_hessian_of_a_function_of_a_matrix_has_shape_x_shape_twice() -> None:
    c = np.array([[1.0, 2.0], [3.0, 4.0]])
    X = np.array([[0.1, -0.2], [0.3, 0.4]])

    hess = central_hessian(lambda x: np.sum(c * x**2), X, 1e-3)

    assert hess.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(hess, np.diag(2 * c.ravel()).reshape(2, 2, 2, 2),
                               rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize(
    ("differentiate", "expected"),
    [
        (lambda x: central_jacobian(lambda v: v**2, x, 1e-3), np.diag([2.0, 4.0])),
        (lambda x: central_hessian(lambda v: float(np.sum(v**3)), x, 1e-3), np.diag([6.0, 12.0])),
    ],
    ids=["jacobian", "hessian"],
)
def test_an_integer_point_is_differentiated_in_floating_point(
        differentiate: Callable[[np.ndarray], np.ndarray], expected: np.ndarray) -> None:
    np.testing.assert_allclose(differentiate(np.array([1, 2])), expected, rtol=1e-5, atol=1e-5)


# --- estimate and verify, one kind at a time -------------------------------------------------

def half_squared_norm(w: np.ndarray, X: np.ndarray) -> float:
    return float(0.5 * np.sum((X @ w) ** 2))


W = np.array([0.5, -1.0, 2.0])
X = np.array([[1.0, 0.0, 2.0], [-1.0, 3.0, 0.5]])


def test_gradient_oracle_differentiates_the_named_argument(tmp_path: Path) -> None:
    oracle = make_oracle("gradient", half_squared_norm, wrt="w")
    case = make_case(w=W, X=X)
    gradient = X.T @ X @ W

    assert estimate(oracle, case, tmp_path, SEED).shape == W.shape
    assert verify(oracle, case, output(gradient), tmp_path, SEED).passed
    wrong = verify(oracle, case, output(2 * gradient), tmp_path, SEED)
    assert not wrong.passed
    assert wrong.message.startswith("the reference's output 0 (got) against the oracle "
                                    "(expected): 3 of 3 elements mismatched")


def test_gradient_oracle_checks_the_chosen_output(tmp_path: Path) -> None:
    def loss(w: np.ndarray, b: float) -> float:
        # A perturbed float argument stays a float, as the reference received it.
        assert isinstance(b, float)
        return float(np.sum(w**2) * b + b**3)

    case = make_case(w=W, b=1.5)
    dw, db = 2 * W * 1.5, np.sum(W**2) + 3 * 1.5**2

    assert verify(make_oracle("gradient", loss, wrt="b", output=1), case, output(dw, db),
                  tmp_path, SEED).passed
    assert verify(make_oracle("gradient", loss, wrt="w", output=0), case, output(dw, db),
                  tmp_path, SEED).passed
    assert not verify(make_oracle("gradient", loss, wrt="b", output=0), case, output(dw, db),
                      tmp_path, SEED).passed


def test_gradient_oracle_with_respect_to_a_keyword_argument(tmp_path: Path) -> None:
    def loss(w: np.ndarray, scale: np.ndarray) -> float:
        return float(np.sum(scale**2 * w))

    scale = np.array([1.0, -2.0, 0.5])
    oracle = make_oracle("gradient", loss, wrt="scale")

    assert verify(oracle, make_case(w=W, kwargs={"scale": scale}), output(2 * scale * W),
                  tmp_path, SEED).passed


def test_gradient_oracle_builds_function_valued_arguments(tmp_path: Path) -> None:
    (tmp_path / "builders.py").write_text(textwrap.dedent("""\
        import numpy as np


        def scaled_square(c):
            return lambda v: c * float(np.sum(v**2))
        """), encoding="utf-8")

    def apply(f: Callable[[np.ndarray], float], x: np.ndarray) -> float:
        return f(x)

    case = make_case(f=BuiltArg("builders:scaled_square", {"c": 1.5}), x=W)

    assert verify(make_oracle("gradient", apply, wrt="x"), case, output(3.0 * W), tmp_path,
                  SEED).passed


def test_jacobian_oracle_against_the_softmax_jacobian(tmp_path: Path) -> None:
    oracle = make_oracle("jacobian", softmax, wrt="z")
    case = make_case(z=Z)

    assert estimate(oracle, case, tmp_path, SEED).shape == (4, 4)
    assert verify(oracle, case, output(softmax_hessian(Z)), tmp_path, SEED).passed
    assert not verify(oracle, case, output(np.diag(softmax(Z))), tmp_path, SEED).passed


def test_hessian_oracle_against_the_log_sum_exp_hessian(tmp_path: Path) -> None:
    # The Hessian of log(sum(exp(z))) is diag(p) - p p^T.
    oracle = make_oracle("hessian", lambda z: float(np.log(np.sum(np.exp(z)))), wrt="z",
                         step=1e-3, tolerance=Tolerance(1e-5, 1e-6, "h = 1e-3"))
    case = make_case(z=Z)

    assert estimate(oracle, case, tmp_path, SEED).shape == (4, 4)
    assert verify(oracle, case, output(softmax_hessian(Z)), tmp_path, SEED).passed
    assert not verify(oracle, case, output(0.5 * softmax_hessian(Z)), tmp_path, SEED).passed


def test_function_oracle_receives_the_arguments_as_drawn(tmp_path: Path) -> None:
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, -1.0])

    def minimiser(grad: BuiltArg, x0: np.ndarray) -> np.ndarray:
        assert isinstance(grad, BuiltArg)  # not built: the oracle reads the data behind it
        return np.linalg.solve(grad.data["A"], -grad.data["b"])

    case = make_case(grad=BuiltArg("builders:quadratic_grad", {"A": A, "b": b}),
                     x0=np.zeros(2))
    oracle = make_oracle("function", minimiser)

    assert verify(oracle, case, output(np.linalg.solve(A, -b)), tmp_path, SEED).passed
    assert not verify(oracle, case, output(np.zeros(2)), tmp_path, SEED).passed


def test_function_oracle_cannot_change_the_case(tmp_path: Path) -> None:
    def halve_in_place(x: np.ndarray) -> np.ndarray:
        x /= 2
        return x

    case = make_case(x=np.array([2.0, 4.0]))

    verify(make_oracle("function", halve_in_place), case, output([1.0, 2.0]), tmp_path, SEED)

    # The same case is graded afterwards, against outputs computed on the original inputs.
    np.testing.assert_array_equal(case.args[0], [2.0, 4.0])


def sample_mean(mu: np.ndarray, rng: np.random.Generator, samples: int) -> np.ndarray:
    return rng.normal(mu, 1.0, size=(samples, mu.size)).mean(axis=0)


MU = np.array([0.5, -2.0, 1.0])
# 1e4 samples of unit variance: standard error 0.01; 0.05 is five standard errors.
MC_TOLERANCE = Tolerance(rtol=0.0, atol=0.05, reason="five standard errors at 1e4 samples")


def test_monte_carlo_oracle_is_reproducible(tmp_path: Path) -> None:
    oracle = make_oracle("monte_carlo", sample_mean, tolerance=MC_TOLERANCE)
    first = estimate(oracle, make_case(mu=MU), tmp_path, SEED)

    again = estimate(oracle, make_case(mu=MU), tmp_path, SEED)
    other_case = estimate(oracle, make_case(index=1, mu=MU), tmp_path, SEED)
    other_seed = estimate(oracle, make_case(mu=MU), tmp_path, SEED + 1)

    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other_case)
    assert not np.array_equal(first, other_seed)


def test_monte_carlo_oracle_gets_the_declared_sample_count(tmp_path: Path) -> None:
    seen: list[int] = []

    def count(mu: np.ndarray, rng: np.random.Generator, samples: int) -> np.ndarray:
        seen.append(samples)
        return sample_mean(mu, rng, samples)

    oracle = make_oracle("monte_carlo", count, samples=2_500, tolerance=MC_TOLERANCE)

    estimate(oracle, make_case(mu=MU), tmp_path, SEED)

    assert seen == [2_500]


def test_monte_carlo_oracle_verifies_within_its_tolerance(tmp_path: Path) -> None:
    oracle = make_oracle("monte_carlo", sample_mean, tolerance=MC_TOLERANCE)
    case = make_case(mu=MU)

    assert verify(oracle, case, output(MU), tmp_path, SEED).passed
    assert not verify(oracle, case, output(MU + 0.2), tmp_path, SEED).passed


def test_verify_reports_a_missing_output(tmp_path: Path) -> None:
    oracle = make_oracle("gradient", half_squared_norm, wrt="w", output=1)

    verdict = verify(oracle, make_case(w=W, X=X), output(X.T @ X @ W), tmp_path, SEED)

    assert (verdict.passed, verdict.message) == (False, "the reference has no output 1")


# --- verify_all ------------------------------------------------------------------------------

def test_verify_all_names_the_oracle_and_the_first_case_it_disagrees_on(tmp_path: Path) -> None:
    good = make_oracle("gradient", half_squared_norm, wrt="w")
    doubled = OracleSpec("twice the gradient", "function",
                         lambda w, X: 2 * X.T @ X @ w, "oracles:twice", TIGHT)
    cases = [make_case(index=i, w=W * (i + 1), X=X) for i in range(3)]
    expected = [(output(X.T @ X @ c.args[0]),) for c in cases]

    problems = verify_all([good, doubled], cases, expected, tmp_path, SEED)

    assert len(problems) == 1
    assert problems[0].startswith(
        "oracle 'twice the gradient' disagrees with the reference on case q1/part/0: ")
    assert verify_all([good], cases, expected, tmp_path, SEED) == []


def test_verify_all_reports_an_oracle_that_raises(tmp_path: Path) -> None:
    def broken(w: np.ndarray, X: np.ndarray) -> np.ndarray:
        raise ZeroDivisionError("no")

    oracle = OracleSpec("broken", "function", broken, "oracles:broken", TIGHT)
    cases = [make_case(index=i, w=W, X=X) for i in range(2)]

    problems = verify_all([oracle], cases, [(output(W),)] * 2, tmp_path, SEED)

    assert problems == ["oracle 'broken' (oracles:broken) failed on case q1/part/0: "
                        "ZeroDivisionError: no"]


# --- oracles declared in a spec --------------------------------------------------------------

@pytest.mark.parametrize(
    ("loss", "problems"),
    [
        ("np.sum(x**2)", []),
        ("np.sum(x**3)", ["oracle 'central differences of the loss' disagrees with the reference "
                          "on case q1/double/0"]),
    ],
)
def test_a_spec_oracle_checks_the_reference_on_every_case(tmp_path: Path, loss: str,
                                                          problems: list[str]) -> None:
    # double(x) = 2 x is the gradient of sum(x^2), not of sum(x^3).
    problem = edited(MINI_PROBLEM, "parts[0].oracles", [{
        "name": "central differences of the loss", "kind": "gradient",
        "function": "solution:loss", "wrt": "x", "step": 1.0e-5,
        "tolerance": {"rtol": 1.0e-6, "atol": 1.0e-8, "reason": "O(h^2)"}}])
    reference = MINI_REFERENCE + f"\n\ndef loss(x):\n    return float({loss})\n"
    assignment = load_assignment(make_assignment(tmp_path / "hw", problems={"q1": problem},
                                                 reference=reference))
    question = assignment.problems[0]
    part = question.parts[0]
    cases = build_part_cases(part, question, assignment.seed, assignment.key)
    expected = compute_expected(question, part, cases, assignment.public_dir)

    found = verify_all(part.oracles, cases, expected, assignment.public_dir, assignment.seed)

    assert [line.split(": ")[0] for line in found] == problems


def test_every_accepted_reference_is_checked_and_named(tmp_path: Path) -> None:
    good = make_oracle("gradient", half_squared_norm, wrt="w")
    cases = [make_case(index=i, w=W * (i + 1), X=X) for i in range(2)]
    right = [output(X.T @ X @ c.args[0]) for c in cases]
    wrong = [output(2 * X.T @ X @ c.args[0]) for c in cases]

    problems = verify_all([good], cases, list(zip(right, wrong, strict=True)), tmp_path, SEED,
                          ("solution:grad", "solution:grad_scaled"))

    assert [p.split(": ")[0] for p in problems] == [
        "oracle 'test gradient' disagrees with the reference solution:grad_scaled on "
        "case q1/part/0"]


def test_a_gradient_oracle_works_on_cases_a_generator_function_draws(tmp_path: Path) -> None:
    problem = edited(MINI_PROBLEM, "parts[0]", {
        "function": "double", "points": 3, "reference": "solution:double",
        "cases": [{"count": 2, "public": True, "generator": "solution:make_x"}],
        "oracles": [{"name": "gradient of the loss", "kind": "gradient",
                     "function": "solution:loss", "wrt": "x",
                     "tolerance": {"rtol": 1.0e-6, "atol": 1.0e-8, "reason": "O(h^2)"}},
                    {"name": "a typo", "kind": "gradient", "function": "solution:loss",
                     "wrt": "z", "tolerance": {"rtol": 1.0e-6, "reason": "O(h^2)"}}]})
    reference = MINI_REFERENCE + "\n\ndef loss(x):\n    return float(np.sum(x**2))\n"
    assignment = load_assignment(make_assignment(tmp_path / "hw", problems={"q1": problem},
                                                 reference=reference))
    question = assignment.problems[0]
    part = question.parts[0]
    cases = build_part_cases(part, question, assignment.seed, None, public_only=True)
    expected = compute_expected(question, part, cases, assignment.public_dir)

    found = verify_all(part.oracles, cases, expected, assignment.public_dir, assignment.seed)

    assert found == ["oracle 'a typo' (solution:loss) failed on case q1/double/0: ValueError: "
                     "wrt: 'z' is not an argument of this case (it has x)"]

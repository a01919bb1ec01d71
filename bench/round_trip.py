"""What a scenario's round trip costs, against a call inside a call sequence.

A scenario (problems/README.md, "Scenarios") makes one request to the student's process per
call; a call sequence (``steps:``) sends every case of a phase in one request. This writes a
small assignment to a temporary folder, with one part of each kind that calls
``f(x) -> x`` N times, grades a correct submission with each part alone (warm workers, full
isolation where available), and prints the time per call, best of R runs:

    python bench/round_trip.py [--calls 2000] [--repeat 5] [--size 4]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import textwrap
import time
from pathlib import Path

from grader.grading import GradeOptions, Grader
from grader.intake.submissions import one_submission
from grader.spec import load_assignment

SPEC = """\
id: q1
title: round trips
points: 2
parts:
  - id: scenario
    points: 1
    reference: m
    scenario: scenarios:many
    timeout: 600
    cases:
      - public: true
        args: {{x: {{normal: [{size}]}}, n: {calls}}}
  - id: steps
    points: 1
    reference: m
    steps:
      - call: f
        args: [x]
        as: y
    returns: [y]
    cases:
      - count: {calls}
        public: true
        args: {{x: {{normal: [{size}]}}}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=int, default=4, help="elements of the argument")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="round-trip-") as tmp:
        root = Path(tmp)
        (root / "reference").mkdir()
        (root / "student").mkdir()
        (root / "assignment.yaml").write_text(
            "name: round trips\nmodule: m\nseed: 1\nproblems: [q1]\n", encoding="utf-8")
        (root / "q1.yaml").write_text(SPEC.format(calls=options.calls, size=options.size),
                                      encoding="utf-8")
        for folder in ("reference", "student"):
            (root / folder / "m.py").write_text("def f(x):\n    return x\n", encoding="utf-8")
        (root / "reference" / "scenarios.py").write_text(textwrap.dedent("""\
            def many(student, x, n):
                for _ in range(n):
                    y = student.f(x)
                return y
            """), encoding="utf-8")
        assignment = load_assignment(root)
        submission = one_submission(root / "student", "m.py")
        per_call = {}
        for part in assignment.problems[0].parts:
            problem = dataclasses.replace(assignment.problems[0], parts=(part,))
            alone = dataclasses.replace(assignment, problems=(problem,))
            with Grader(alone, GradeOptions(cache=False)) as grader:
                grader.grade(submission)  # the worker's zygote, warm
                best = float("inf")
                for _ in range(options.repeat):
                    start = time.perf_counter()
                    result = grader.grade(submission)
                    best = min(best, time.perf_counter() - start)
                assert result.score == result.max_score, result
            per_call[part.id] = best / options.calls
            print(f"{part.id:>9}: {best * 1e6 / options.calls:7.1f} us per call "
                  f"(best of {options.repeat}, {options.calls} calls, {options.size} elements)")
        print(f"a scenario's round trip costs {per_call['scenario'] / per_call['steps']:.1f}x "
              "a call in a call sequence")


if __name__ == "__main__":
    main()

"""Scaling: grading throughput from 1 to N workers, as efficiency against one worker.

Two assignments:

- **hw2**: homework 2 on submissions from ``bench/generate.py`` (the usual mix), a few
  milliseconds of the student's compute each;
- **heavy**: a synthetic assignment written here, a training loop (logistic regression by
  gradient descent, in numpy) of about 1 s of compute per submission, where a cluster pays
  off.

Two executors: ``grader grade --jobs K`` (job processes on this machine) and ``grader grade
--dask local --jobs K`` (a Dask ``LocalCluster`` of K worker processes, each grading with
this machine's isolation). N is this machine's core count unless ``--max-workers`` says.

Throughput is the submissions graded per second of grading, from the CLI's summary line
(``graded S submission(s) in T s``: what starting the command, the zygotes or the cluster
costs is left out, and shown apart as the wall time). Efficiency at K workers is the
throughput at K over K times the throughput at 1. Each figure is the best of ``--repeat``
runs, taken in turns. Expected outputs are cached before the timed runs.

    python bench/scaling.py [--hw2-n 300] [--heavy-n 16] [--repeat 3] [--max-workers N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

HEAVY_ASSIGNMENT = """\
name: "Heavy: a training loop per submission"
module: train
seed: 2121
problems: [q1]
defaults:
  tolerance: {rtol: 1.0e-6, atol: 1.0e-9}
  timeout: 60
"""
HEAVY_PROBLEM = """\
id: q1
title: Logistic regression by gradient descent
points: 10
parts:
  - function: fit
    points: 10
    reference: solution:fit
    cases:
      - count: 4
        public: 1
        args:
          X: {normal: [2000, 40]}
          y: {integers: {low: 0, high: 2, shape: [2000]}}
          lr: 0.1
          steps: %(steps)d
"""
HEAVY_SOLUTION = """\
import numpy as np


def fit(X, y, lr, steps):
    w = np.zeros(X.shape[1])
    for _ in range(int(steps)):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        w = w - lr * (X.T @ (p - y)) / len(y)
    return w
"""


def heavy_assignment(folder: Path, steps: int) -> Path:
    (folder / "reference").mkdir(parents=True)
    (folder / "assignment.yaml").write_text(HEAVY_ASSIGNMENT, encoding="utf-8")
    (folder / "q1.yaml").write_text(HEAVY_PROBLEM % {"steps": steps}, encoding="utf-8")
    (folder / "reference" / "solution.py").write_text(HEAVY_SOLUTION, encoding="utf-8")
    (folder / "hidden.key").write_text(bytes(range(32)).hex() + "\n", encoding="ascii")
    return folder


def heavy_class(folder: Path, n: int) -> Path:
    for i in range(n):
        (folder / f"student{i:03d}").mkdir(parents=True)
        (folder / f"student{i:03d}" / "train.py").write_text(HEAVY_SOLUTION, encoding="utf-8")
    return folder


def calibrate_steps(target: float = 1.0) -> int:
    """Gradient-descent steps over the 4 cases that take about ``target`` seconds here."""
    import numpy as np

    namespace: dict[str, object] = {}
    exec(HEAVY_SOLUTION, namespace)  # noqa: S102 (our own code)
    fit = namespace["fit"]
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(2000, 40)), rng.integers(0, 2, size=2000)
    start = time.perf_counter()
    fit(X, y, 0.1, 200)  # type: ignore[operator]
    per_step = (time.perf_counter() - start) / 200
    return max(10, int(target / 4 / per_step))


def grade(assignment: Path, subs: Path, workers: int, dask: bool,
          env: dict[str, str]) -> tuple[float, float, int]:
    """(seconds of grading, wall seconds, submissions) of one CLI run."""
    command = [sys.executable, "-m", "grader", "grade", str(assignment), str(subs),
               "--format", "json", "-o", os.devnull, "--jobs", str(workers),
               *(["--dask", "local"] if dask else [])]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    found = re.search(r"graded (\d+) submission\(s\) in ([\d.]+)s", done.stderr)
    if found is None:
        raise SystemExit(f"no summary line in:\n{done.stderr}")
    return float(found.group(2)), wall, int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw2-n", type=int, default=300)
    parser.add_argument("--heavy-n", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-workers", type=int,
                        default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                        else os.cpu_count() or 1)
    parser.add_argument("--heavy-seconds", type=float, default=1.0,
                        help="compute per heavy submission")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-scaling-"))
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"),
           "XDG_STATE_HOME": str(work / "state")}
    try:
        subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--n",
                        str(args.hw2_n), str(work / "hw2-class")], check=True,
                       capture_output=True)
        steps = calibrate_steps(args.heavy_seconds)
        heavy = heavy_assignment(work / "heavy", steps)
        assignments = {
            "hw2": (REPO / "problems" / "hw2", work / "hw2-class"),
            "heavy": (heavy, heavy_class(work / "heavy-class", args.heavy_n)),
        }
        for assignment, subs in assignments.values():  # (expected outputs, then cached)
            grade(assignment, sorted(subs.iterdir())[0], 1, False, env)
        workers = list(range(1, args.max_workers + 1))
        best: dict[tuple[str, str, int], tuple[float, float, int]] = {}
        for _ in range(args.repeat):
            for name, (assignment, subs) in assignments.items():
                for executor in ("jobs", "dask"):
                    for k in workers:
                        seconds, wall, n = grade(assignment, subs, k, executor == "dask", env)
                        key = (name, executor, k)
                        if key not in best or seconds < best[key][0]:
                            best[key] = (seconds, wall, n)
        print(f"{args.max_workers} cores; heavy: {steps} steps a case, 4 cases, "
              f"~{args.heavy_seconds:g} s of compute a submission; best of {args.repeat}\n")
        print("| assignment | executor | workers | submissions | grading (s) | per second "
              "| efficiency | wall (s) |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for (name, executor, k), (seconds, wall, n) in best.items():
            rate = n / seconds
            one = best[(name, executor, 1)]
            efficiency = rate / (k * one[2] / one[0])
            label = "`--jobs K`" if executor == "jobs" else "`--dask local --jobs K`"
            print(f"| {name} | {label} | {k} | {n} | {seconds:.2f} | {rate:.2f} | "
                  f"{efficiency:.2f} | {wall:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The second shipped assignment (problems/layers: call sequences, objects, a scenario):
what grading one submission costs against the in-process floor.

The class is N copies of the examples in examples/layers, round robin. The grader's time is
`grader grade problems/layers CLASS --jobs 1 --format json` (the real CLI, full isolation
where this machine has it, a warm cache of expected outputs); the floor imports each
submission in this process and runs the same calls (call sequences, the scenario with the
student's module in the reference's place) and the same comparisons, with no isolation.
Both are the best of R runs:

    python bench/layers.py [--n 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader.grading import GradeOptions, Grader, PreparedPart  # noqa: E402
from grader.judge.compare import judge  # noqa: E402
from grader.judge.expected import run_reference, run_scenario, run_sequence  # noqa: E402
from grader.outcomes import CallOutcome, Status  # noqa: E402
from grader.spec import load_assignment  # noqa: E402

ASSIGNMENT = REPO / "problems" / "layers"
EXAMPLES = REPO / "examples" / "layers"


def make_class(folder: Path, n: int) -> list[Path]:
    examples = sorted(p for p in EXAMPLES.iterdir() if p.is_dir())
    subs = []
    for i in range(n):
        target = folder / f"student{i:03d}"
        target.mkdir(parents=True)
        shutil.copyfile(examples[i % len(examples)] / "layers.py", target / "layers.py")
        subs.append(target)
    return subs


def floor(subs: list[Path], grader: Grader) -> float:
    """Every submission imported here and every case run and judged; no isolation."""
    start = time.perf_counter()
    public = grader.assignment.public_dir
    sys.path.insert(0, str(public))  # (the compatibility shim)
    with warnings.catch_warnings(record=True):  # (recorded, as the worker does)
        warnings.simplefilter("always")
        _floor(subs, grader, public)
    return time.perf_counter() - start


def _floor(subs: list[Path], grader: Grader, public: Path) -> None:
    for i, folder in enumerate(subs):
        spec = importlib.util.spec_from_file_location(f"bench_layers_{i}", folder / "layers.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for prepared in grader.parts:
            for case, expected in zip(prepared.cases, prepared.expected, strict=True):
                judge(_outcome(prepared, module, case, public), expected,
                      prepared.part.tolerance, prepared.part.outputs,
                      labels=prepared.plan.labels)


def _outcome(prepared: PreparedPart, module: object, case: object, public: Path
             ) -> CallOutcome:
    part = prepared.part
    try:
        if part.scenario is not None:
            output = run_scenario(part.scenario, module, case, public)  # type: ignore[arg-type]
        elif part.program is not None:
            output = run_sequence(module, part.program, case, public)  # type: ignore[arg-type]
        else:
            output = run_reference(getattr(module, part.function), case,  # type: ignore[arg-type]
                                   public, part.compare)
    except Exception:
        return CallOutcome(Status.ERROR, "raised")
    return CallOutcome(Status.OK, outputs=output.values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-layers-") as tmp:
        subs = make_class(Path(tmp) / "class", options.n)
        grader = Grader(load_assignment(ASSIGNMENT), GradeOptions())
        command = [sys.executable, "-m", "grader", "grade", str(ASSIGNMENT),
                   str(Path(tmp) / "class"), "--jobs", "1", "--format", "json", "-o",
                   "/dev/null"]
        subprocess.run(command, check=True, capture_output=True)  # (warms the cache)
        t_floor = t_grade = float("inf")
        for run in range(options.repeat):
            t_floor = min(t_floor, floor(subs, grader))
            start = time.perf_counter()
            subprocess.run([*command, "--run-dir", str(Path(tmp) / f"run{run}")], check=True,
                           capture_output=True)
            t_grade = min(t_grade, time.perf_counter() - start)
        grader.close()
    cases = sum(len(p.cases) for p in grader.parts)
    print(f"problems/layers: {options.n} submissions, {cases} cases each, best of "
          f"{options.repeat}")
    print(f"  in-process floor:      {t_floor / options.n * 1000:7.1f} ms per submission")
    print(f"  grader grade --jobs 1: {t_grade / options.n * 1000:7.1f} ms per submission "
          "(CLI start included)")
    print(f"  ratio: {t_grade / t_floor:.2f}")


if __name__ == "__main__":
    main()

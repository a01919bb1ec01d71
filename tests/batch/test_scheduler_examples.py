"""The cluster examples (examples/cluster/): a Slurm job array, a Kubernetes Indexed Job and a
GitHub Actions matrix. Neither Slurm nor Kubernetes runs here, so each example's grader
commands are taken out of it, the scheduler's index variable is set (``SLURM_ARRAY_TASK_ID``,
``JOB_COMPLETION_INDEX``, the matrix value) for each task it would start, and bash expands
the command as the task's shell would; the commands run here, on a small class, and their
merge must give the report of one run.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .._cli import run
from .._mini import REPO_ROOT, make_assignment, write_student

EXAMPLES = REPO_ROOT / "examples" / "cluster"
WRONG = """
def double(x):
    return 3 * x
"""


def _argv(command: str, env: dict[str, str]) -> list[str]:
    """The words bash makes of ``command`` with ``env`` set, from the word ``grader`` on
    (what comes before it, such as sudo, is the scheduler's business)."""
    done = subprocess.run(["bash", "-c", f'set -- {command}; printf "%s\\0" "$@"'],
                          capture_output=True, text=True, env={**os.environ, **env},
                          check=True)
    words = done.stdout.split("\0")[:-1]
    return words[words.index("grader") + 1:]


def _shell_lines(script: str) -> list[str]:
    """The grader commands of a shell script (continued lines joined)."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("grader ")]


def slurm() -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    grade = (EXAMPLES / "slurm-grade.sbatch").read_text(encoding="utf-8")
    merge = (EXAMPLES / "slurm-merge.sbatch").read_text(encoding="utf-8")
    first, last = map(int, re.search(r"#SBATCH --array=(\d+)-(\d+)", grade).groups())  # type: ignore[union-attr]
    [command] = _shell_lines(grade)
    tasks = [(command, {"SLURM_ARRAY_TASK_ID": str(i), "SLURM_CPUS_PER_TASK": "1"})
             for i in range(first, last + 1)]
    return tasks, _shell_lines(merge)


def _k8s_script(path: Path) -> tuple[dict[str, Any], str]:
    job: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    [container] = job["spec"]["template"]["spec"]["containers"]
    shell, flag, script = container["command"]
    assert (shell, flag) == ("sh", "-c") and container["workingDir"] == "/data"
    return job, script


def kubernetes() -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    job, script = _k8s_script(EXAMPLES / "kubernetes-grade.yaml")
    assert job["spec"]["completionMode"] == "Indexed"
    tasks = [(script, {"JOB_COMPLETION_INDEX": str(i)})
             for i in range(job["spec"]["completions"])]
    return tasks, [_k8s_script(EXAMPLES / "kubernetes-merge.yaml")[1]]


def github() -> tuple[list[tuple[str, dict[str, str]]], list[str]]:
    workflow = yaml.safe_load((EXAMPLES / "github-sharded.yml").read_text(encoding="utf-8"))
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    [grade_step] = [s["run"] for s in shard["steps"] if "grader grade" in s.get("run", "")]
    [merge_step] = [s["run"] for s in merge["steps"] if "grader merge" in s.get("run", "")]
    tasks = [(grade_step.replace("${{ matrix.shard }}", str(value)), {})
             for value in shard["strategy"]["matrix"]["shard"]]
    return tasks, [merge_step]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small class where the examples expect it: problems/hw2 and submissions/."""
    root = tmp_path_factory.mktemp("course")
    make_assignment(root / "problems" / "hw2")
    for i in range(10):
        write_student(root / "submissions" / f"student{i:02d}", WRONG if i % 3 == 0 else "")
    done = run("grade", root / "problems" / "hw2", root / "submissions", "--format", "csv",
               "-o", root / "one-run.csv", "--run-dir", root / "one-run")
    assert done.exit_code == 0, done.output
    return root


@pytest.mark.parametrize("example", [slurm, kubernetes, github])
def test_an_example_run_here_gives_the_report_of_one_run(
        example: Any, course: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "data"  # the shared filesystem (Slurm's, the volume, the artifacts)
    work.mkdir()
    for name in ("problems", "submissions"):
        (work / name).symlink_to(course / name)
    (work / "runs" / "hw2").mkdir(parents=True)  # (as the Slurm example says to make first)
    monkeypatch.chdir(work)
    tasks, merges = example()
    assert len(tasks) >= 2
    ids: list[str] = []
    for command, env in tasks:
        argv = _argv(command, env)
        assert argv[0] == "grade" and "--shard" in argv, argv
        done = run(*argv)
        assert done.exit_code == 0, (shlex.join(argv), done.output)
        run_dir = Path(argv[argv.index("--run-dir") + 1])
        ids += [json.loads(line)["id"] for line in
                (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == [f"student{i:02d}" for i in range(10)]  # each graded once
    if example is not github:  # a task the scheduler runs again resumes its folder
        again = run(*_argv(*tasks[0]))
        assert again.exit_code == 0, again.output
        assert "graded 0 submission(s)" in again.output
    [merge] = merges
    argv = _argv(merge, {})
    assert argv[0] == "merge", argv
    done = run(*argv)
    assert done.exit_code == 0, (shlex.join(argv), done.output)
    assert _csv_of(argv).read_bytes() == (course / "one-run.csv").read_bytes()


def _csv_of(argv: list[str]) -> Path:
    """Where a merge command writes its csv report: -o with --format csv, or --also csv:."""
    words = dict(itertools.pairwise(argv))
    if words.get("--format") == "csv":
        return Path(words["-o"])
    return Path(next(w for w in argv if w.startswith("csv:")).partition(":")[2])

"""The Dask executor against a real ``distributed.LocalCluster`` of worker processes: the
report equals a local run's, also when a worker is killed mid-run; workers that cannot
isolate student code are refused.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import zipfile
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

import grader
from grader.batch import cluster
from grader.errors import UsageError
from grader.grading import GradeOptions, Grader
from grader.intake.submissions import discover
from grader.results import SubmissionResult
from grader.spec import load_assignment

from .._mini import make_assignment, write_student
from .._reports import without_timings

distributed = pytest.importorskip(
    "distributed", reason="the dask extra is not installed: pip install -e '.[dask]'")

SLOW = """
import time


def halve(x):
    time.sleep(0.3)
    return x / 2
"""
WRONG = """
def double(x):
    return 3 * x
"""



def _class(root: Path, n: int, slow: bool = True) -> tuple[Path, Path]:
    assignment = make_assignment(root / "assignment")
    subs = root / "subs"
    for i in range(n):
        write_student(subs / f"s{i}", (SLOW if slow else "") + (WRONG if i % 2 else ""))
    return assignment, subs


def test_a_local_cluster_grades_as_a_local_run(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, 4, slow=False)
    with zipfile.ZipFile(subs / "zipped.zip", "w") as archive:  # (unpacked here, shipped)
        archive.write(subs / "s1" / "hw.py", "hw.py")
    (subs / "bad.zip").write_bytes(b"not a zip")  # (a problem of intake, not of a worker)
    reports = {}
    for name, options in (("here", []), ("dask", ["--dask", "local", "-j", "2", "--run-dir",
                                                  str(tmp_path / "run")])):
        done = subprocess.run(["grader", "grade", str(assignment), str(subs), "--format",
                               "json", "-o", str(tmp_path / name), *options],
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        reports[name] = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    assert re.search(r"grader: 2 Dask worker\(s\); isolation: (full|confined)", done.stderr)
    assert without_timings(reports["dask"]) == without_timings(reports["here"])
    assert len(reports["dask"]["submissions"]) == 6
    # Results stream into the local run folder: a run cut short resumes on the cluster.
    kept = (tmp_path / "run" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(kept) == 6
    (tmp_path / "run" / "results.jsonl").write_text("\n".join(kept[:2]) + "\n",
                                                    encoding="utf-8")
    done = subprocess.run(["grader", "grade", str(assignment), str(subs), "--dask", "local",
                           "-j", "2", "--resume", str(tmp_path / "run"), "--format", "json",
                           "-o", str(tmp_path / "resumed")],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "graded 4 submission(s)" in done.stderr
    resumed = json.loads((tmp_path / "resumed").read_text(encoding="utf-8"))
    assert without_timings(resumed) == without_timings(reports["here"])


def test_a_worker_killed_mid_run_costs_nothing(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "batch_size", lambda submissions, workers: 2)
    assignment, subs = _class(tmp_path, 6)
    spec = load_assignment(assignment)
    found = discover(subs, spec.module_file)
    with Grader(spec, GradeOptions()) as grader:
        here = {r.id: r for r in grader.grade_all(found, jobs=2)}
        settings = cluster.Settings(sandbox="confined", timeout=None, memory=2 << 30,
                                    public_only=False, case_ids=None, seed=None,
                                    vary_by_student=False)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as local:
            executor = cluster.DaskExecutor(grader, local.scheduler_address, settings)
            killed: list[str] = []
            results: list[SubmissionResult] = []

            def kill_one() -> None:  # a worker busy with a batch, by SIGKILL
                processing = executor.client.processing()
                busy = next(addr for addr, keys in sorted(processing.items()) if keys)
                pid = executor.client.run(os.getpid, workers=[busy])[busy]
                os.kill(pid, signal.SIGKILL)
                killed.append(busy)

            def finished(result: SubmissionResult) -> None:
                results.append(result)
                if len(results) == 2:  # (one batch in: the next ones are in flight)
                    threading.Thread(target=kill_one).start()

            try:
                executor(found, finished)
            finally:
                executor.close()
    assert killed, "no worker was killed"
    assert sorted(r.id for r in results) == sorted(here)
    for result in results:
        assert without_timings(result.to_dict()) == without_timings(here[result.id].to_dict())


class _Client:
    def __init__(self, levels: dict[str, str], version: str = grader.__version__) -> None:
        self.levels = levels
        self.version = version

    def run(self, function: Any, *args: Any) -> dict[str, dict[str, str]]:
        return {address: {"level": level, "summary": f"isolation: {level} (as probed)",
                          "version": self.version}
                for address, level in self.levels.items()}


def _executor(levels: dict[str, str]) -> cluster.DaskExecutor:
    executor = cluster.DaskExecutor.__new__(cluster.DaskExecutor)
    executor.client = _Client(levels)
    executor.settings = cluster.Settings("confined", None, 1 << 30, False, None, None, False)
    executor._warn = lambda line: None
    executor._lost = 0
    return executor


def test_a_worker_without_isolation_is_refused_unless_accepted() -> None:
    executor = _executor({"tcp://10.0.0.5:4001": "full", "tcp://10.0.0.7:4001": "limits"})
    with pytest.raises(UsageError, match=r"worker tcp://10\.0\.0\.7:4001 cannot isolate "
                                         r"student code: isolation: limits .*; give "
                                         r"--allow-limits-only"):
        executor._check_workers(allow_limits=False)
    executor._check_workers(allow_limits=True)
    with pytest.raises(UsageError, match="has no workers"):
        _executor({})._check_workers(allow_limits=True)
    other = _executor({"tcp://10.0.0.5:4001": "full"})
    other.client = _Client({"tcp://10.0.0.5:4001": "full"}, version="0.0.9")
    with pytest.raises(UsageError, match=r"worker tcp://10\.0\.0\.5:4001 runs grader 0\.0\.9, "
                                         r"not .*: install the same version on every worker"):
        other._check_workers(allow_limits=True)


def test_the_workers_never_run_below_the_confined_level_unless_told() -> None:
    assert cluster.worker_sandbox("auto", allow_limits=False) == "confined"
    assert cluster.worker_sandbox("auto", allow_limits=True) == "auto"
    assert cluster.worker_sandbox("strict", allow_limits=True) == "strict"
    with pytest.raises(UsageError, match="--sandbox off"):
        cluster.worker_sandbox("off", allow_limits=True)


def test_an_unreachable_scheduler_is_one_line(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, 1, slow=False)
    done = subprocess.run(["grader", "grade", str(assignment), str(subs), "--dask",
                           "tcp://127.0.0.1:9", "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("grader: error: --dask tcp://127.0.0.1:9: cannot reach the "
                                "scheduler"), done.stderr
    assert "Traceback" not in done.stderr


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


def test_a_failed_task_is_sent_again_once_then_not_graded(tmp_path: Path) -> None:
    assignment, subs = _class(tmp_path, 2, slow=False)
    spec = load_assignment(assignment)
    found = discover(subs, spec.module_file)
    with Grader(spec, GradeOptions()) as grader:
        good = grader.grade(found[0])
        executor = _executor({})
        executor.grader = grader
        results: list[SubmissionResult] = []
        attempts = {s.id: 1 for s in found}
        again = executor._collect(_Done([good.json, "!SandboxUnavailable: no Landlock"]),
                                  found, results.append, attempts)
        assert [r.id for r in results] == ["s0"] and again == [found[1]]
        attempts["s1"] = 2
        assert executor._collect(_Done(OSError("worker lost")), [found[1]], results.append,
                                 attempts) == []
        assert executor._collect(_Done(["not json"]), [found[0]], results.append,
                                 {"s0": 2}) == []
        # The cluster lost the shipped assignment: sent again, no attempt spent.
        before = dict(attempts)
        assert executor._collect(_Done(CancelledError()), found, results.append,
                                 attempts) == found
        assert {i: n + 1 for i, n in attempts.items()} == before
        attempts.update(before)
        # A worker that cannot prepare its grader (the assignment is not where it looks):
        # sent once more; failing again, the cluster's setup is wrong and the run stops.
        setup = f"{cluster.SETUP}SpecError: /shared/hw2: assignment folder not found"
        assert executor._collect(_Done([setup]), [found[0]], results.append,
                                 {"s0": 1}) == [found[0]]
        with pytest.raises(UsageError, match="--dask: the workers cannot grade: SpecError: "
                                             "/shared/hw2: assignment folder not found"):
            executor._collect(_Done([setup]), [found[0]], results.append, {"s0": 2})
    assert results[1].id == "s1" and results[1].score == 0
    assert results[1].error.startswith("not graded: the Dask cluster could not grade it "
                                       "(OSError on the cluster); grade it again")
    assert results[2].error.startswith("not graded: the Dask cluster could not grade it")
    assert cluster.batch_size(300, 2) == 32 and cluster.batch_size(16, 2) == 2
    assert cluster.batch_size(5, 64) == 1


def test_a_worker_keeps_a_few_graders_and_checks_the_assignment(tmp_path: Path) -> None:
    assignment, _ = _class(tmp_path, 1, slow=False)
    (assignment / "public").mkdir()
    (assignment / "public" / "helpers.py").write_text("X = 1\n", encoding="utf-8")
    spec = load_assignment(assignment)
    base = cluster.Settings("auto", None, 1 << 30, False, None, None, False).to_dict()
    shipped = cluster._shipped_assignment(spec)
    made = [cluster._prepared(shipped, spec.digest, {**base, "timeout": float(t)})[0]
            for t in range(1, cluster.KEEP + 2)]
    try:
        assert len(cluster._graders) == cluster.KEEP
        assert all(g.assignment.digest == spec.digest for g in made)
        assert cluster._prepared(shipped, spec.digest, {**base, "timeout": 5.0})[0] is made[-1]
        folders = [f for *_, f in cluster._graders.values()]
        with pytest.raises(UsageError, match="not the same assignment"):
            cluster._prepared(shipped, "0" * 16, base)
        assert [f for *_, f in cluster._graders.values()] == folders
        assert all(f is not None and Path(f).is_dir() for f in folders)
        # The confined level's student uids pass through to public/ and read it, as in any
        # assignment folder; nothing else there is theirs, or any other user's, to read.
        folder = Path(str(folders[0]))
        root = folder / "assignment"
        modes = {p.relative_to(folder).as_posix(): p.stat().st_mode & 0o777
                 for p in [folder, *folder.rglob("*")]}
        assert modes["."] == modes["assignment"] == 0o711
        public = {k: m for k, m in modes.items() if k.startswith("assignment/public")}
        assert public and all(m & 0o005 == 0o005 if (folder / k).is_dir() else m & 0o004
                              for k, m in public.items())
        assert all(m & 0o077 == 0 for k, m in modes.items()
                   if k not in public and k not in (".", "assignment")), modes
        assert (root / "reference").is_dir() and (root / "hidden.key").is_file()
        # A killed worker's shipped assignment is swept by the next one.
        stale = Path(tempfile.mkdtemp(prefix=f"{cluster._SHIPPED}999999999-"))
        cluster._sweep_stale()
        assert not stale.exists() and folder.exists()
    finally:
        cluster._close_workers()
    assert not any(Path(f).exists() for f in folders if f)

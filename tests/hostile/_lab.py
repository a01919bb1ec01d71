"""The hostile suite's harness: where submissions are graded, and what is checked around a run.

A :class:`Lab` holds a copy of ``assignment/`` and of ``corpus/`` in a temporary folder, with
the paths a hostile submission needs (the repository, the corpus, the assignment, a secret)
written into its text, so that tampering with a sibling or with the assignment can only hurt
those copies. :meth:`Lab.observe` grades one submission and records what the five checks of
the suite need: how long it took, the result, which files changed outside the grader's scratch
space, which grader run folders were left behind, and which processes are still alive.

Leftover processes are found precisely: the test process makes itself a child subreaper
(``PR_SET_CHILD_SUBREAPER``), so every process the grader starts, a double-forked or
``setsid`` daemon included, stays its descendant until it dies. Processes of other programs
on the machine (another grader run, say) are not descendants and never fail a test here.
Anything that escaped all the same (to init) is caught by the global check: a process that
started during the run, now a child of PID 1, running as a student uid or as a grader worker.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.grading import GradeOptions, Grader
from grader.intake.submissions import one_submission
from grader.results import SubmissionResult
from grader.sandbox import zygotes
from grader.sandbox.runner import RunOptions
from grader.spec import Assignment, load_assignment

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
ASSIGNMENT = HERE / "assignment"
CORPUS = HERE / "corpus"
PROBLEMS = REPO_ROOT / "problems"
MODULE_FILE = "hw.py"

# What a run may take beyond its import timeout and its expected timeouts: process start-up,
# restarts after crashes, a CLI's own start-up, all on two busy cores.
SLACK = 4.0
# Processes of a student run die with its PID namespace; give the kernel this long to finish.
REAP_GRACE = 1.0
WORKER_MARKERS = ("grader.sandbox.child.worker", "grader.sandbox.child.zygote")
STUDENT_UIDS = range(64000, 64101)

# /tmp entries that other programs on this machine create and remove while the suite runs
# (pytest, other grader runs, tempfile.mkdtemp names, mktemp(1) names, the shell tooling).
# Hostile submissions write names starting with "hostile-"; the grader's own run folders are
# checked separately.
_TMP_NOISE = re.compile(
    r"pytest-of-.*|grader-.*|tmp[a-z0-9_]{8}|tmp\.[A-Za-z0-9]{10}|bash_jobs.*|bash_tool_.*")

Snapshot = dict[str, tuple[int, int, int]]  # path -> (mode, size, mtime in ns)


# --- files --------------------------------------------------------------------------------------

def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_mode, st.st_size, st.st_mtime_ns


def tree(root: Path) -> Snapshot:
    """Every path under ``root`` (links not followed, ``__pycache__`` left out)."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            stat = _stat(path)
            if stat is not None:
                found[path] = stat
    return found


def tmp_listing(skip: Path) -> Snapshot:
    """/tmp, top level and one level down, without the noise of other programs."""
    found: Snapshot = {}
    with contextlib.suppress(OSError):
        for top in os.scandir("/tmp"):
            if _TMP_NOISE.fullmatch(top.name) or top.path == str(skip):
                continue
            stat = _stat(top.path)
            if stat is None:
                continue
            found[top.path] = stat
            if top.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    for entry in os.scandir(top.path):
                        stat = _stat(entry.path)
                        if stat is not None:
                            found[entry.path] = stat
    return found


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    out = []
    for path in sorted(before.keys() | after.keys()):
        if path not in after:
            out.append(f"removed {path}")
        elif path not in before:
            out.append(f"created {path}")
        elif before[path] != after[path]:
            out.append(f"modified {path}")
    return out


def tmp_changes(before: Snapshot, after: Snapshot) -> list[str]:
    """Changes in /tmp that a submission could have made.

    Every change to a name the corpus writes (``hostile-*``, ``PWNED*``) counts, and so does
    any entry created or removed. A file that already existed and merely grew is left out:
    other programs on the machine (a CI log being written) do that while the suite runs.
    """
    def ours(line: str) -> bool:
        name = os.path.basename(line.partition(" ")[2])
        return name.startswith(("hostile-", "PWNED"))

    return [c for c in changes(before, after) if ours(c) or not c.startswith("modified ")]


# --- processes ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str
    uid: int
    cmdline: str
    start: int  # clock ticks after boot

    @property
    def suspect(self) -> bool:
        """Looks like a student process: a grader worker, or running as a student uid."""
        return any(m in self.cmdline for m in WORKER_MARKERS) or self.uid in STUDENT_UIDS

    def describe(self) -> str:
        kind = [] if self.ppid != 1 else ["orphaned to init"]
        if any(m in self.cmdline for m in WORKER_MARKERS):
            kind.append("grader worker")
        if self.uid in STUDENT_UIDS:
            kind.append("student uid")
        label = f" [{', '.join(kind)}]" if kind else ""
        return f"pid {self.pid} (uid {self.uid}, state {self.state}){label}: {self.cmdline[:120]}"


def _read_proc(pid: int) -> Proc | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode(errors="replace")
        with open(f"/proc/{pid}/status", "rb") as f:
            status = f.read().decode(errors="replace")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    uid = next((int(line.split()[1]) for line in status.splitlines()
                if line.startswith("Uid:")), -1)
    return Proc(pid, int(fields[1]), fields[0], uid, cmdline, int(fields[19]))


def boot_ticks() -> int:
    """Now, in the clock ticks of /proc/<pid>/stat's start time."""
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))


def processes() -> dict[int, Proc]:
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            proc = _read_proc(int(name))
            if proc is not None:
                found[proc.pid] = proc
    return found


def descendants(root: int) -> list[Proc]:
    table = processes()
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child.pid)
    return out


def _reap_zombies() -> None:
    """Reap dead children (as a subreaper, orphans of the grader's processes come here)."""
    me = os.getpid()
    for proc in descendants(me):
        if proc.state == "Z" and proc.ppid == me:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(proc.pid, os.WNOHANG)


def leftover_processes(since: int, grace: float = REAP_GRACE,
                       existing: frozenset[tuple[int, int]] = frozenset()) -> list[Proc]:
    """Live descendants of this process, and suspects started ``since`` (boot ticks) that
    were orphaned to init, after giving dying ones ``grace`` seconds. Descendants in
    ``existing`` (pid, start) were there before: other tests' graders, not leftovers."""
    deadline = time.monotonic() + grace
    while True:
        _reap_zombies()
        alive = [p for p in descendants(os.getpid())
                 if p.state != "Z" and (p.pid, p.start) not in existing]
        escaped = [p for p in processes().values()
                   if p.ppid == 1 and p.suspect and p.start >= since and p.state != "Z"]
        left = alive + [p for p in escaped if p not in alive]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def kill(procs: list[Proc]) -> None:
    """Kill processes this test started (by pid, never by name), then reap them."""
    for proc in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(proc.pid, signal.SIGKILL)
    time.sleep(0.05)
    _reap_zombies()


_PR_SET_CHILD_SUBREAPER = 36


def set_subreaper(on: bool) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0)


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartView:
    score: float
    max_score: float
    message: str


@dataclass
class Graded:
    """One submission's result, from the library or from the CLI's JSON report."""

    parts: dict[str, PartView]
    score: float
    max_score: float
    error: str
    output: str
    seconds: float
    warnings: list[str] = field(default_factory=list)  # what the grader said on stderr
    level: str = "?"  # the isolation level the grader ended with (library runs only)
    separate_uid: bool = False  # (confined level: a student uid per job slot)

    @classmethod
    def from_result(cls, result: SubmissionResult, warnings: list[str], level: str) -> Graded:
        graded = cls.from_dict(result.to_dict(), warnings)
        graded.level = level
        return graded

    @classmethod
    def from_dict(cls, d: dict[str, Any], warnings: list[str] | None = None) -> Graded:
        # By part id: a function's name for a part that makes one call ("add"), the id of a
        # call sequence ("chain", whose last step calls "t.add").
        parts = {p.get("id") or p["function"]: PartView(p["score"], p["max_score"],
                                                        p["message"])
                 for problem in d["problems"] for p in problem["parts"]}
        return cls(parts, d["score"], d["max_score"], d.get("error", ""), d.get("output", ""),
                   d.get("seconds", 0.0), list(warnings or []))


@dataclass
class CliRun:
    returncode: int | None  # None: killed after its timeout
    stdout: str
    stderr: str
    report: dict[str, Any] | None  # the parsed JSON report, None if stdout did not parse
    submissions: dict[str, Graded]


@dataclass
class Observation:
    """What happened around one grading run."""

    graded: Any
    seconds: float
    changed: list[str]  # files created, removed or modified outside the scratch space
    left_runs: list[str]  # grader run folders still on disk
    left_procs: list[Proc]  # processes still alive
    raised: str = ""  # the end of the traceback, if grading raised (graded is then None)


# --- the lab ------------------------------------------------------------------------------------

@dataclass
class Lab:
    root: Path
    assignment: Path
    corpus: Path
    spec: Assignment
    tmpdir: Path  # the grader's temporary folder (its grader-run-* folders go here)
    secret: str
    port: int = 0  # a TCP server listening on 127.0.0.1 for the lab's lifetime
    level: str = "unknown"  # isolation level the grader reached on a first, correct run
    separate_uid: bool = False  # at the confined level: a student uid per job slot
    why: str = ""  # why full isolation is unavailable, if it is
    baseline: float = 0.0  # seconds a correct submission takes to run

    @property
    def timeouts(self) -> dict[str, float]:
        """Each part's timeout per call, by part id (as :attr:`Graded.parts`)."""
        return {part.id: part.timeout for problem in self.spec.problems
                for part in problem.parts}

    @property
    def import_timeout(self) -> float:
        return self.spec.defaults.timeout

    def substitute(self, text: str) -> str:
        for key, value in {"REPO": REPO_ROOT, "CORPUS": self.corpus,
                           "ASSIGNMENT": self.assignment, "SECRET": self.secret,
                           "CACHE": grader_cache(), "PORT": self.port,
                           "PID": os.getpid()}.items():
            text = text.replace(f"@@{key}@@", str(value))
        return text

    def write(self, folder: Path, text: str) -> Path:
        """A submission folder holding hw.py, with the lab's paths written in."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MODULE_FILE).write_text(self.substitute(text), encoding="utf-8")
        return folder

    def require_confined(self, what: str) -> None:
        """Skip unless the level promises ``what`` with or without a uid of its own."""
        self.require(what, "full", "confined-uid", "confined")

    def require_full(self, what: str) -> None:
        self.require(what, "full")

    def require(self, what: str, *tiers: str) -> None:
        """Skip unless this machine's tier (:attr:`tier`) is one of ``tiers``: the levels
        whose promise (in the README's security table) ``what`` tests."""
        if self.tier not in tiers:
            pytest.skip(f"needs {' or '.join(tiers)} isolation ({what}); this machine has "
                        f"{self.tier!r}: {self.why}")

    @property
    def tier(self) -> str:
        """The level, with "confined-uid" for the confined level with a uid per slot."""
        return "confined-uid" if self.level == "confined" and self.separate_uid else self.level

    @property
    def strict(self) -> str:
        """The --sandbox mode that refuses anything below this machine's level."""
        return {"full": "strict", "confined": "confined"}.get(self.level, "auto")

    # --- grading ----------------------------------------------------------------------------

    def grade(self, folder: Path, sandbox: str = "auto") -> Graded:
        """Grade one submission folder with the library, as `grader grade` would."""
        warnings: list[str] = []
        options = GradeOptions(run=RunOptions(sandbox=sandbox), warn=warnings.append)
        with Grader(self.spec, options) as grader:
            result = grader.grade(one_submission(folder, MODULE_FILE))
            level = grader.isolation.level
            confinement = grader.isolation.confinement
        graded = Graded.from_result(result, warnings, level)
        graded.separate_uid = confinement is not None and confinement.separate_uid
        return graded

    def grade_cli(self, target: Path, *options: str, timeout: float = 120.0,
                  max_file: int | None = None) -> CliRun:
        """`grader grade ASSIGNMENT TARGET --format json`, in a subprocess."""
        return self.cli("grade", target, "--format", "json", *options, timeout=timeout,
                        max_file=max_file)

    def cli(self, command: str, target: Path, *options: str, timeout: float = 120.0,
            max_file: int | None = None) -> CliRun:
        """`grader COMMAND ASSIGNMENT TARGET OPTIONS...`, in a subprocess.

        After ``timeout`` seconds its process group is killed (returncode None). ``max_file``
        caps the size of any file it writes (RLIMIT_FSIZE): a safety net for runs that could
        otherwise fill the disk.
        """
        env = dict(os.environ, TMPDIR=str(self.tmpdir))

        def limit() -> None:
            if max_file is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (max_file, max_file))

        proc = subprocess.Popen(
            [sys.executable, "-m", "grader", command, str(self.assignment), str(target),
             *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True,
            preexec_fn=limit)
        returncode: int | None
        try:
            out, err = proc.communicate(timeout=timeout)
            returncode = proc.returncode
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            returncode = None
        stdout = out.decode(errors="replace")
        try:
            report = json.loads(stdout)
        except ValueError:
            report = None
        subs = {s["id"]: Graded.from_dict(s) for s in (report or {}).get("submissions", [])}
        return CliRun(returncode, stdout, err.decode(errors="replace"), report, subs)

    def observe(self, run: Callable[[], Any]) -> Observation:
        """Run ``run`` and record what it took and left behind; clean up what it left."""
        cache = grader_cache()
        watched = [self.corpus, self.assignment, CORPUS, ASSIGNMENT, PROBLEMS, cache]
        before = {str(w): tree(w) for w in watched}
        tmp_before = tmp_listing(self.tmpdir)
        since = boot_ticks() - 1
        existing = frozenset((p.pid, p.start) for p in descendants(os.getpid()))
        ipc_before = sysv_objects()
        start = time.monotonic()
        raised = ""
        try:
            graded = run()
        except Exception as exc:  # a bug in the grader: reported by the test, not raised here
            graded = None
            raised = "".join(traceback.format_exception(exc)[-3:]).strip()
        seconds = time.monotonic() - start
        left_procs = leftover_processes(since, existing=existing)
        changed = [c for w in watched for c in changes(before[str(w)], tree(w))
                   if not _grader_cache_write(c, cache, before[str(cache)])]
        changed += tmp_changes(tmp_before, tmp_listing(self.tmpdir))
        ipc_left = sysv_objects() - ipc_before
        changed += [f"left a System V {kind} object (id {ident})" for kind, ident in ipc_left]
        remove_sysv(ipc_left)
        left_runs = [str(p) for p in self.tmpdir.iterdir()] + _hostile_runs_in_tmp()
        self._clean(left_procs, changed, left_runs)
        # The next grading's zygote starts now, beside this test's checks: counted as there
        # before that grading, and ended with its grader (or at exit, unused).
        zygotes.prestart()
        return Observation(graded, seconds, changed, left_runs, left_procs, raised)

    def _clean(self, procs: list[Proc], changed: list[str], runs: list[str]) -> None:
        """Undo what a defeated grader let through, so one failure does not cascade."""
        kill(procs)
        for line in changed:
            verb, _, path = line.partition(" ")
            # Only what the corpus writes: never a file someone else just created.
            ours = os.path.basename(path).startswith("PWNED") or path.startswith("/tmp/hostile-")
            if verb == "created" and ours and os.path.lexists(path):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
        for path in runs:
            force_remove(Path(path))


def sysv_objects() -> set[tuple[str, int]]:
    """(kind, id) of every System V IPC object in this IPC namespace: kernel objects that
    outlive every process unless removed."""
    found = set()
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        found |= {(kind, int(line.split()[1])) for line in lines if len(line.split()) > 1}
    return found


def remove_sysv(objects: set[tuple[str, int]]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, ident in objects:  # (IPC_RMID is 0 for each)
        {"shm": libc.shmctl, "msg": libc.msgctl}.get(kind, libc.semctl)(ident, 0, None)


def grader_cache() -> Path:
    """Where the grader caches expected outputs (documented in grader/judge/cache.py)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "grader"


def _grader_cache_write(change: str, cache: Path, before: Snapshot) -> bool:
    """A change the grader itself makes to its cache: a new entry (after its own source or
    the assignment changed, say), and the folders' times that go with it."""
    verb, _, path = change.partition(" ")
    if not path.startswith(f"{cache}/"):
        return False
    if verb == "modified" and os.path.isdir(path) and not os.path.islink(path):
        return True
    entry = re.fullmatch(re.escape(f"{cache}/expected/") + r"([0-9a-f]{24})(/.*)?", path)
    return verb == "created" and entry is not None and \
        f"{cache}/expected/{entry.group(1)}" not in before


def _hostile_runs_in_tmp() -> list[str]:
    """Grader run folders in /tmp itself holding a copy of a hostile submission."""
    found = []
    for run in Path("/tmp").glob("grader-run-*"):
        with contextlib.suppress(OSError):
            copy = run / "submission" / MODULE_FILE
            if copy.read_text(errors="replace").startswith('"""Hostile submission'):
                found.append(str(run))
    return found


def force_remove(path: Path) -> None:
    for folder, dirs, _ in os.walk(path):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(folder, name), 0o700)
    shutil.rmtree(path, ignore_errors=True)


def copy_corpus(source: Path, dest: Path, lab: Lab) -> None:
    for entry in sorted(source.iterdir()):
        if entry.is_dir() and (entry / MODULE_FILE).is_file():
            lab.write(dest / entry.name, (entry / MODULE_FILE).read_text(encoding="utf-8"))


@contextlib.contextmanager
def lab_environment(tmpdir: Path, secret: str) -> Iterator[None]:
    """The grader's temp folder, a secret in the grader's environment, and the subreaper."""
    import tempfile

    saved_tempdir = tempfile.tempdir
    saved_secret = os.environ.get("GRADER_HOSTILE_SECRET")
    tempfile.tempdir = str(tmpdir)
    os.environ["GRADER_HOSTILE_SECRET"] = secret
    reaper = set_subreaper(True)
    try:
        yield
    finally:
        if reaper:
            set_subreaper(False)
        tempfile.tempdir = saved_tempdir
        if saved_secret is None:
            os.environ.pop("GRADER_HOSTILE_SECRET", None)
        else:
            os.environ["GRADER_HOSTILE_SECRET"] = saved_secret


def new_lab(root: Path, tmpdir: Path, secret: str, port: int) -> Lab:
    assignment = root / "assignment"
    shutil.copytree(ASSIGNMENT, assignment, ignore=shutil.ignore_patterns("__pycache__"))
    lab = Lab(root, assignment, root / "corpus", load_assignment(assignment), tmpdir, secret,
              port)
    copy_corpus(CORPUS, lab.corpus, lab)
    return lab


def correct_source() -> str:
    """A correct submission: the reference solution is one, function for function."""
    return (ASSIGNMENT / "reference" / "solution.py").read_text(encoding="utf-8")

"""Running one submission's functions in a child process (the parent's side).

The child is ``python -I -m grader.sandbox.child.worker`` or a fork of a zygote; see
:mod:`grader.sandbox.child.worker`. This module owns its life: spawning, per-call deadlines,
killing it on a timeout or crash and starting a fresh one for the remaining cases. Every
failure of the student code becomes a :class:`CallOutcome`; nothing here raises because of
what the student did.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.cases.build import Case
from grader.outcomes import CallOutcome, Status, clean_text
from grader.sandbox import wire
from grader.sandbox.child import container
from grader.sandbox.launch import ContainerUnavailable, TrackingLauncher
from grader.sandbox.policy import Isolation, Limits
from grader.sandbox.process import CapturedOutput, StudentProcess
from grader.sandbox.remote import Session, play
from grader.sandbox.replies import error_fields, reply_outcome
from grader.sandbox.schedule import CallPlan, Item, Schedule
from grader.sandbox.scratch import copy_submission, remove_tree


@dataclass(frozen=True)
class RunOptions:
    timeout: float | None = None  # overrides every spec timeout when set
    max_output_bytes: int = 64 << 20  # per reply
    capture_bytes: int = 4096  # of the student's printed output kept in the report
    python: str = sys.executable
    sandbox: str = "auto"  # auto | strict | off (see grader.sandbox.policy)
    limits: Limits = field(default_factory=Limits)
    slot: int = 0  # job slot: picks the unprivileged uid under full isolation
    extra_paths: tuple[Path, ...] = ()  # more read-only paths the student process may see
    warm: bool = True  # fork workers from a warm zygote where fork is safe (Linux)


@dataclass(frozen=True)
class RunRecord:
    outcomes: dict[str, CallOutcome]
    output: str  # what the student code printed, shortened
    seconds: float


class SubmissionRun:
    """Runs the planned calls of one submission, restarting the child when it must."""

    def __init__(self, module: Path, functions: Sequence[str], import_timeout: float,
                 options: RunOptions, isolation: Isolation, cpu_seconds: int,
                 launcher: TrackingLauncher, imports: dict[str, Any] | None = None,
                 notebook: dict[str, Any] | None = None) -> None:
        self.imports = imports  # what the submission may import (Schedule.imports)
        self.notebook = notebook  # a notebook's cells to run as the module (Cells.request)
        self.launcher = launcher
        self.functions = list(dict.fromkeys(functions))
        self.import_timeout = import_timeout
        self.options = options
        self.isolation = isolation
        self.cpu_seconds = cpu_seconds
        # In the launcher's workspace, which a container shows this run's worker.
        self.root = Path(tempfile.mkdtemp(prefix="grader-run-", dir=launcher.workspace))
        try:
            self.scratch = self.root / "work"  # made when needed: not under full isolation
            self.display_name = module.name
            self.module = copy_submission(module, self.root / "submission")
        except BaseException:
            remove_tree(self.root)
            raise
        self.output = CapturedOutput(options.capture_bytes)
        self.child: StudentProcess | None = None
        self.import_failure: CallOutcome | None = None
        self.missing: dict[str, str] = {}
        self.loaded = False  # the submission was imported once
        self.hidden_sent = False  # a worker has received a hidden case's inputs

    # --- child life -----------------------------------------------------------------------

    def _spawn(self) -> StudentProcess | None:
        """A worker with the isolation in force and the request to import the submission
        already sent (its answer is the next to read), or None (and import_failure) if it
        died.

        A worker that cannot isolate itself in its container gets one more try in a fresh
        container (an earlier student may have spoilt this one), before the run goes on
        without full isolation (or stops, under ``--sandbox strict``)."""
        fresh = ""  # the level whose launcher was renewed once already
        while True:
            level = self.isolation.level
            if level == "full":  # the paths inside the container (container.enter_student)
                cwd, home = "/", container.SCRATCH
                module = f"{container.SUBMISSION}/{self.module.name}"
            else:
                self.scratch.mkdir(exist_ok=True)
                if level == "confined":
                    self._hand_over(self.isolation.student_uid(self.options.slot))
                cwd = home = str(self.scratch)
                module = str(self.module)
            try:
                child = StudentProcess(cwd, home, self.output, self.launcher, level,
                                       self.options.slot, self.options.max_output_bytes)
            except ContainerUnavailable as exc:
                if self.isolation.fail(str(exc)):  # raises where the mode requires more
                    continue
                self.import_failure = _not_isolated(str(exc))
                return None
            header = self.isolation.request(self.root, self.options.slot, self.cpu_seconds,
                                            self.launcher.visible)
            load = {"op": "load", "path": module, "name": self.module.stem,
                    **({"imports": self.imports} if self.imports is not None else {}),
                    **({"notebook": self.notebook} if self.notebook is not None else {}),
                    "functions": self.functions, "max_bytes": self.options.max_output_bytes}
            try:
                # Both at once: a worker that fails to isolate itself never reads the second.
                reply, _ = child.request([header, load], self.import_timeout)
            except wire.WireError as exc:
                reason = child.exit_description() if isinstance(exc, wire.Closed) else str(exc)
                child.kill()
                self.import_failure = CallOutcome(
                    Status.IMPORT_ERROR, f"the student process failed to start ({reason})")
                return None
            if reply.get("status") == "sandboxed":
                if level in ("full", "confined"):
                    self.isolation.confirm()
                self.isolation.unenforced(reply.get("missing"))
                return child
            child.kill()
            reason = clean_text(reply.get("reason", "unknown reason"))
            if level not in ("full", "confined"):
                self.import_failure = CallOutcome(
                    Status.IMPORT_ERROR, f"the student process failed to start ({reason})")
                return None
            if fresh != level:  # one more try with a fresh launcher: this one may be spoilt
                fresh = level
                self.launcher.renew(self.options.slot)
                continue
            if not self.isolation.fail(reason):  # raises where the mode requires more
                self.import_failure = _not_isolated(reason)
                return None

    def _hand_over(self, uid: int | None) -> None:
        """Give the slot's student uid its scratch space, and a way to it (the folders above
        it searchable, not listable); its copy of the submission stays the grader's."""
        if uid is None:
            return
        for folder in (self.launcher.workspace, self.root):
            os.chmod(folder, 0o711)
        os.chown(self.scratch, uid, uid)
        os.chmod(self.scratch, 0o700)

    def _start(self) -> None:
        self._import()
        if self.import_failure is not None and self.hidden_sent:
            # A worker that crashed on a hidden case's inputs may have left a trace of them
            # for the next one (the time it took; outside a container, the pids it used
            # up), and a failed import's message is shown with every case: say nothing the
            # student's code chose.
            self.import_failure = CallOutcome(
                Status.IMPORT_ERROR, f"{self.display_name} failed to import again after a "
                "crash (the message is withheld: hidden inputs had been sent)")

    def _import(self) -> None:
        child = self._spawn()
        if child is None:
            return
        name = self.display_name
        try:
            reply, _ = child.reply(time.monotonic() + self.import_timeout, child.sent)
        except wire.Timeout:
            child.kill()
            self.import_failure = CallOutcome(
                Status.IMPORT_ERROR,
                f"importing {name} timed out after {self.import_timeout:g}s"
                if self.notebook is None else
                f"running the cells of {name} timed out after {self.import_timeout:g}s (every "
                "code cell runs when a notebook is graded, training loops and data loading "
                "included)")
            return
        except wire.WireError:
            reason = child.exit_description()
            child.kill()
            self.import_failure = CallOutcome(
                Status.IMPORT_ERROR, f"the process {reason} while importing {name}")
            return
        if reply.get("status") == "ready" and isinstance(reply.get("missing"), dict):
            if not self.loaded:  # (a later import may not change what is shown)
                self.missing = {clean_text(k, 80): clean_text(v)
                                for k, v in reply["missing"].items()}
                self.loaded = True
            self.child = child
            return
        child.kill()
        error = error_fields(reply.get("error"))
        self.import_failure = CallOutcome(
            Status.IMPORT_ERROR, f"import failed: {error['message']}",
            error["file"], error["line"])

    def import_failure_now(self) -> CallOutcome | None:
        """Start a worker and import the submission: why it failed, or None."""
        if self.child is None and self.import_failure is None:
            self._start()
        return self.import_failure

    def _stop_child(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child = None

    # --- calls ----------------------------------------------------------------------------

    def run_items(self, schedule: Schedule, items: Sequence[Item],
                  record: Callable[[Item, CallOutcome], None], last: bool = False,
                  sent: Callable[[], None] | None = None
                  ) -> tuple[list[Item], Item | None, Status | None]:
        """Run ``items`` in one batch; stop at a timeout or crash.

        ``last``: no request will follow this one, so the child is told so (its request
        pipe is closed once this batch is written) and ends by itself after its last answer,
        while the grader judges the answers it has left. ``sent`` is called once the batch
        is written, before its answers are read: work that overlaps the child's.

        Returns the items left unrun, and the item and status that stopped the batch (None,
        None if it ran to the end). Each outcome is passed to ``record`` as soon as it is
        known. The child gets every input at once and answers call by call, so it never
        waits for the grader between calls. Each answer has its own deadline (its part's
        timeout), counted from the previous answer.
        """
        self.import_failure_now()
        plans = schedule.plans
        runnable = []
        for item in items:
            missing = [self.missing[n] for n in plans[item.plan].needs if n in self.missing]
            if self.import_failure is not None or missing:
                record(item, self.import_failure or CallOutcome(Status.MISSING, missing[0]))
            else:
                runnable.append(item)
        if not runnable:
            return [], None, None
        assert self.child is not None
        child = self.child
        if not self.hidden_sent:
            self.hidden_sent = any(not schedule.case(item).public for item in runnable)
        done = 0
        start = time.monotonic()
        failure: CallOutcome
        try:
            try:
                request = child.send(schedule.frame(runnable), 1,
                                     start + plans[runnable[0].plan].timeout)
                if last:
                    child.end_requests()
            finally:
                if sent is not None:
                    sent()
            for position, item in enumerate(runnable):
                plan = plans[item.plan]
                reply, reply_blobs = child.reply(time.monotonic() + plan.timeout, request,
                                                 position)
                measured, start = time.monotonic() - start, time.monotonic()
                record(item, reply_outcome(reply, reply_blobs, plan,
                                           self.options.max_output_bytes, measured))
                done += 1
            self._settle()
            return [], None, None
        except wire.WireError as exc:
            failure = self._lost(child, exc, plans[runnable[done].plan], start)
        record(runnable[done], failure)
        return runnable[done + 1:], runnable[done], failure.status

    def run_scenario(self, schedule: Schedule, item: Item,
                     record: Callable[[Item, CallOutcome], None]) -> Status | None:
        """Run one case of a scenario part (grader.sandbox.remote), request by request;
        return the status if it timed out or crashed the process."""
        failure = self.import_failure_now()
        if failure is not None:
            record(item, failure)
            return None
        assert self.child is not None
        child, plan, case = self.child, schedule.plans[item.plan], schedule.case(item)
        assert plan.scenario is not None
        self.hidden_sent = self.hidden_sent or not case.public
        start = time.monotonic()
        session = Session(child, plan.timeout, self.options.max_output_bytes,
                          schedule.public_dir)
        try:
            outcome = play(plan.scenario, session, case)
        except wire.WireError as exc:
            outcome = self._lost(child, exc, plan, start, session.last or None)
        else:
            self._settle()
        record(item, outcome)
        return outcome.status if outcome.status in (Status.TIMEOUT, Status.CRASH) else None

    def _settle(self) -> None:
        """Every answer asked for has been read: anything more waiting on the reply pipe was
        written by the student's code (a forged reply, or the true one a forgery displaced)
        and would be read as an answer to a later request, perhaps another part's. Such a
        process is replaced (the next request starts a fresh one); it costs no case."""
        if self.child is not None and not self.child.idle():
            self._stop_child()

    def _lost(self, child: StudentProcess, exc: wire.WireError, plan: CallPlan, start: float,
              running: str | None = None) -> CallOutcome:
        """The outcome of a call that timed out or broke the channel; the child is stopped.
        ``running``: what was running, where the plan's own description would not say."""
        if isinstance(exc, wire.Timeout):
            self._stop_child()
            return CallOutcome(Status.TIMEOUT, f"timed out after {plan.timeout:g}s",
                               seconds=time.monotonic() - start)
        if isinstance(exc, wire.Closed):
            reason = child.exit_description()
            self._stop_child()
            return CallOutcome(Status.CRASH, f"the process {reason} while running "
                               f"{running or plan.running}", seconds=time.monotonic() - start)
        self._stop_child()
        return CallOutcome(Status.CRASH, f"invalid reply from the process: {exc}")

    def close(self) -> str:
        """Stop the child, remove the scratch space, and return the captured output."""
        self._stop_child()
        remove_tree(self.root)
        return self.output.text()


def _not_isolated(reason: str) -> CallOutcome:
    return CallOutcome(Status.IMPORT_ERROR, f"not graded: the student process could not be "
                                            f"isolated ({reason}); grade it again")


# How the import failures that may not repeat begin: a timeout, a crash or a kill (memory
# among them), a worker that could not start. Any other import failure is the student's
# exception, or a problem of the submission's files, and repeats.
_UNREPEATABLE_IMPORTS = ("importing ", "running the cells of ", "the process ",
                         "the student process failed to start", "not graded")


def import_failure_repeats(message: str) -> bool:
    """Whether an import failure with this message would be the same on another run."""
    return not (message.startswith(_UNREPEATABLE_IMPORTS)
                or "failed to import again after a crash" in message)


def run_submission(module: Path, schedule: Schedule, import_timeout: float,
                   options: RunOptions, isolation: Isolation, launcher: TrackingLauncher,
                   on_outcome: Callable[[Case, CallOutcome], None] | None = None,
                   between_phases: Callable[[], None] | None = None,
                   notebook: dict[str, Any] | None = None) -> RunRecord:
    """Run every scheduled call of one submission and collect the outcomes (without their
    values when ``on_outcome`` takes each as it arrives). ``between_phases`` is called once
    every call of a phase has been answered, as soon as the next phase's request is sent (so
    that it overlaps the student process's work), before any answer of that phase is read.

    A timeout skips the rest of that function's cases (a hang costs one timeout, not one per
    case); a crash restarts the process, and a second crash of the same function skips the rest
    of its cases. Other functions continue in a fresh process either way.
    """
    start = time.monotonic()
    plans = schedule.plans
    budget = import_timeout + sum(p.timeout * len(p.cases) for p in plans)
    run = SubmissionRun(module, [n for p in plans for n in p.needs], import_timeout, options,
                        isolation, cpu_seconds=int(min(budget, 3600)) + 5, launcher=launcher,
                        imports=schedule.imports, notebook=notebook)
    outcomes: dict[str, CallOutcome] = {}

    def record(item: Item, outcome: CallOutcome) -> None:
        case = schedule.case(item)
        if on_outcome is None:
            outcomes[case.id] = outcome
            return
        on_outcome(case, outcome)
        # The values are the callback's to keep (until judged), so what this record holds of a
        # submission does not grow with its answers' size.
        outcomes[case.id] = replace(outcome, outputs={}) if outcome.outputs else outcome

    crashes = [0] * len(plans)
    skipped: dict[int, str] = {}  # plan number -> why its remaining cases are not run
    try:
        phases = [phase for phase in schedule.phases if phase]
        for number, phase in enumerate(phases):
            sent = between_phases if number else None  # with this phase's first request
            # A scenario's cases run after the phase's batch, one request at a time.
            pending = sorted(phase, key=lambda it: plans[it.plan].scenario is not None)
            while pending:
                runnable = []
                for item in pending:
                    if item.plan in skipped:
                        record(item, CallOutcome(Status.NOT_RUN, skipped[item.plan]))
                    else:
                        runnable.append(item)
                if not runnable:
                    break
                batch = [it for it in runnable if plans[it.plan].scenario is None]
                rest = runnable[len(batch):]
                if batch:
                    pending, stopped, status = run.run_items(
                        schedule, batch, record, last=number == len(phases) - 1 and not rest,
                        sent=sent)
                    pending += rest
                else:
                    if sent is not None:
                        sent()
                    stopped, pending = rest[0], rest[1:]
                    status = run.run_scenario(schedule, stopped, record)
                    stopped = stopped if status is not None else None
                sent = None  # (a request after a crash, in this phase, has nothing to judge)
                if stopped is None:
                    continue
                case_id = schedule.case(stopped).id
                if status is Status.TIMEOUT:
                    skipped[stopped.plan] = f"not run: case {case_id} timed out"
                elif status is Status.CRASH:  # a fresh process, unless it is the second crash
                    crashes[stopped.plan] += 1
                    if crashes[stopped.plan] >= 2:
                        skipped[stopped.plan] = (f"not run: {plans[stopped.plan].running} "
                                                 "crashed the process twice")
    finally:
        output = run.close()
    return RunRecord(outcomes, output, time.monotonic() - start)

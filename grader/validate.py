"""``grader validate``: is the assignment itself sound, before any student is graded?

For every part:

- the cases build identically twice, and every reference gives bit-identical, finite, numeric
  outputs on two runs;
- the reference satisfies the part's property checks;
- every oracle agrees with the reference on every case (a wrong reference is caught here);
- every known-wrong answer, graded on all cases in a child process exactly like a student's
  code, loses points (a case set that passes a wrong answer is caught here);
- the tolerance accepts the reference computed in float32 and in extended precision, and
  keeps clear of the known-wrong answers (:mod:`grader.judge.calibrate`).

Where the references form a complete solution module, that module is also graded as a
submission and must earn full marks, which checks serialization and comparison end to end.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader import _modules, values
from grader.cases.build import Case, build_part_cases
from grader.grading import GradeOptions, Grader
from grader.judge import mistakes
from grader.judge.calibrate import Calibration, calibrate
from grader.judge.expected import Output, compute_expected
from grader.judge.oracles import verify_all
from grader.judge.part import PreparedPart, judge_part
from grader.judge.properties import property_failures
from grader.results import PartResult
from grader.sandbox import packages
from grader.sandbox.runner import RunOptions, run_submission
from grader.sandbox.schedule import Schedule
from grader.spec import Assignment


@dataclass(frozen=True)
class WrongAnswer:
    ref: str
    caught: bool
    score: float
    message: str = ""  # the first failing case, as a student would see it
    mismatched: bool = True  # some case ran and gave a wrong answer (not only errors)
    public: bool = True  # some public case catches it (a student can be shown the mistake)
    # What a student who made exactly this mistake is told it is, judged on the public cases
    # (grader.judge.mistakes): the known mistakes named, by name.
    named: tuple[str, ...] = ()
    name: str = ""  # its own name among the part's known mistakes


@dataclass(frozen=True)
class PartCheck:
    problem: str
    part: str
    function: str
    cases: int
    public: int
    oracles: tuple[str, ...] = ()  # names of the oracles that verified the reference
    wrong: tuple[WrongAnswer, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    calibration: Calibration | None = None

    @property
    def oracle_verdict(self) -> str:
        if not self.oracles:
            return "none"
        if any(p.startswith("oracle ") for p in self.problems):
            return "FAILED"
        return "verified"

    @property
    def oracles_failed(self) -> int:
        """How many of the oracles disagree with a reference, or failed to run."""
        return sum(any(p.startswith(f"oracle '{o}' ") for p in self.problems)
                   for o in self.oracles)

    @property
    def wrong_caught(self) -> int:
        return sum(w.caught for w in self.wrong)

    @property
    def wrong_named(self) -> int:
        """How many wrong answers, graded, are named as themselves on the public cases."""
        return sum(w.name in w.named for w in self.wrong)


@dataclass(frozen=True)
class ValidationReport:
    parts: tuple[PartCheck, ...]
    self_grade: str = ""  # what grading the reference solution gave, if it could be run
    problems: tuple[str, ...] = field(default=())
    not_graded: str = ""  # why the reference solution could not be graded, if it could not

    @property
    def ok(self) -> bool:
        return not self.problems and not any(p.problems for p in self.parts)


def _same_inputs(a: Case, b: Case) -> bool:
    if a.arg_names != b.arg_names or list(a.kwargs) != list(b.kwargs):
        return False
    pairs = list(zip(a.args, b.args, strict=True)) + [(a.kwargs[k], b.kwargs[k]) for k in a.kwargs]
    return all(_same_value(x, y) for x, y in pairs)


def _same_value(x: Any, y: Any) -> bool:
    """Equal values: arrays of one dtype and shape with equal elements (NaN equal to NaN),
    and dicts, lists and tuples of equal values; anything else by its repr."""
    if isinstance(x, np.ndarray):
        return isinstance(y, np.ndarray) and x.dtype == y.dtype and x.shape == y.shape \
            and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")
    if isinstance(x, dict):
        return isinstance(y, dict) and list(x) == list(y) and all(
            _same_value(x[k], y[k]) for k in x)
    if isinstance(x, (list, tuple)):
        return type(x) is type(y) and len(x) == len(y) and all(
            _same_value(p, q) for p, q in zip(x, y, strict=True))
    return repr(x) == repr(y)


def _same_output(a: Output, b: Output) -> bool:
    return a.arity == b.arity and a.values.keys() == b.values.keys() and all(
        _same_value(a.values[i], b.values[i]) for i in a.values)


def _reference_problems(assignment: Assignment, prepared: PreparedPart) -> list[str]:
    problem, part = prepared.problem, prepared.part
    issues: list[str] = []
    rebuilt = build_part_cases(part, problem, assignment.seed, assignment.key)
    if not all(_same_inputs(a, b) for a, b in zip(prepared.cases, rebuilt, strict=True)):
        issues.append("case inputs differ between two builds (nondeterministic generator)")
    again = compute_expected(problem, part, prepared.cases, assignment.public_dir)
    found: dict[str, list[str]] = {}  # kind of problem -> one line per case
    for case, first, second in zip(prepared.cases, prepared.expected, again, strict=True):
        labels = part.reference_refs or ("the stored outputs",) * len(first)
        for ref, o1, o2 in zip(labels, first, second, strict=True):
            if not _same_output(o1, o2):
                found.setdefault(f"{ref} nondeterministic", []).append(
                    f"{ref} gave different outputs twice on case {case.id}")
            if any(isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f"
                   and not np.isfinite(leaf).all()
                   for v in o1.values.values() for _, leaf in values.leaves(v)):
                found.setdefault(f"{ref} nonfinite", []).append(
                    f"{ref} returned NaN or inf on case {case.id}")
            for failure in property_failures(part.checks, o1.values, case.args,
                                             dict(case.kwargs)):
                found.setdefault(f"{ref} {failure.split(':')[0]}", []).append(
                    f"{ref} fails its own check on case {case.id}: {failure}")
    if prepared.expected:
        sample = prepared.expected[0][0]
        for check in part.checks:
            if check.output not in sample.values:
                shape = "one value" if sample.arity is None else f"a tuple of {sample.arity}"
                issues.append(f"check '{check.name}' looks at output {check.output}, but the "
                              f"reference returns {shape}")
    for lines in found.values():
        more = f" (and {len(lines) - 1} more case(s))" if len(lines) > 1 else ""
        issues.append(lines[0] + more)
    issues += verify_all(part.oracles, prepared.cases, prepared.expected,
                         assignment.public_dir, assignment.seed, part.reference_refs)
    return list(dict.fromkeys(issues))


def validate(assignment: Assignment, run_options: RunOptions | None = None,
             warn: Callable[[str], None] | None = None) -> ValidationReport:
    """Check every part of ``assignment``. Found problems are data; only SpecError raises."""
    options = run_options or RunOptions()
    with Grader(assignment, GradeOptions(run=options, warn=warn)) as grader:
        return _validate(assignment, grader, options)


def _validate(assignment: Assignment, grader: Grader, options: RunOptions) -> ValidationReport:
    wrong = _grade_wrong_answers(assignment, grader, options)
    checks = []
    for prepared in grader.parts:
        problem, part = prepared.problem, prepared.part
        issues = _reference_problems(assignment, prepared)
        answers = wrong.get((problem.id, part.id), ())
        notes: list[str] = []
        public = sum(c.public for c in prepared.cases)
        for answer in answers:
            unused = _defines_none(assignment, prepared, answer.ref)
            if unused:
                issues.append(unused)
            elif not answer.caught:
                issues.append(f"wrong answer {answer.ref} earns full points "
                              f"({answer.score:g}/{part.points:g}): the cases cannot tell it "
                              f"from the reference")
            elif not answer.mismatched:
                notes.append(f"wrong answer {answer.ref} is caught only because it fails to "
                             f"run ({answer.message}): check that it runs and shows the "
                             "mistake it stands for")
            if answer.caught and not answer.public and public:
                notes.append(f"wrong answer {answer.ref} fails only hidden cases: a student "
                             "who makes this mistake cannot see it in a self-check, nor be "
                             "told its name; add a public case that catches it")
            elif (answer.caught and answer.public and answer.mismatched
                  and answer.name not in answer.named):
                notes.append(f"wrong answer {answer.ref}, graded, is not named as the known "
                             f"mistake {answer.name}: its output differs from the one computed "
                             "for it on some failing public case, or it fails one in another "
                             "way")
        if public == 0:
            notes.append("no public cases: students cannot self-check this part")
        if not part.wrong:
            notes.append("no known-wrong answers: nothing shows the cases can fail anyone")
        calibration = calibrate(f"{problem.id}/{part.id}", part, prepared.cases,
                                prepared.expected, assignment.public_dir,
                                mistakes.answers(part, assignment.wrong_dir))
        notes += calibration.warnings()
        checks.append(PartCheck(
            problem.id, part.id, part.function, len(prepared.cases), public,
            tuple(o.name for o in part.oracles), tuple(answers), tuple(issues), tuple(notes),
            calibration))
    self_grade, why, problems = _grade_solution(assignment, grader, options)
    # (whether the declared packages import in a student's process, isolated as students are)
    unimportable = packages.probe(assignment, grader.import_failure)
    problems = (*([unimportable] if unimportable else []), *problems)
    return ValidationReport(tuple(checks), self_grade, problems, why)


def _defines_none(assignment: Assignment, prepared: PreparedPart, ref: str) -> str:
    """Why a known-wrong module of a call sequence or scenario tests nothing ("" if it
    defines one of the names the part calls)."""
    if not prepared.part.by_module:
        return ""
    names = _names(prepared)
    module = _modules.load_module(_modules.module_path(ref, assignment.wrong_dir))
    if any(hasattr(module, name) for name in names):
        return ""
    return (f"wrong answer {ref} defines none of the names the part calls "
            f"({', '.join(names)}), so it is the reference")


def _grade_solution(assignment: Assignment, grader: Grader, options: RunOptions
                    ) -> tuple[str, str, tuple[str, ...]]:
    """The reference graded as a student's code would be: (its score, why it could not be
    graded, the parts it loses points on). Each part's first reference takes the student's
    name(s), whatever it is called in reference/."""
    graded = [p for p in grader.parts if p.part.references]
    if not graded:
        return "", "no part has a reference to run (their expected outputs are stored)", ()
    results = _grade_answers(assignment, grader, options, assignment.reference_dir,
                             [(p, p.part.reference_refs[0]) for p in graded])
    score = sum(r.score for _, _, r in results)
    most = sum(p.part.points for p in graded)
    summary = f"{score:g} / {most:g}"
    if len(graded) < len(grader.parts):
        summary += f" (the {len(grader.parts) - len(graded)} part(s) with stored expected " \
                   "outputs have no reference to run)"
    problems = tuple(
        f"the reference solution, run as a submission, loses points on "
        f"{prepared.problem.id}/{prepared.part.id}: {result.message}"
        for prepared, _, result in results if result.score < prepared.part.points)
    return summary, "", problems


def _batches(answers: Sequence[tuple[PreparedPart, str]]
             ) -> list[list[tuple[PreparedPart, str]]]:
    """Group answers so that each child process gets one per function name."""
    batches: list[list[tuple[PreparedPart, str]]] = []
    for prepared, ref in answers:
        names = set(_names(prepared))
        for batch in batches:
            if all(names.isdisjoint(_names(p)) for p, _ in batch):
                batch.append((prepared, ref))
                break
        else:
            batches.append([(prepared, ref)])
    return batches


def _names(prepared: PreparedPart) -> tuple[str, ...]:
    """The names a part calls: a scenario's are its reference module's public names."""
    if prepared.part.scenario is not None:
        return tuple(n for n in vars(prepared.part.references[0]) if not n.startswith("_"))
    return prepared.plan.needs


def _answers_source(assignment: Assignment, batch: list[tuple[PreparedPart, str]],
                    folder: Path) -> str:
    """The source of a "submission" made of instructor code in ``folder``: for each part,
    the function its ``module:function`` names, under the part's name; for a call sequence or
    a scenario, the names its module defines, and the rest from the part's reference. Each
    file is loaded by path, so that its module name may be the submission's own."""
    lines = ["import importlib.util as _util", "import sys",
             f"sys.path[:0] = [{str(folder)!r}, {str(assignment.reference_dir)!r}]",
             "def _load(name, path):",
             "    spec = _util.spec_from_file_location(name, path)",
             "    module = _util.module_from_spec(spec)",
             "    spec.loader.exec_module(module)",
             "    return module"]
    for n, (prepared, ref) in enumerate(batch):
        part = prepared.part
        if not part.by_module:
            function = _modules.split_ref(ref)[1]
            path = _modules.ref_path(ref, folder)
            lines += [f"_answer{n} = _load('_grader_answer{n}', {str(path)!r})",
                      f"{part.function} = _answer{n}.{function}"]
            continue
        answer = _modules.module_path(ref, folder)
        reference = _modules.module_path(part.reference_refs[0], assignment.reference_dir)
        lines += [f"_answer{n} = _load('_grader_answer{n}', {str(answer)!r})",
                  f"_reference{n} = _load('_grader_reference{n}', {str(reference)!r})"]
        lines += [f"{name} = getattr(_answer{n}, {name!r}, None) or _reference{n}.{name}"
                  for name in _names(prepared)]
    return "\n".join(lines) + "\n"


def _grade_answers(assignment: Assignment, grader: Grader, options: RunOptions,
                   folder: Path, answers: list[tuple[PreparedPart, str]]
                   ) -> list[tuple[PreparedPart, str, PartResult]]:
    """Grade instructor answers (``module:function`` or modules in ``folder``) on every case,
    in child processes exactly as a student's code; one process per batch of parts whose
    names do not clash."""
    results: list[tuple[PreparedPart, str, PartResult]] = []
    work = Path(tempfile.mkdtemp(prefix="grader-answers-"))
    # The generated module loads instructor code from folder (and a call sequence's other
    # names from reference_dir), so the process must see those folders: trusted code only.
    launcher = grader.launchers(extra=(folder, assignment.reference_dir))
    try:
        for n, batch in enumerate(_batches(answers)):
            path = work / f"batch{n}" / assignment.module_file
            path.parent.mkdir()
            path.write_text(_answers_source(assignment, batch, folder), encoding="utf-8")
            schedule = Schedule([p.plan for p, _ in batch], assignment.public_dir)
            record = run_submission(path, schedule, grader.import_timeout, options,
                                    grader.isolation, launcher)
            results += [(prepared, ref, judge_part(prepared, record.outcomes))
                        for prepared, ref in batch]
    finally:
        launcher.close()
        shutil.rmtree(work, ignore_errors=True)
    return results


def _grade_wrong_answers(assignment: Assignment, grader: Grader, options: RunOptions
                         ) -> dict[tuple[str, str], list[WrongAnswer]]:
    """Grade each known-wrong answer on every case, in a child process like a student."""
    answers = [(p, ref) for p in grader.parts for ref in p.part.wrong]
    results: dict[tuple[str, str], list[WrongAnswer]] = {}
    for prepared, ref, result in _grade_answers(assignment, grader, options,
                                                assignment.wrong_dir, answers):
        name = next(m.name for m in prepared.part.mistakes if m.ref == ref)
        results.setdefault((prepared.problem.id, prepared.part.id), []).append(
            WrongAnswer(ref, result.score < prepared.part.points, result.score,
                        result.message, any(c.status == "fail" for c in result.cases),
                        any(c.public and not c.passed for c in result.cases),
                        tuple(m.name for m in result.public_mistakes), name))
    return results

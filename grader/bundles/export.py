"""``grader export``: the student bundle of an assignment, for ``grader check`` at home.

The bundle holds what a student may see and nothing from which the hidden cases or the
reference code could be recovered::

    OUT/
      assignment.yaml   name, module, question order, defaults, and ``source_digest``: the
                        digest of the instructor's assignment it came from (no seed)
      q1.yaml ...       every part with its points and settings; each case group that has
                        public cases becomes ``stored: cases/q1_sigmoid_1.npz``
      cases/            the public cases' inputs and expected outputs (grader.cases.stored format)
      public/           the builders of function-valued arguments (students import them)
      README.md         the handout

Hidden cases are absent altogether, and so is everything that could rebuild them: the
secret key (``hidden.key``), the generators (declarative or Python) and the hidden groups'
specs; the stored public cases need no seed either. The public cases
keep their indices, so ``grader check OUT hw2.py`` names and judges them exactly as
``grader check ASSIGNMENT hw2.py`` does. Reference solutions, oracles, known-wrong answers
and custom property checks are instructor code and stay behind. Of the known-wrong answers
only their outputs on the public cases travel (with the cases), with their names and
one-line explanations (``mistakes:``), so that students' checks name known mistakes too.
Custom checks are named in the notes :func:`export_bundle` returns, since students' checks
then do not run them. A
scenario's module is the exception: students' checks run it, so it is copied (and named in
the notes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from grader import __version__, _modules
from grader.bundles._files import regular_files
from grader.bundles.starter import starter_notebook
from grader.cases.build import Case, build_part_cases
from grader.cases.stored import StoredCase, StoredOutput, write_cases
from grader.errors import UsageError
from grader.judge import mistakes
from grader.judge.cache import Outputs
from grader.judge.expected import compute_expected
from grader.judge.properties import PropertyCheck
from grader.spec import (
    Assignment,
    Defaults,
    NotebookSettings,
    Part,
    Problem,
    Tolerance,
    load_assignment,
)

HANDOUT = "README.md"


def export_bundle(assignment: Assignment, out: Path, notebook: bool = False) -> list[str]:
    """Write the student bundle of ``assignment`` to the new folder ``out``, with a starter
    notebook (:mod:`grader.bundles.starter`) where ``notebook`` asks for one.

    The folder appears whole or not at all. Returns notes on what the bundle leaves out that
    students' checks would otherwise run (custom property checks).
    """
    if out.exists() or out.is_symlink():
        raise UsageError(f"{out} already exists; give the name of a new folder")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such folder")
    work = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp"))
    try:
        notes = _write(assignment, work)
        if notebook:
            import nbformat

            handout = assignment.root / HANDOUT
            text = handout.read_text(encoding="utf-8") if handout.is_file() else ""
            nbformat.write(starter_notebook(assignment, text), work / assignment.notebook_file)
        load_assignment(work)  # the bundle must stand on its own
        work.chmod(0o755)
        os.rename(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return notes


def _write(assignment: Assignment, folder: Path) -> list[str]:
    notes: list[str] = []
    (folder / "cases").mkdir()
    for problem in assignment.problems:
        parts = [_part(assignment, problem, part, folder, notes) for part in problem.parts]
        _write_yaml(folder / f"{problem.id}.yaml", {
            "id": problem.id, "title": problem.title, "points": _number(problem.points),
            "parts": parts})
    header = ("# A student bundle: the public cases only, with their expected outputs.\n"
              f"# Exported by grader {__version__} from assignment {assignment.digest} "
              "(source_digest).\n"
              f"# Check your code with: grader check <this folder> {assignment.module_file}\n")
    _write_yaml(folder / "assignment.yaml", {
        "name": assignment.name,
        "module": assignment.module,
        "problems": [p.id for p in assignment.problems],
        "defaults": _settings(assignment.defaults),
        "source_digest": assignment.digest,
        **({"notebooks": _notebooks(assignment.notebooks)}
           if assignment.notebooks != NotebookSettings() else {}),
        **({"packages": [{"import": p.name, "install": p.install,
                          **({"optional": True} if p.optional else {})}
                         for p in assignment.packages]} if assignment.packages else {}),
    }, header)
    if assignment.public_dir.is_dir():
        _copy_public(assignment.public_dir, folder / "public")
    handout = assignment.root / HANDOUT
    if handout.is_file():
        shutil.copyfile(handout, folder / HANDOUT)
    return notes


def _part(assignment: Assignment, problem: Problem, part: Part, folder: Path,
          notes: list[str]) -> dict[str, Any]:
    """The bundle's spec of one part; writes its public cases under ``folder/cases``."""
    public = build_part_cases(part, problem, assignment.seed, None, public_only=True)
    expected = compute_expected(problem, part, public, assignment.public_dir)
    known = _mistake_outputs(assignment, part, public)
    groups: list[dict[str, Any]] = []
    for group in part.groups:
        chosen = [(c, out, wrong) for c, out, wrong in zip(public, expected, known, strict=True)
                  if c.group == group.name]
        if not chosen:
            continue  # a group without public cases is left out, name and all
        relative = f"cases/{problem.id}_{part.id}_{len(groups) + 1}.npz"
        write_cases(folder / relative, [
            StoredCase(dict(zip(case.arg_names, case.args, strict=True)), dict(case.kwargs),
                       case.index, tuple(StoredOutput(o.values, o.arity) for o in outputs),
                       tuple(None if o is None else StoredOutput(o.values, o.arity, o.warned)
                             for o in wrong))
            for case, outputs, wrong in chosen])
        groups.append({"name": group.name, "public": True, "stored": relative})
    if not groups:
        # Keep the part (its points and "no cases selected" match the instructor's check).
        relative = f"cases/{problem.id}_{part.id}_none.npz"
        write_cases(folder / relative, [])
        groups.append({"name": "no public cases", "stored": relative})
    spec: dict[str, Any] = {"function": part.function, "id": part.id,
                            "points": _number(part.points)}
    if part.program is not None:
        spec["steps"] = part.program["steps"]
        spec["returns"] = list(part.returns)
    if part.scenario is not None:
        # Students who check run the scenario on their own machine, so it ships; the
        # reference module it drives for the expected outputs does not.
        source = _modules.ref_path(part.scenario_ref, assignment.reference_dir)
        if source.resolve() in _instructor_files(assignment):
            raise UsageError(
                f"{problem.id}/{part.id}: its scenario is in {source}, which also holds "
                "reference code (a reference, generator, check or oracle); the bundle would "
                "ship it to students, so move the scenario to a file of its own")
        target = folder / assignment.reference_dir.name / source.relative_to(
            assignment.reference_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        spec["scenario"] = part.scenario_ref
        notes.append(f"{problem.id}/{part.id}: its scenario "
                     f"({assignment.reference_dir.name}/{source.name}) is in the bundle, "
                     "since students' checks run it")
    if part.outputs is not None:
        spec["outputs"] = list(part.outputs)
    if part.compare is not None:
        paths = dict(part.compare_paths)
        spec["compare"] = [i if i not in paths else f"{i}.{'.'.join(keys)}"
                           for i in part.compare for keys in paths.get(i, [()])]
    spec.update(_settings(Defaults(part.tolerance, part.timeout, part.scoring, part.warnings)))
    if part.one_reference:
        spec["one_reference"] = True
    if part.mistakes and public:
        spec["mistakes"] = [{"name": m.name, **({"explanation": m.explanation}
                                                 if m.explanation else {})}
                            for m in part.mistakes]
    checks = [_check(c) for c in part.checks if c.kind != "custom"]
    for check in part.checks:
        if check.kind == "custom":
            notes.append(f"{problem.id}/{part.id}: the property check {check.name!r} is "
                         "reference code and is not in the bundle; students' checks do not "
                         "run it")
    if checks:
        spec["checks"] = checks
    spec["cases"] = groups
    return spec


def _mistake_outputs(assignment: Assignment, part: Part, public: Sequence[Case]
                     ) -> list[Outputs]:
    """The known mistakes' outputs on the public cases, so that students' checks name them
    (grader.judge.mistakes); none where the part has none."""
    if not part.wrong:
        return [() for _ in public]
    return mistakes.compute(part, public, assignment.public_dir,
                            mistakes.answers(part, assignment.wrong_dir))


def _instructor_files(assignment: Assignment) -> set[Path]:
    """The files of every reference, generator, custom check and oracle: code that must not
    reach a student bundle."""
    objects: list[Any] = []
    for problem in assignment.problems:
        for part in problem.parts:
            objects += [*part.references, *(o.function for o in part.oracles),
                        *(c.function for c in part.checks),
                        *(g.generator for g in part.groups)]
    files = set()
    for obj in objects:
        file = getattr(obj, "__file__", None) or getattr(
            getattr(obj, "__code__", None), "co_filename", None)
        if file:
            files.add(Path(file).resolve())
    return files


def _notebooks(settings: NotebookSettings) -> dict[str, Any]:
    out: dict[str, Any] = {"cells": settings.cells, "timeout": _number(settings.timeout)}
    if settings.cells == "tagged":
        out["tags"] = list(settings.tags)
    return out


def _settings(settings: Defaults) -> dict[str, Any]:
    return {"tolerance": _tolerance(settings.tolerance), "timeout": _number(settings.timeout),
            "scoring": settings.scoring, "warnings": settings.warnings}


def _tolerance(tolerance: Tolerance) -> dict[str, Any]:
    out: dict[str, Any] = {"rtol": tolerance.rtol, "atol": tolerance.atol}
    if tolerance.reason:
        out["reason"] = tolerance.reason
    if not tolerance.float32:
        out["float32"] = False
    if tolerance.shape != "exact":
        out["shape"] = tolerance.shape
    return out


def _check(check: PropertyCheck) -> dict[str, Any]:
    value: Any = check.value if check.kind == "rows_sum" else True
    return {check.kind: value, "name": check.name, "output": check.output, "tol": check.tol}


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _write_yaml(path: Path, data: Any, header: str = "") -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(header + text, encoding="utf-8")


def _copy_public(source: Path, target: Path) -> None:
    """Copy the builders: regular files only, never a link (it could point anywhere)."""
    for path, name in regular_files(source, "the student bundle copies regular files only"):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / name)

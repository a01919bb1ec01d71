"""Similarity signals (grader.similarity): a disguised copy ranks first in a class of
distinct submissions, starter code counts for nobody, identical wrong hidden answers are
grouped (and say nothing under per-student seeds), and the signals reach the reports."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from grader.reporters import FORMATS
from grader.results import GradeReport
from grader.similarity import code, outputs
from tests._cli import one_line, run
from tests._mini import HW2, SUBMISSIONS
from tests.similarity._synthetic import make_class


def test_a_disguised_copy_ranks_first_in_a_class_of_distinct_submissions() -> None:
    sources, pair = make_class(50, seed=7)
    normalized = [tuple(code.tokens(src)) for sid, src in sources.items()
                  if sid != "student_copy"]
    assert len(set(normalized)) == 50  # (no two alike after normalization)
    prints = {sid: code.fingerprints(src) for sid, src in sources.items()}
    ranked = code.ranked(prints, least=0.0, top=5)
    assert {ranked[0].a, ranked[0].b} == set(pair), ranked[:3]
    assert ranked[0].similarity > 0.8 and ranked[1].similarity < 0.5, ranked[:3]
    assert [(p.a, p.b) for p in code.ranked(prints)] == [tuple(sorted(pair))]


def test_starter_code_counts_for_nobody() -> None:
    sources, _ = make_class(3, seed=1)
    starter = "\n".join(next(iter(sources.values())).splitlines()[:40]) + "\n"
    a = starter + "def mine():\n    return 1\n"
    b = starter + "def yours(x):\n    return [x for x in range(3)]\n"
    prints = {"a": code.fingerprints(a), "b": code.fingerprints(b)}
    assert code.ranked(prints)[0].similarity > 0.9
    assert code.ranked(prints, starter=code.fingerprints(starter)) == []


def test_tokens_ignore_names_comments_and_docstrings() -> None:
    one = 'def f(a, b):\n    """Add."""\n    # sum them\n    return a + b * 2\n'
    two = "def g(x, y):\n    return x + y * 7  # the answer\n"
    assert code.tokens(one) == code.tokens(two)
    assert code.tokens("def broken(:\n    return 1\n") != []  # (up to the error)


def test_identical_wrong_hidden_answers_are_grouped(hw2_report: GradeReport) -> None:
    found, note = outputs.groups(hw2_report)
    assert note == ""
    pairs = {(g.part, g.submissions) for g in found}
    assert ("q2/batchnorm_forward", ("buggy", "notebook_buggy")) in pairs  # (twins)
    twins = next(g for g in found if g.part == "q2/batchnorm_forward")
    assert twins.mistakes == ("unbiased_var",)  # (a known mistake: a common error)
    varied = replace(hw2_report, meta={**hw2_report.meta, "vary_by_student": True})
    assert outputs.groups(varied) == ([], outputs.NO_SIGNAL)


def test_the_signals_reach_the_json_and_html_reports(hw2_report: GradeReport) -> None:
    assert all(s.fingerprints for s in hw2_report.submissions if not s.error)
    data = json.loads(FORMATS["json"](hw2_report))
    assert {"code", "outputs", "note", "starter_excluded"} <= set(data["similarity"])
    assert data["submissions"][0]["fingerprints"]
    page = FORMATS["html"](hw2_report)
    assert 'id="similarity"' in page and "not a verdict" in page


def test_grade_leaves_the_starter_out(tmp_path: Path) -> None:
    done = run("grade", HW2, SUBMISSIONS, "--format", "json", "--starter",
               SUBMISSIONS / "correct" / "hw2.py")
    data = json.loads(done.stdout)
    assert data["similarity"]["starter_excluded"] is True
    done = run("grade", HW2, SUBMISSIONS / "correct", "--starter", tmp_path / "missing.py")
    assert done.exit_code == 2 and "--starter" in one_line(done)


def test_a_line_of_open_quotes_is_read_once() -> None:
    # (valid Python: the quotes sit in a string the pattern closes early; were each open
    # quote read to the end of the line again, 64 KiB took the grader 27 s)
    payload = "_NOTES = '''\\'''" + "'\\'" * 30_000 + "\n'''\ndef f(x):\n    return x\n"
    start = time.perf_counter()
    code.fingerprints(payload)
    assert time.perf_counter() - start < 1.0

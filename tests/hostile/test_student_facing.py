"""A submission that tries to smuggle its hidden inputs out through what students see.

Each part of a small assignment is answered by code that, handed a case's inputs, spells a
token made of them into one field the grader records: an exception's message, an exception
class's name, the file and line of code compiled under a name of its choosing, a forged
``SyntaxError``'s file and line, a warning's file, line and category
(``warnings.warn_explicit``), the type name of what it returns, and what it prints. The
instructor's JSON report must hold every hidden case's token (so the attack is real); no
student-facing output, under either ``--hidden-detail``, may hold any: ``grader check`` text
(``--all -v``, ``--case``), ``--format gradescope``, ``junit``, ``markdown`` and ``github``,
and what the CLI writes to stderr (a CI log).

A student also chooses the names of their files and folders: escape codes, carriage returns
and terminal hyperlinks in them must reach a terminal (``--format table``, ``grader check``,
stderr) only as inert text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from grader.cli import main

from .._cli import run
from .._mini import MINI_STUDENT, make_assignment, write_student

TOKEN = re.compile(r"LEAK[0-9a-f]{12}")
FORMATS = ("gradescope", "junit", "markdown", "github")
DETAILS = ("counts", "cases")

REFERENCE = "def double(x):\n    return 2 * x\n"
CHANNELS = ("message", "classname", "compiled", "syntax", "warned", "typename")
# The same channels, used only after the first call, which is the part's public case (every
# public case runs first): the public case passes, so a failing hidden case is all there is
# to show of the part, and its location the only one.
QUIET = tuple(f"{name}_after_public" for name in CHANNELS)


def _part(function: str) -> dict[str, Any]:
    part: dict[str, Any] = {
        "function": function, "points": 2, "reference": "solution:double",
        "cases": [{"count": 4, "public": 1, "dims": {"N": [2, 5]},
                   "args": {"x": {"normal": ["N"]}}}]}
    if function.startswith("warned"):
        part["warnings"] = "fail"
    return part


ASSIGNMENT = {"name": "Leaky", "module": "hw", "seed": 4321, "problems": ["q1"],
              "defaults": {"timeout": 5, "tolerance": {"rtol": 1e-6, "atol": 1e-9}}}
PROBLEM = {"id": "q1", "title": "Channels", "points": 4 * len(CHANNELS),
           "parts": [_part(name) for name in (*CHANNELS, *QUIET)]}

# Every function computes a token and a line number from its inputs, prints the token, and
# reports them through its own channel. (It cannot tell a public case from a hidden one, so
# public cases carry their own tokens too: those may be shown.)
STUDENT = '''
import ast
import hashlib
import os
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def _token(x):
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()
    print("inputs:", "LEAK" + digest[:12])
    return "LEAK" + digest[:12], 7_000_000 + int(digest[12:17], 16) % 1_000_000


def message(x):
    token, _ = _token(x)
    raise ValueError(f"the inputs were {token}")


def classname(x):
    token, _ = _token(x)
    raise type(token, (Exception,), {})()


def compiled(x):
    token, line = _token(x)
    tree = ast.parse("raise RuntimeError('forged')")
    ast.increment_lineno(tree, line - 1)
    exec(compile(tree, os.path.join(HERE, token + ".py"), "exec"), {})


def syntax(x):
    token, line = _token(x)
    raise SyntaxError("forged", (os.path.join(HERE, token + ".py"), line, 1, token))


def warned(x):
    token, line = _token(x)
    category = type(token + "Warning", (UserWarning,), {})
    warnings.warn_explicit(token, category, os.path.join(HERE, token + ".py"), line)
    return 2 * x


def typename(x):
    token, _ = _token(x)
    return type(token, (), {})()


def _after_public(channel):
    calls = []

    def function(x):
        calls.append(1)
        return 2 * x if len(calls) == 1 else channel(x)

    return function


for _name in ("message", "classname", "compiled", "syntax", "warned", "typename"):
    globals()[_name + "_after_public"] = _after_public(globals()[_name])
'''


def _hidden_secrets(report: dict[str, Any]) -> dict[str, set[str]]:
    """Per part, the tokens and forged line numbers that its hidden cases' results carry."""
    found: dict[str, set[str]] = {}
    for problem in report["submissions"][0]["problems"]:
        for part in problem["parts"]:
            secrets = found.setdefault(part["function"], set())
            for case in part["cases"]:
                if case["public"]:
                    continue
                secrets.update(TOKEN.findall(json.dumps(case)))
                if case["line"] and case["line"] >= 7_000_000:  # a forged line number
                    secrets.add(str(case["line"]))
    return found


def _leaks(text: str, secrets: set[str]) -> list[str]:
    return sorted(s for s in secrets if s in text)


@pytest.fixture(scope="module")
def leaky(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("leaky")
    assignment = make_assignment(root / "assignment", ASSIGNMENT, {"q1": PROBLEM}, REFERENCE)
    student = write_student(root / "student", base=STUDENT)
    assert student.module is not None
    return assignment, student.module.parent


@pytest.mark.parametrize("detail", DETAILS)
def test_hidden_inputs_reach_no_student_facing_output(leaky: tuple[Path, Path],
                                                      detail: str, tmp_path: Path) -> None:
    assignment, student = leaky
    files = {fmt: tmp_path / f"report.{fmt}" for fmt in (*FORMATS, "json")}
    result = run("check", assignment, student, "--all", "-v", "--hidden-detail", detail,
                 *[a for fmt, path in files.items() for a in ("--also", f"{fmt}:{path}")])
    assert result.exit_code == 0, result.output

    by_part = _hidden_secrets(json.loads(files["json"].read_text(encoding="utf-8")))
    # The attack works: the instructor's report holds each hidden case's token, per channel.
    for channel in (*CHANNELS, *QUIET):
        assert len([s for s in by_part[channel] if s.startswith("LEAK")]) == 3, channel
    for channel in ("compiled", "syntax", "warned", "compiled_after_public"):
        assert {s for s in by_part[channel] if not s.startswith("LEAK")}, channel  # lines
    secrets = set().union(*by_part.values())

    views = {fmt: files[fmt].read_text(encoding="utf-8") for fmt in FORMATS}
    views["text"] = result.stdout
    views["stderr"] = result.stderr
    case = run("check", assignment, student, "--case", "q1/compiled/3", "--hidden-detail",
               detail, "--also", f"github:{tmp_path / 'case.github'}")
    assert case.exit_code == 0, case.output
    views["text --case"] = case.stdout
    views["github --case"] = (tmp_path / "case.github").read_text(encoding="utf-8")
    graded = run("grade", assignment, student, "--format", "gradescope", "--hidden-detail",
                 detail)
    assert graded.exit_code == 0, graded.output
    views["grade gradescope"] = graded.stdout

    for name, text in views.items():
        assert _leaks(text, secrets) == [], name
    for name in (*FORMATS, "text"):  # a public case is shown whole, its own token included
        assert TOKEN.search(views[name]), name
    assert "hidden: 0 of 3 passed" in views["text"]
    shown = "q1/message/1" in views["text"]
    assert shown == (detail == "cases")
    # A part whose only failures are hidden: an annotation without a location, in the
    # grader's words.
    (quiet,) = [line for line in views["github"].splitlines()
                if "title=q1 compiled_after_public%3A" in line]
    message = quiet.split("::")[2].split("%0A")
    assert quiet.startswith("::error title=")
    assert message[0] == "hidden: 0 of 3 passed"
    assert message[1:] == ([f"case q1/compiled_after_public/{i} (hidden case): raised an "
                            "exception" for i in (1, 2, 3)] if detail == "cases" else [])


# Clears the screen, opens a terminal hyperlink, returns to the line's start to draw a row.
# (No "/": it is a folder's name.)
ESCAPES = "\x1b[2J\x1b]8;;evil.example\x07\rbob"
RAW = ("\x1b[2J", "\x1b]8", "\x07", "\r")


def on_a_terminal(*args: str | Path) -> Any:
    """``grader ARGS...`` with colour kept, as on a terminal (click strips escape sequences
    from output that is not one, which would hide what a student's name does there)."""
    return CliRunner().invoke(main, [str(a) for a in args], color=True)


def test_escape_codes_in_student_names_stay_inert_on_a_terminal(mini_root: Path,
                                                                tmp_path: Path) -> None:
    klass = tmp_path / "class"
    write_student(klass / "ok")
    evil = write_student(klass / f"eve{ESCAPES}", "def double(x):\n    return x\n",
                         base=MINI_STUDENT)
    assert evil.module is not None

    table = on_a_terminal("grade", mini_root, klass, "--format", "table")
    text = on_a_terminal("check", mini_root, evil.module.parent)
    missing = on_a_terminal("check", mini_root, klass / f"gone{ESCAPES}")

    assert table.exit_code == 0 and text.exit_code == 0 and missing.exit_code == 2
    for name, out in (("table", table.stdout), ("check", text.stdout),
                      ("table stderr", table.stderr), ("check stderr", text.stderr),
                      ("error", missing.stderr)):
        assert not [r for r in RAW if r in out], (name, out)
    assert "eve\\x1b[2J\\x1b]8;;ev" in table.stdout  # (shortened in the table, inert)
    assert "rerun:  grader check" in text.stdout and "\\x1b[2J" in text.stdout
    assert "gone\\x1b[2J" in missing.stderr

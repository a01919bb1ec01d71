"""Per-student feedback files (``grader grade --feedback-dir DIR``): one page per submission,
ready to upload to an LMS.

HTML by default (``grader check``'s feedback as a page of its own:
:mod:`grader.reporters.notebook`), or markdown (:mod:`grader.reporters.markdown`'s view of
one submission). Both are student-facing: of hidden cases they show only what
:mod:`grader.reporters._visible` allows under ``--hidden-detail``. Each file is named after
its submission's id, made safe for a file name; this module only makes the pages, the CLI
writes them.
"""

from __future__ import annotations

import hashlib
import html
import re
import shlex
from collections import Counter
from dataclasses import replace
from pathlib import PurePath

from grader.reporters import markdown, notebook
from grader.reporters._options import ReportOptions
from grader.reporters.check import RerunCommand
from grader.results import GradeReport, SubmissionResult

FORMATS = ("html", "markdown")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 80


_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}  # (Windows: names no file may have)


def file_name(sub_id: str, clashing: set[str], suffix: str) -> str:
    """A file name for ``sub_id``: only letters, digits, ``.``, ``_`` and ``-``, at most
    80 characters before the suffix, never starting with a dot. An id that is not already
    such a name, or that differs from another only in case (``clashing``: those ids,
    lowercased), or that Windows reserves, also gets 8 hex digits of its hash: the name is
    the id's own, whatever order the ids come in, and no id can take another's."""
    stem = _UNSAFE.sub("_", sub_id).strip("._")[:_MAX_NAME] or "submission"
    if stem != sub_id or sub_id.lower() in clashing or stem.upper() in _RESERVED:
        digest = hashlib.sha256(sub_id.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        stem = f"{stem}-{digest}"
    return f"{stem}{suffix}"


def _rerun(handed_in: str, seed: int | None) -> RerunCommand:
    """How the student reruns a case with the bundle the course gave them."""
    def command(case_id: str) -> str:
        seed_args = ["--seed", str(seed)] if seed is not None else []
        return shlex.join(["grader", "check", "BUNDLE", handed_in, *seed_args, "--case",
                           case_id]) + "  (BUNDLE: the student bundle you were given)"

    return command


def _html(report: GradeReport, sub: SubmissionResult, options: ReportOptions) -> str:
    varied = bool(report.meta.get("vary_by_student"))
    handed_in = PurePath(sub.path).name  # (hw2.py, or hw2.ipynb)
    if not handed_in.endswith((".py", ".ipynb")):
        handed_in = f"{report.assignment.module}.py"
    body = notebook.render_submission(sub, _rerun(handed_in, sub.seed if varied else None),
                                      cases=report.cases, options=options)
    title = html.escape(f"{report.assignment.name}: {sub.id}", quote=True)
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">\n"
            f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n{body}\n"
            "</body>\n</html>\n")


def pages(report: GradeReport, fmt: str, options: ReportOptions) -> list[tuple[str, str]]:
    """(file name, text) for each submission of ``report``."""
    lowered = Counter(sub.id.lower() for sub in report.submissions)
    clashing = {sid for sid, n in lowered.items() if n > 1}
    suffix = ".html" if fmt == "html" else ".md"
    out = []
    for sub in report.submissions:
        if fmt == "html":
            text = _html(report, sub, options)
        else:
            text = markdown.render(replace(report, submissions=(sub,)), options)
        # (a file name out of a legacy zip's bytes: no lone surrogate reaches the file)
        out.append((file_name(sub.id, clashing, suffix),
                    text.encode("utf-8", "replace").decode("utf-8")))
    return out

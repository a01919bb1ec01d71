"""``grader check``'s feedback as HTML, for a Jupyter notebook (:mod:`grader.notebook`).

The same content as the text of :mod:`grader.reporters.check`: every part as PASS or FAIL
with its cases and points, the known mistake it is named as, its first failing public case
(message, details, inputs) and the command that reruns it; of hidden cases only what
:mod:`grader.reporters._visible` lets a student see. Every piece of text is escaped.
"""

from __future__ import annotations

import html

from grader.reporters import _visible
from grader.reporters._format import points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.reporters.check import RerunCommand
from grader.results import GradeReport, PartResult, SubmissionResult

_STYLE = ("<style>.grader td,.grader th{text-align:left;vertical-align:top;padding:2px 8px}"
          ".grader .pass{color:#1a7f37;font-weight:bold}.grader .fail{color:#cf222e;"
          "font-weight:bold}.grader pre{margin:2px 0;white-space:pre-wrap}</style>")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _part_row(part: PartResult, rerun: RerunCommand, options: ReportOptions) -> str:
    ok = part.total > 0 and part.passed == part.total
    mark = '<span class="pass">PASS</span>' if ok else '<span class="fail">FAIL</span>'
    name = part.function if part.id == part.function else f"{part.id} ({part.function})"
    lines = list(_visible.mistake_lines(part))
    failures = [c for c in _visible.public_failures(part) if c.status != "import_error"]
    if failures:
        case = failures[0]
        lines += [_visible.headline(case), *case.details]
        if case.inputs:
            lines.append(f"inputs: {case.inputs}")
        lines.append(f"rerun: {rerun(case.id)}")
        if len(failures) > 1:
            lines.append(f"({len(failures) - 1} more failing public case(s))")
    if any(not c.passed for c in _visible.hidden_cases(part)):
        lines += _visible.hidden_lines(part, options)
    detail = f"<pre>{_e(chr(10).join(lines))}</pre>" if lines else ""
    return (f"<tr><td>{mark}</td><td><code>{_e(name)}</code></td>"
            f"<td>{part.passed}/{part.total}</td>"
            f"<td>{points(part.score)} / {points(part.max_score)}</td><td>{detail}</td></tr>")


def render_submission(sub: SubmissionResult, rerun: RerunCommand, saved: str = "",
                      cases: str = "public", options: ReportOptions = DEFAULT) -> str:
    """One submission's feedback as an HTML fragment; ``saved`` says when the file was,
    ``cases`` which were run ("public" or "all"), ``options`` how much of the hidden ones
    to show."""
    rows = []
    for problem in sub.problems:
        rows.append(f"<tr><th colspan='3'>{_e(problem.id)} {_e(problem.title)}</th>"
                    f"<th>{points(problem.score)} / {points(problem.max_score)}</th>"
                    "<th></th></tr>")
        rows += [_part_row(part, rerun, options) for part in problem.parts]
    scope = "public cases" if cases == "public" else "all cases"
    head = [f"<p><b>Score: {points(sub.score)} / {points(sub.max_score)}</b> "
            f"({scope})</p>"]
    if saved:
        head.append(f"<p>{_e(saved)}</p>")
    if sub.error:
        head.append(f"<p class='fail'>{_e(sub.error)}</p>")
    head += [f"<p>note: {_e(note)}</p>" for note in sub.notes]
    return (f"<div class='grader'>{_STYLE}{''.join(head)}<table>{''.join(rows)}</table>"
            "</div>")


def render(report: GradeReport, rerun: RerunCommand, saved: str = "") -> str:
    return "".join(render_submission(sub, rerun, saved) for sub in report.submissions)

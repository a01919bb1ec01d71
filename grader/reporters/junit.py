"""JUnit XML, for the test-report views of CI systems (GitHub, GitLab, Jenkins).

Follows the common schema of Jenkins and pytest (``junit-10.xsd``):

- ``<testsuites name=ASSIGNMENT>`` holds one ``<testsuite name="SUBMISSION.QUESTION">`` per
  submission and question, with the question's ``score`` and ``max_score`` as properties;
- one ``<testcase classname="SUBMISSION.QUESTION" name=PART>`` per part;
- a part that lost points has a ``<failure>`` when its first failing public case returned
  wrong values (or broke a property), else an ``<error>`` (it raised, timed out, crashed, was
  not defined, the module did not import, ...); ``message`` is that case and the text gives
  the points, the counts, the case's explanation and the part's hidden cases as a student may
  see them (:mod:`grader.reporters._visible`: how many passed, and with
  ``ReportOptions.hidden_detail == "cases"`` each failing one's id and kind of failure);
- a part that lost points on hidden cases only has a ``<failure type="hidden">`` whose message
  and text say only that (with ``cases``: a ``<failure>`` or ``<error>`` by the first failing
  hidden case's kind, its status as the type); nothing the student's process chose after a
  hidden input arrived reaches an element, attribute or text; a part with no cases run is
  ``<skipped>``;
- ``tests``, ``failures``, ``errors`` and ``skipped`` on every suite and on the root count
  those elements. No times, so the same grading gives the same bytes.

Built with :mod:`xml.etree.ElementTree`, which escapes markup; control characters (which XML
1.0 cannot hold, or a CI viewer would act on) are shown escaped first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.display import printable
from grader.reporters import _visible
from grader.reporters._format import exact, points
from grader.reporters._options import DEFAULT, ReportOptions
from grader.results import GradeReport, PartResult, ProblemResult, SubmissionResult

# Each count attribute and the testcase child it counts.
COUNTED = {"failures": "failure", "errors": "error", "skipped": "skipped"}


def render(report: GradeReport, options: ReportOptions = DEFAULT) -> str:
    root = ET.Element("testsuites", name=xml_text(report.assignment.name))
    for sub in report.submissions:
        for suite in submission_suites(sub, options):
            root.append(suite)
    _count(root, root.findall("testsuite/testcase"))
    ET.indent(root, "  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")


def submission_suites(sub: SubmissionResult,
                      options: ReportOptions = DEFAULT) -> list[ET.Element]:
    suites = [problem_suite(sub, problem, options) for problem in sub.problems]
    if not suites and sub.error:
        # Nothing was graded: the submission itself is the error.
        suite = ET.Element("testsuite", name=xml_text(sub.id))
        case = ET.SubElement(suite, "testcase", classname=xml_text(sub.id), name="submission")
        ET.SubElement(case, "error", message=xml_text(sub.error), type="submission")
        _count(suite, [case])
        suites.append(suite)
    return suites


def problem_suite(sub: SubmissionResult, problem: ProblemResult,
                  options: ReportOptions = DEFAULT) -> ET.Element:
    name = xml_text(f"{sub.id}.{problem.id}")
    suite = ET.Element("testsuite", name=name)
    props = ET.SubElement(suite, "properties")
    for key, value in (("title", problem.title), ("score", exact(problem.score)),
                       ("max_score", exact(problem.max_score)), ("status", problem.status)):
        ET.SubElement(props, "property", name=key, value=xml_text(value))
    cases = [part_case(name, part, options) for part in problem.parts]
    suite.extend(cases)
    _count(suite, cases)
    return suite


def part_case(classname: str, part: PartResult,
              options: ReportOptions = DEFAULT) -> ET.Element:
    case = ET.Element("testcase", classname=classname, name=xml_text(part.id))
    if part.total == 0:
        ET.SubElement(case, "skipped", message=xml_text(part.message or "no cases run"))
        return case
    failures = _visible.failing(part)
    if not failures:
        return case
    body = [f"{points(part.score)} / {points(part.max_score)} points; "
            f"{part.passed} of {part.total} cases passed"]
    public = _visible.public_failures(part)
    if public:
        first = public[0]
        body += [*_visible.mistake_lines(part), _visible.headline(first),
                 *_visible.explanation(first)]
        kind, status = ("failure" if first.status == "fail" else "error"), first.status
    elif options.hidden_cases:  # the kind of the first failing hidden case may be shown
        status = failures[0].status if failures[0].status in _visible.HIDDEN_STATUS else "hidden"
        kind = "failure" if status in ("fail", "hidden") else "error"
    else:  # only the counts: not even whether a hidden case raised or returned wrong values
        kind, status = "failure", "hidden"
    body += _visible.hidden_lines(part, options)
    element = ET.SubElement(case, kind, message=xml_text(_visible.summary(part, options)),
                            type=status)
    element.text = xml_text("\n".join(body))
    return case


def xml_text(text: str) -> str:
    """Text XML 1.0 can hold, and inert where a CI system shows it: control characters
    (which XML cannot hold, or a viewer would act on, such as ``\\r``) are written as
    escapes (``\\x1b``)."""
    return printable(text, keep="\n\t")


def _count(element: ET.Element, cases: list[ET.Element]) -> None:
    element.set("tests", str(len(cases)))
    for attribute, child in COUNTED.items():
        element.set(attribute, str(sum(case.find(child) is not None for case in cases)))

"""The instructor's HTML report of a class: one self-contained file (``--format html``).

Styles, charts (inline SVG) and the small script that sorts the summary table are all in the
file; nothing is fetched, so it reads offline and can be attached to an email. It shows
hidden cases, as the JSON does: it is for the course staff. The figures come from
:mod:`grader.reporters.classview`; the page is ``templates/class.html.j2``, rendered by
Jinja2 with autoescape on, so every student's text (ids, messages, printed output) is
escaped wherever it lands. A Content-Security-Policy lets only this module's own script run.
"""

from __future__ import annotations

import base64
import functools
import hashlib

import jinja2
from markupsafe import Markup

from grader.display import printable
from grader.reporters._format import points
from grader.reporters.classview import class_view
from grader.results import GradeReport

# Sorts the summary table by a column when its header is clicked (numbers as numbers), and
# marks the table so (data-sortable: a sign that the policy let the script run).
SCRIPT = """
document.getElementById("summary-table").dataset.sortable = "yes";
document.querySelectorAll("th.sort").forEach(function (th) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var up = th.dataset.order !== "up";
    th.dataset.order = up ? "up" : "down";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].textContent, y = b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
      return up ? c : -c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("grader.reporters", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals["points"] = points
    env.globals["printable"] = printable  # (a student's id: no direction overrides)
    return env.get_template("class.html.j2")


def render(report: GradeReport) -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    page = _template().render(view=class_view(report), script=Markup(SCRIPT),  # (ours)
                              script_hash=f"sha256-{digest}") + "\n"
    return page.encode("utf-8", "replace").decode("utf-8")  # (no lone surrogate survives)

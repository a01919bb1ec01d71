"""The HTML report in a real headless browser (Chromium, from Debian's packages): the
histograms and the summary table are drawn, and a student's markup runs nothing.

Skipped, saying so, where no Chromium is installed (``apt-get install chromium``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.reporters import FORMATS
from grader.results import GradeReport
from tests.reporters.test_html import _hostile

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
BLUE = (74, 127, 181)  # the bars' colour, #4a7fb5


@pytest.fixture(scope="module")
def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        pytest.skip("no headless browser: apt-get install chromium")
    return found


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_histograms_and_the_table_are_drawn(browser: str, tmp_path: Path,
                                                hw2_report: GradeReport) -> None:
    page = tmp_path / "class.html"
    page.write_text(FORMATS["html"](hw2_report))
    dom = headless(browser, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert dom.count('<svg class="histogram"') == 1 + len(hw2_report.assignment.problems)
    table = re.search(r'<table id="summary-table"([^>]*)>.*?<tbody>(.*?)</tbody>', dom, re.S)
    assert table and table[2].count("<tr>") == len(hw2_report.submissions)
    assert 'data-sortable="yes"' in table[1]  # (its script ran: the policy allows it alone)

    shot = tmp_path / "class.png"
    headless(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,800",
             page.as_uri())
    import matplotlib.image

    pixels = (matplotlib.image.imread(str(shot))[:, :, :3] * 255).round()
    blue = ((abs(pixels - BLUE) <= 2).all(axis=2)).sum()
    assert blue > 2000, blue  # (the bars of the histogram of totals, at the top)


def test_a_students_markup_runs_nothing_in_the_browser(browser: str, tmp_path: Path,
                                                       hw2_report: GradeReport) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(FORMATS["html"](_hostile(hw2_report)))
    dom = headless(browser, tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    assert "<body" in dom
    body = re.search(r"<body[^>]*>", dom)
    assert body and "data-pwned" not in body[0]  # (what the payload's script would set)
    assert dom.count("<script>") == 1 and 'data-sortable="yes"' in dom
    assert "&lt;script&gt;document.body.setAttribute" in dom  # shown, as text

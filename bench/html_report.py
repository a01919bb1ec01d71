"""The class report in HTML: how big it is for a class of N, and how long a headless Chromium
takes to load it and take a screenshot.

The class is N synthetic homework-2 submissions (bench/generate.py, the same mix as
bench/bench.py), graded once with `grader grade problems/hw2 CLASS --format html` (the real
CLI, a warm cache of expected outputs). The report is then opened R times by
`chromium --headless --screenshot` (a fresh profile each time), and the median is taken:

    python bench/html_report.py [--n 500] [--repeat 5]

It prints the report's size (the target: under 2 MB for 500 submissions) and the median
seconds to load and screenshot it (the aim: under 2 s), and, for scale, the same for an
empty page.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from generate import generate  # noqa: E402

HW2 = REPO / "problems" / "hw2"


def screenshot_seconds(browser: str, page: Path, work: Path, repeat: int) -> float:
    """The median seconds for a headless browser to load ``page`` and write a screenshot."""
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        f"--user-data-dir={work / f'profile{i}'}",
                        f"--screenshot={work / 'shot.png'}", "--window-size=1280,1024",
                        page.as_uri()], capture_output=True, check=True, timeout=300)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    browser = next((p for name in ("chromium", "chromium-browser", "google-chrome")
                    if (p := shutil.which(name))), None)
    if browser is None:
        sys.exit("no headless browser: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="bench-html-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        generate(work / "class", args.n, seed=0)
        report = work / "class.html"
        subprocess.run([sys.executable, "-m", "grader", "grade", str(HW2), str(work / "class"),
                        "--format", "html", "-o", str(report)], check=True,
                       capture_output=True, timeout=1800)
        empty = work / "empty.html"
        empty.write_text("<!DOCTYPE html><title>empty</title>\n")
        size = report.stat().st_size
        seconds = screenshot_seconds(browser, report, work, args.repeat)
        baseline = screenshot_seconds(browser, empty, work, args.repeat)
    print(f"class of {args.n}: report {size / 1e6:.2f} MB (target: under 2 MB)")
    print(f"load and screenshot: median {seconds:.2f} s of {args.repeat} (aim: under 2 s); "
          f"an empty page: {baseline:.2f} s")


if __name__ == "__main__":
    main()

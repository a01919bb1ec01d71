"""The GitHub workflow (.github/workflows/tests.yml) stays valid: it cannot run here, so its
shape is checked. It must run the README's install and test commands on Linux, macOS and
Windows, with every Python version the project supports, and fail rather than pass when
pytest runs nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "tests.yml"
NEWEST = (3, 13)  # the newest Python the project is tested with


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(loaded, dict)
    return loaded


def quick_start() -> list[str]:
    """The README's two quick-start commands."""
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quick start\n\n```bash\n(.*?)```", readme, re.S)
    assert block, "the README has no quick start"
    return block[1].strip().splitlines()


def supported_pythons() -> list[str]:
    """From requires-python's lower bound up to NEWEST."""
    # (a regular expression: tomllib is 3.11 and later)
    low = re.search(r'^requires-python = ">=\s*3\.(\d+)"$',
                    (REPO / "pyproject.toml").read_text(), re.M)
    assert low, "pyproject.toml has no requires-python lower bound"
    return [f"3.{minor}" for minor in range(int(low[1]), NEWEST[1] + 1)]


def test_it_runs_on_push_and_pull_requests() -> None:
    triggers = workflow().get("on", workflow().get(True))  # (YAML 1.1 reads `on` as true)
    assert {"push", "pull_request"} <= set(triggers)


def test_its_matrix_is_three_platforms_and_every_supported_python() -> None:
    (job,) = workflow()["jobs"].values()
    matrix = job["strategy"]["matrix"]
    assert {re.sub(r"-.*", "", os) for os in matrix["os"]} == {"ubuntu", "macos", "windows"}
    assert matrix["python"] == supported_pythons()
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False  # (one platform's failure hides no other's)


def test_its_steps_are_the_readmes_commands() -> None:
    (job,) = workflow()["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    install, test = quick_start()
    assert install in runs and test in runs
    assert runs.index(install) < runs.index(test)
    setup = [step for step in job["steps"] if step.get("uses", "").startswith(
        "actions/setup-python@")]
    assert setup and setup[0]["with"]["python-version"] == "${{ matrix.python }}"
    # (pytest exits 5 when it collects nothing: a step fails on any exit but 0)
    for step in job["steps"]:
        assert "continue-on-error" not in step and "|| true" not in step.get("run", "")


def test_every_action_is_pinned_to_a_version() -> None:
    (job,) = workflow()["jobs"].values()
    for step in job["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@v\d+", step["uses"]), step["uses"]


def test_what_other_platforms_leave_out_exists_and_is_said() -> None:
    from tests import conftest

    for prefix in conftest.LINUX_ONLY:
        assert (REPO / "tests" / prefix).exists(), prefix
    assert conftest._linux_only(REPO / "tests" / "hostile" / "test_corpus.py")
    assert conftest._linux_only(REPO / "tests" / "sandbox" / "test_portable.py") is None

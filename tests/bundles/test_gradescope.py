"""``grader gradescope-bundle``: the zip has Gradescope's layout, its source tree builds, and
its run_autograder grades a submission into results.json in a fake /autograder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import grader
from grader.reporters import FORMATS
from grader.results import GradeReport
from grader.spec import Assignment, load_assignment

from .. import _dockerlike
from .._cli import run
from .._mini import HW2, SUBMISSIONS

PACKAGE = Path(grader.__file__).resolve().parent


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def zipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    result = run("gradescope-bundle", HW2, out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    return out


@pytest.fixture(scope="module")
def source(zipped: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked as Gradescope does, into /autograder/source."""
    source = tmp_path_factory.mktemp("image") / "source"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(source)
    return source


def test_zip_has_the_scripts_at_its_root_and_executable(zipped: Path) -> None:
    with zipfile.ZipFile(zipped) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}

    assert {"setup.sh", "run_autograder"} <= set(modes)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert {name.split("/")[0] for name in modes} == {"setup.sh", "run_autograder",
                                                      "assignment", "grader-src"}
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in modes)


def test_zip_keeps_the_key_private_and_the_report_choices(zipped: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(zipped) as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        script = archive.read("run_autograder").decode()
    assert modes["assignment/hidden.key"] == 0o100600
    assert modes["assignment/q1.yaml"] == 0o100644
    assert "--hidden-visibility after_published --hidden-detail counts" in script
    out = tmp_path / "cases.zip"
    result = run("gradescope-bundle", HW2, out, "--hidden-detail", "cases",
                 "--hidden-visibility", "after_due_date")
    assert result.exit_code == 0, result.output
    assert "secret key of the hidden cases: keep it private" in result.stderr
    with zipfile.ZipFile(out) as archive:
        script = archive.read("run_autograder").decode()
    assert "--hidden-visibility after_due_date --hidden-detail cases" in script


def test_zip_holds_the_whole_assignment_with_its_digest(source: Path, hw2: Assignment) -> None:
    assert _files(source / "assignment") == _files(HW2)
    assert load_assignment(source / "assignment").digest == hw2.digest


def test_zip_holds_the_grader_source(source: Path) -> None:
    shipped = _files(source / "grader-src")

    assert {"pyproject.toml", "README.md"} <= set(shipped)
    assert {k.removeprefix("grader/"): v for k, v in shipped.items()
            if k.startswith("grader/")} == _files(PACKAGE)


def test_zip_is_the_same_bytes_every_time(zipped: Path, tmp_path: Path) -> None:
    assert run("gradescope-bundle", HW2, tmp_path / "again.zip").exit_code == 0
    assert (tmp_path / "again.zip").read_bytes() == zipped.read_bytes()


def test_setup_sh_installs_python_and_the_shipped_grader(source: Path) -> None:
    text = (source / "setup.sh").read_text()

    assert text.startswith("#!/usr/bin/env bash\n")
    assert subprocess.run(["bash", "-n", source / "setup.sh"]).returncode == 0
    assert "apt-get install -y python3 python3-pip" in text
    assert 'python3 -m pip install "$SOURCE/grader-src"' in text
    assert '--break-system-packages "$SOURCE/grader-src"' in text


def test_shipped_source_tree_builds(source: Path, tmp_path: Path) -> None:
    # pip builds through the same PEP 517 hook; an sdist needs nothing beyond setuptools
    # (a wheel would need the 'wheel' package with older setuptools, and it is not offline).
    built = subprocess.run(
        [sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
         "print(b.build_sdist(sys.argv[1]))", str(tmp_path)],
        cwd=source / "grader-src", capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr

    with tarfile.open(tmp_path / built.stdout.split()[-1]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
        info = sdist.extractfile(next(m for m in sdist.getmembers()
                                      if m.name.endswith("/PKG-INFO")))
        assert info is not None
        pkg_info = info.read().decode()

    assert f"Name: grader\nVersion: {grader.__version__}" in pkg_info
    assert {f"grader/{name}" for name in _files(PACKAGE)} <= names


# --- run_autograder -------------------------------------------------------------------------

needs_format = pytest.mark.skipif(
    "gradescope" not in FORMATS, reason="the gradescope report format "
    "(grader/reporters/gradescope.py) is not in this tree; run_autograder needs it")
needs_grader = pytest.mark.skipif(
    shutil.which("grader") is None, reason="the grader command is not on PATH "
    "(pip install -e .)")


def autograde(source: Path, tmp_path: Path, files: dict[str, Path],
              env: dict[str, str] | None = None, dockerlike: bool = False) -> dict[str, object]:
    """Run run_autograder as Gradescope does, in a fake /autograder (in the Docker-like
    harness with ``dockerlike``); return results.json."""
    root = tmp_path / "autograder"
    shutil.copytree(source, root / "source")
    shutil.copyfile(root / "source" / "run_autograder", root / "run_autograder")
    for name, path in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, root / "submission" / name)
    (root / "submission").mkdir(exist_ok=True)
    env = {"GRADER_AUTOGRADER_ROOT": str(root), **(env or {})}
    command = ["bash", str(root / "run_autograder")]
    if dockerlike:
        done = _dockerlike.run(command, env, timeout=300, cwd=root)
    else:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env})
    assert done.returncode in (0, 1), done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert isinstance(results, dict)
    return results


@needs_format
@needs_grader
@pytest.mark.parametrize("name, where", [("correct", "hw2.py"),
                                         ("buggy", "my work/hw2/hw2.py")])
def test_run_autograder_grades_the_submission_on_every_case(
        source: Path, tmp_path: Path, hw2: Assignment, hw2_report: GradeReport,
        name: str, where: str) -> None:
    results = autograde(source, tmp_path, {where: SUBMISSIONS / name / "hw2.py",
                                           "notes.txt": HW2 / "README.md"})

    mine = next(s for s in hw2_report.submissions if s.id == name)
    assert results["score"] == pytest.approx(mine.score)
    assert results["extra_data"] == {"assignment": hw2.digest, "seed": hw2.seed,
                                     "cases": "all"}
    tests = results["tests"]
    assert isinstance(tests, list)
    assert sum(t["score"] for t in tests) == pytest.approx(mine.score)
    assert (mine.score == mine.max_score) == (name == "correct")


@needs_format
@needs_grader
def test_a_folder_name_with_a_newline_cannot_choose_the_file_graded(
        source: Path, tmp_path: Path, hw2_report: GradeReport) -> None:
    """A name is one line of find's output no longer: a folder named "x\n0 " would make the
    next line, "0 /autograder/source/.../solution.py", the nearest file, and the reference
    would be graded as the student's."""
    reference = tmp_path / "autograder" / "source" / "assignment" / "reference"
    parts = str(reference).strip("/").split("/")
    trap = "/".join(["x\n0 ", *parts, "solution.py\n9 ", "hw2.py"])
    results = autograde(source, tmp_path, {"hw2.py": SUBMISSIONS / "buggy" / "hw2.py",
                                           trap: SUBMISSIONS / "syntax_error" / "hw2.py"})

    buggy = next(s for s in hw2_report.submissions if s.id == "buggy")
    assert buggy.score < buggy.max_score
    assert results["score"] == pytest.approx(buggy.score)


@needs_grader
def test_run_autograder_without_the_module_scores_zero_and_says_why(
        source: Path, tmp_path: Path) -> None:
    results = autograde(source, tmp_path, {"homework2.py": SUBMISSIONS / "correct" / "hw2.py"})

    assert results == {"score": 0, "output": "No hw2.py in your submission: upload your file "
                                             "named hw2.py (or hw2.ipynb)."}


@needs_grader
def test_run_autograder_grades_a_notebook_where_there_is_no_module(
        source: Path, tmp_path: Path) -> None:
    results = autograde(source, tmp_path, {
        "work/hw2.ipynb": SUBMISSIONS / "notebook_buggy" / "hw2.ipynb"})

    assert results["score"] == pytest.approx(43.57, abs=0.01)  # (buggy's, every case)


# In a container like Gradescope's (root, namespaces refused): a student's hw2.py whose
# sigmoid tries to read the reference and the key and to rewrite results.json, and says in
# its exception (shown with the public case) how each attempt went.
THIEF = """

def sigmoid(z):
    import os
    root = os.environ.get("AUTOGRADER", "@@ROOT@@")
    attempts = []
    for what, path, mode in (("reference", root + "/source/assignment/reference/solution.py",
                              "r"),
                             ("key", root + "/source/assignment/hidden.key", "r"),
                             ("results", root + "/results/results.json", "w")):
        try:
            with open(path, mode) as f:
                f.write('{"score": 1000}') if mode == "w" else f.read()
            attempts.append(what + "=DONE")
        except OSError as exc:
            attempts.append(what + "=refused(" + type(exc).__name__ + ")")
    raise RuntimeError("attempts: " + " ".join(attempts))
"""


@needs_format
@needs_grader
def test_in_a_gradescope_like_container_student_code_reads_no_source_and_writes_no_results(
        source: Path, tmp_path: Path) -> None:
    _dockerlike.require()
    thief = tmp_path / "thief.py"
    thief.write_text((SUBMISSIONS / "correct" / "hw2.py").read_text()
                     + THIEF.replace("@@ROOT@@", str(tmp_path / "autograder")))
    assert (source / "assignment" / "reference" / "solution.py").is_file()

    results = autograde(source, tmp_path, {"hw2.py": thief}, dockerlike=True)

    text = json.dumps(results)
    assert "attempts: reference=refused(PermissionError) key=refused(PermissionError) " \
           "results=refused(PermissionError)" in text, text[:3000]
    assert "DONE" not in text
    assert results["score"] != 1000 and results["tests"], text[:2000]


@needs_format
@needs_grader
def test_below_the_confined_level_the_autograder_refuses_and_says_why(
        source: Path, tmp_path: Path) -> None:
    _dockerlike.require()
    results = autograde(source, tmp_path, {"hw2.py": SUBMISSIONS / "correct" / "hw2.py"},
                        env={"DOCKERLIKE_LANDLOCK": "0"}, dockerlike=True)

    assert results["score"] == 0
    assert str(results["output"]).startswith(
        "The autograder could not grade this submission, through no fault of yours; please "
        "tell your instructor. Details: grader: error: --sandbox confined: full or confined "
        "isolation is unavailable here"), results


# --- errors -------------------------------------------------------------------------------

def test_gradescope_bundle_to_an_existing_file_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.zip").write_bytes(b"mine")

    result = run("gradescope-bundle", HW2, tmp_path / "a.zip")

    assert result.exit_code == 2
    assert result.output.strip() == (f"grader: error: {tmp_path / 'a.zip'} already exists; "
                                     "give the name of a new file")
    assert (tmp_path / "a.zip").read_bytes() == b"mine"


def test_gradescope_bundle_of_a_missing_assignment_exits_2_with_one_line(tmp_path: Path) -> None:
    result = run("gradescope-bundle", tmp_path / "nowhere", tmp_path / "a.zip")

    assert result.exit_code == 2
    assert result.output.strip() == (f"grader: error: {tmp_path / 'nowhere'}: assignment "
                                     "folder not found")
    assert list(tmp_path.iterdir()) == []

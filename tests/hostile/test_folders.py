"""Hostile submission folders: what is next to (or instead of) hw.py, not what the code does.

Instructors unpack archives of submissions, often as root, so a folder may hold symbolic
links, named pipes, device nodes or huge sparse files. These cannot live in corpus/ (they are
made per machine, at test time), and the grader meets them before any student code runs,
in its own trusted process: copying the folder for the student process. Each folder is graded
through the CLI, as an instructor would, under a watchdog (its time bound) and a file-size
cap, so that a grader that hangs or copies forever fails the test instead of the machine.

The five checks of test_corpus.py apply: bound, the parts' scores and reason, nothing written
outside scratch, no run folder and no process left.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.intake.notebooks import MAX_CONTAINERS

from ._lab import MODULE_FILE, SLACK, CliRun, Lab, correct_source
from .test_corpus import check_left_nothing

SAFETY_FILE_LIMIT = 256 << 20  # bytes: no file the grader writes for these folders is larger


@dataclass(frozen=True)
class FolderCase:
    build: Callable[[Lab, Path], None]  # fills the submission folder
    reason: str = ""  # "": graded as usual (full marks); else every part 0, error says this
    full_only: str = ""
    root_only: str = ""


def _correct(lab: Lab, folder: Path) -> None:
    lab.write(folder, correct_source())


def hw_symlink_to_reference(lab: Lab, folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / MODULE_FILE).symlink_to(lab.assignment / "reference" / "solution.py")


def hw_relative_symlink_to_reference(lab: Lab, folder: Path) -> None:
    folder.mkdir(parents=True)
    target = os.path.relpath(lab.assignment / "reference" / "solution.py", folder)
    (folder / MODULE_FILE).symlink_to(target)


def link_to_reference_folder(lab: Lab, folder: Path) -> None:
    lab.write(folder, "from ref.solution import add, norm, pair, scale  # noqa: F401\n")
    (folder / "ref").symlink_to(lab.assignment / "reference", target_is_directory=True)


def fifo_next_to_module(lab: Lab, folder: Path) -> None:
    _correct(lab, folder)
    os.mkfifo(folder / "notes.fifo")


def device_node_next_to_module(lab: Lab, folder: Path) -> None:
    _correct(lab, folder)
    # A copy of /dev/zero, as `tar -x` run by root recreates from an archive.
    os.mknod(folder / "zero", stat.S_IFCHR | 0o644, os.makedev(1, 5))


def huge_sparse_file_next_to_module(lab: Lab, folder: Path) -> None:
    _correct(lab, folder)
    with open(folder / "data.bin", "wb") as f:
        f.truncate(20 << 30)


def symlink_loop_next_to_module(lab: Lab, folder: Path) -> None:
    _correct(lab, folder)
    (folder / "a").symlink_to("b")
    (folder / "b").symlink_to("a")


# Notebooks (hw.ipynb, where no hw.py is): read by the grader's own process, as data.

def _notebook(folder: Path, *cells: str) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    folder.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells]), folder / "hw.ipynb")


def notebook_nested_json(lab: Lab, folder: Path) -> None:
    folder.mkdir(parents=True)
    # 1 MiB deep: as many brackets as a notebook may hold (more are refused uncounted, by
    # tests/intake/test_notebooks.py), so that it is the parse that finds the depth.
    (folder / "hw.ipynb").write_text("[" * MAX_CONTAINERS, encoding="utf-8")


def notebook_of_gigabytes(lab: Lab, folder: Path) -> None:
    folder.mkdir(parents=True)
    with open(folder / "hw.ipynb", "wb") as f:
        f.truncate(5 << 30)  # (sparse)


def notebook_reaching_a_shell(lab: Lab, folder: Path) -> None:
    marker = lab.substitute("@@REPO@@/notebook-reached-a-shell")
    _notebook(folder, lab.substitute(correct_source()),
              f"!touch {marker}-bang\nfiles = !ls /", f"%%bash\ntouch {marker}-bash",
              f"get_ipython().system('touch {marker}-ipython')",
              f"import os, subprocess\nos.system('touch {marker}-system')\n"
              f"try:\n    subprocess.run(['touch', '{marker}-run'])\nexcept OSError:\n"
              "    pass")


FOLDERS: dict[str, FolderCase] = {
    "notebook_nested_json": FolderCase(notebook_nested_json, reason="nested too deeply"),
    "notebook_of_gigabytes": FolderCase(notebook_of_gigabytes, reason="the limit is 64 MiB"),
    "notebook_reaching_a_shell": FolderCase(notebook_reaching_a_shell,
                                            full_only="writing outside the scratch space"),
    "hw_symlink_to_reference": FolderCase(hw_symlink_to_reference, reason="link"),
    "hw_relative_symlink_to_reference": FolderCase(hw_relative_symlink_to_reference,
                                                   reason="link"),
    "link_to_reference_folder": FolderCase(link_to_reference_folder,
                                           reason="No module named 'ref",
                                           full_only="reading files outside the sandbox"),
    "fifo_next_to_module": FolderCase(fifo_next_to_module),
    "device_node_next_to_module": FolderCase(device_node_next_to_module,
                                             root_only="creating a device node"),
    "huge_sparse_file_next_to_module": FolderCase(huge_sparse_file_next_to_module),
    "symlink_loop_next_to_module": FolderCase(symlink_loop_next_to_module),
}


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_hostile_submission_folder(lab: Lab, tmp_path: Path, name: str) -> None:
    case = FOLDERS[name]
    if case.full_only:
        lab.require_full(case.full_only)
    if case.root_only and os.geteuid() != 0:
        pytest.skip(f"needs root ({case.root_only})")
    folder = tmp_path / name
    case.build(lab, folder)
    bound = lab.import_timeout + SLACK

    observed = lab.observe(lambda: lab.grade_cli(folder, timeout=bound + 2.0,
                                                 max_file=SAFETY_FILE_LIMIT))

    cli: CliRun = observed.graded
    failures = check_left_nothing(observed)
    if cli.returncode is None:
        failures.append(f"(a) the grader was still running after {bound + 2.0:.0f}s; killed")
    elif cli.returncode != 0 or name not in cli.submissions:
        last = [line for line in cli.stderr.splitlines() if line.strip()][-1:]
        failures.append(f"the grader failed (exit {cli.returncode}): {' '.join(last)[-600:]}")
    else:
        graded = cli.submissions[name]
        if observed.seconds > bound:
            failures.append(f"(a) took {observed.seconds:.1f}s, bound {bound:.1f}s")
        if case.reason:
            if graded.score != 0 or case.reason not in graded.error:
                failures.append(f"(b) expected 0 with {case.reason!r} in the error, got "
                                f"{graded.score:g}/{graded.max_score:g}, error "
                                f"{graded.error!r}")
        elif graded.score != graded.max_score:
            failures.append(f"(c) a correct hw.py got {graded.score:g}/{graded.max_score:g}: "
                            f"{ {f: p.message for f, p in graded.parts.items()} }")
    assert not failures, f"{name}:\n  " + "\n  ".join(failures)

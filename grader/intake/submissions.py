"""Finding submissions on disk, in the layouts real courses hand them in.

``SUBMISSIONS`` is one submission (a folder holding the module file, the module file itself,
or a student's zip) or a class folder holding, in any mix:

- a folder per student, named by the submission id (a Moodle folder
  ``John Smith_123_assignsubmission_file`` is John Smith's), with the module file in it or
  one folder down, or in a zip inside it;
- files as a learning-management system's download names them, several per student
  (:mod:`grader.intake.lms`, which reads the whole folder as one LMS's download): each
  student's files, under their original names, make that student's submission; when a file
  was handed in again (a later Canvas upload, or a later Blackboard attempt), the latest
  wins; a name that the folder cannot tell how to read is that student's problem;
- a zip per student (``alice.zip``, or an LMS-named zip), with the module at its top or one
  folder down.

Wherever the module file (``hw2.py``) is looked for, the notebook of its name (``hw2.ipynb``)
is found the same way where there is no module (a module beside a notebook wins;
:mod:`grader.intake.notebooks` reads the notebook).

A zip is opened only when no module file is found outside zips, and then lazily: each of the
student's zips is looked into by its directory alone, and only the one holding the module is
unpacked, and of it only the module's folder. That folder, or the LMS files copied under their
original names, go into a :class:`Staging` folder, a private temporary folder removed after
grading (or each submission's part of it as soon as it is graded, :meth:`Staging.release`).
What one student may take on disk, staged plus the copy made for grading, is bounded by the
staging's budget (:data:`DISK_BUDGET` by default), and a module must fit the copy's file
limit. Any problem with one student's submission (a bad zip, no module, two candidates, a
symbolic link, a module or files too large) is that submission's ``problem``, graded as zero
with that message; only an unusable top-level path is a :class:`UsageError`.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from grader.errors import UsageError
from grader.intake import lms, notebooks
from grader.intake.archives import ArchiveError, ArchiveLimits, extract, list_files
from grader.sandbox.scratch import COPY_BUDGET, copy_cost, copy_size

DISK_BUDGET = 64 << 20  # bytes per student: staged for them plus the copy made for grading


@dataclass(frozen=True)
class Submission:
    id: str
    folder: Path
    module: Path | None  # None when the module file was not found
    problem: str = ""  # why the module is missing
    source: Path | None = None  # the zip or downloaded file the module was unpacked from

    @property
    def shown_path(self) -> str:
        """Where the submission came from, as reports show it (never a temporary folder)."""
        return str(self.source or self.module or self.folder)


class Staging:
    """A private temporary folder for submissions that must be unpacked or renamed.

    Created on first use (mode 0700), and removed by :meth:`close` or on leaving a ``with``
    block, or at the latest when the process exits; :meth:`release` removes one submission's
    files as soon as it is graded. ``limits`` bound every zip unpacked here. ``budget`` bounds
    what one student may take on disk: the files unpacked or copied here for them (one
    folder per student at most) plus the copy made of their module's folder for grading
    (:func:`~grader.sandbox.scratch.copy_size`). A student over it gets a problem, not a
    byte more.
    """

    def __init__(self, limits: ArchiveLimits | None = None,
                 budget: int = DISK_BUDGET) -> None:
        if budget <= 0:
            raise ValueError("the disk budget must be positive")
        self.limits = limits or ArchiveLimits()
        self.budget = budget
        self.root: Path | None = None
        self._made = 0
        self._pid = os.getpid()

    def new_folder(self) -> Path:
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="grader-submissions-"))
            atexit.register(self.close)
        self._made += 1
        folder = self.root / f"{self._made:05d}"  # not the student's name: that may be anything
        folder.mkdir(mode=0o700)
        return folder

    def release(self, submission: Submission) -> None:
        """Remove what was staged for ``submission`` (once it is graded; any process may)."""
        module = submission.module
        if self.root is None or module is None or self.root not in module.parents:
            return
        shutil.rmtree(self.root / module.relative_to(self.root).parts[0], ignore_errors=True)

    def close(self) -> None:
        """Remove everything staged. A process forked from the owner leaves it alone."""
        if self.root is None or os.getpid() != self._pid:
            return
        atexit.unregister(self.close)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _regular(path: Path) -> bool:
    """A regular file that is not a link: a link could point at files the student must not
    see (the reference solution), and the grader would copy what it points to."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _absolute(path: Path) -> Path:
    """An absolute path whose last component is not resolved (links stay links)."""
    return Path(os.path.abspath(path))


def _several(module_file: str, found: Iterable[str], where: str = "") -> str:
    return (f"found several {module_file} files{where} ({', '.join(found)}); "
            "submit exactly one")


def _in_tree(root: Path, module_file: str, where: str) -> tuple[Path | None, str]:
    """The module in ``root`` or one folder down (links are never followed); failing that,
    the notebook of the same name found the same way (a module beside it wins)."""
    module, problem = _one_in_tree(root, module_file, where)
    if module is None and not problem and module_file.endswith(".py"):
        return _one_in_tree(root, notebooks.name_for(module_file), where)
    return module, problem


def _one_in_tree(root: Path, module_file: str, where: str) -> tuple[Path | None, str]:
    direct = root / module_file
    if direct.is_symlink():
        return None, f"{module_file}{where} is a symbolic link; submit the file itself"
    if _regular(direct):
        return _absolute(direct), ""
    nested = sorted(p for p in root.glob(f"*/{module_file}")
                    if _regular(p) and not p.parent.is_symlink())
    if len(nested) == 1:
        return _absolute(nested[0]), ""
    if len(nested) > 1:
        return None, _several(module_file, (str(p.relative_to(root)) for p in nested), where)
    return None, ""


def _mebibytes(n: int) -> str:
    """``n`` bytes in MiB, rounded up to a tenth, so that a size over a limit never reads as
    the limit itself."""
    return f"{-(-n * 10 // (1 << 20)) / 10:g} MiB"


def _too_large(name: str, size: int, file: str) -> str:
    """``name`` (the module ``file``, as the student knows it) is over its limit."""
    hint = " (clear its outputs)" if file.endswith(".ipynb") else ""
    limit = _mebibytes(notebooks.file_limit(file))
    return f"{name} is {_mebibytes(size)}; the limit is {limit}{hint}"


def _over_budget(what: str, staged: int, copied: int, budget: int) -> str:
    return (f"{what} takes {_mebibytes(staged + copied)} on disk, with the copy made for "
            f"grading; the disk budget per student is {_mebibytes(budget)}")


def _size_problem(module: Path) -> str:
    """Why the module cannot be copied for grading, or "": over the copy's file limit (the
    copy would leave it out, and the student would see only a missing file)."""
    try:
        size = module.stat().st_size
    except OSError as exc:
        return f"cannot read {module.name} ({exc.strerror})"
    too_large = size > notebooks.file_limit(module.name)
    return _too_large(module.name, size, module.name) if too_large else ""


def _admit(module: Path, staged: int, budget: int, what: str) -> str:
    """Why the module found cannot be graded within the limits on disk, or "": a module over
    the copy's file limit, or ``staged`` bytes plus the copy for grading over ``budget``."""
    problem = _size_problem(module)
    if problem:
        return problem
    copied = copy_size(module)
    if staged + copied > budget:
        return _over_budget(what, staged, copied, budget)
    return ""


def _admitted(module: Path | None, problem: str, budget: int, what: str
              ) -> tuple[Path | None, str]:
    """A module found outside zips (nothing staged), or None and why it cannot be graded."""
    if module is not None:
        problem = _admit(module, 0, budget, what)
    return (module, "") if module is not None and not problem else (None, problem)


def _look_into(archive: Path, limits: ArchiveLimits, module_file: str
               ) -> tuple[tuple[str, ...] | None, int, str]:
    """Where a zip holds the module, from its directory alone (nothing is unpacked): (its
    path components, the size it declares, ""), (None, 0, why the zip is refused or
    ambiguous), or (None, 0, "") when it holds no module file. The module is found as
    :func:`_in_tree` finds it in a folder."""
    if not _regular(archive):
        return None, 0, (f"{archive.name} is a symbolic link or special file; submit the zip "
                         "itself")
    try:
        files = list_files(archive, limits)
    except ArchiveError as exc:
        return None, 0, str(exc)
    for name in (module_file, notebooks.name_for(module_file)):  # (a module wins)
        nested: list[tuple[str, ...]] = sorted(parts for parts in files
                                               if len(parts) == 2 and parts[1] == name)
        if (name,) in files:
            nested = [(name,)]
        if len(nested) > 1:
            return None, 0, _several(name, ("/".join(p) for p in nested),
                                     f" in {archive.name}")
        if nested:
            return nested[0], files[nested[0]], ""
    return None, 0, ""


def _unpack(archive: Path, parts: tuple[str, ...], size: int, staging: Staging
            ) -> tuple[Path | None, str]:
    """Unpack the module at ``parts`` in ``archive`` (declaring ``size`` bytes), with the
    folder it is in: (module, "") or (None, why not), leaving nothing staged then."""
    if size > notebooks.file_limit(parts[-1]):
        return None, _too_large(f"{'/'.join(parts)} in {archive.name}", size, parts[-1])
    dest = staging.new_folder()
    try:
        staged = extract(archive, dest, staging.limits, under=parts[:-1],
                         budget=staging.budget)
        module = dest.joinpath(*parts)
        problem = "" if _regular(module) else f"no {parts[-1]} in {archive.name}"
        problem = problem or _admit(module, staged, staging.budget, archive.name)
    except ArchiveError as exc:
        problem = str(exc)
    if problem:
        shutil.rmtree(dest, ignore_errors=True)
        return None, problem
    return _absolute(module), ""


def _from_zips(zips: list[Path], staging: Staging | None, module_file: str,
               where: str) -> tuple[Path | None, str, Path | None]:
    """The module from a student's zips: (module, problem, the zip it came from).

    Zips are looked into by their directories first, and only the one holding the module is
    unpacked, and of it only the module's folder: the others are never unpacked. A refused
    zip is the submission's problem even when another zip holds the module: the student
    should know that part of what they handed in was not looked at.
    """
    staging = staging or Staging()
    found: list[tuple[Path, tuple[str, ...], int]] = []
    refused: list[str] = []
    for archive in zips:
        parts, size, problem = _look_into(archive, staging.limits, module_file)
        if parts is not None:
            found.append((archive, parts, size))
        elif problem:
            refused.append(problem)
    only = _absolute(zips[0]) if len(zips) == 1 else None
    if len(found) > 1:
        return None, _several(module_file, (a.name for a, _, _ in found), where), None
    if refused:
        return None, refused[0], only
    if found:
        archive, parts, size = found[0]
        module, problem = _unpack(archive, parts, size, staging)
        return module, problem, _absolute(archive)
    return None, f"no {module_file} in {', '.join(z.name for z in zips)}", only


def _find_module(folder: Path, module_file: str, staging: Staging | None = None
                 ) -> tuple[Path | None, str, Path | None]:
    """(module, problem, source zip) of a submission folder."""
    if folder.is_symlink():
        return None, f"{folder.name}/ is a symbolic link; submit a real folder", None
    module, problem = _in_tree(folder, module_file, "")
    if module is not None or problem:
        budget = staging.budget if staging is not None else DISK_BUDGET
        return (*_admitted(module, problem, budget, f"{folder.name}/"), None)
    try:
        zips = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip")
    except OSError as exc:
        return None, f"cannot read {folder.name}/ ({exc.strerror})", None
    if zips:
        return _from_zips(zips, staging, module_file, f" in {folder.name}/")
    return None, f"no {module_file} in {folder.name}/", None


def one_submission(path: Path, module_file: str, staging: Staging | None = None) -> Submission:
    """A single submission given as its folder, the module file itself, or a zip.

    Zips are unpacked into ``staging`` (by default a private folder removed at exit).
    """
    if not path.exists():
        raise UsageError(f"submission not found: {path}")
    if path.is_file() and path.suffix.lower() == ".zip":
        named = lms.parse(path.name, module_file)  # a zip is always somebody's
        sid = named.student if named is not None else path.stem
        module, problem, _ = _from_zips([path], staging, module_file, "")
        return Submission(sid, _absolute(path).parent, module, problem, _absolute(path))
    if path.is_file():
        if path.suffix not in (".py", ".ipynb"):
            raise UsageError(f"{path}: expected a Python file, a notebook, a zip or a folder")
        folder = _absolute(path).parent
        own = path.name in (module_file, notebooks.name_for(module_file))
        name = path.stem if not own else folder.name or path.stem
        if path.is_symlink():
            return Submission(name, folder, None,
                              f"{path.name} is a symbolic link; submit the file itself")
        budget = staging.budget if staging is not None else DISK_BUDGET
        return Submission(name, folder, *_admitted(_absolute(path), "", budget,
                                                   f"{folder.name or folder}/"))
    module, problem, source = _find_module(path, module_file, staging)
    return Submission(_absolute(path).name, _absolute(path), module, problem, source)


def discover(path: Path, module_file: str, staging: Staging | None = None) -> list[Submission]:
    """Every submission under ``path``, sorted by id.

    Zips and LMS-named files are unpacked or copied into ``staging``; pass one (and close
    it after grading) to remove them as soon as the run is over.
    """
    if not path.exists():
        raise UsageError(f"submissions not found: {path}")
    if path.is_file() or (path / module_file).is_file() \
            or (path / notebooks.name_for(module_file)).is_file():
        return [one_submission(path, module_file, staging)]
    try:
        entries = sorted(p for p in path.iterdir() if not p.name.startswith((".", "_")))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    sources: dict[tuple[str, str], list[tuple[Path, lms.Named | None]]] = defaultdict(list)
    files = []
    for entry in entries:
        if not entry.is_dir():
            files.append(entry)
        elif not lms.other_moodle_plugin(entry.name):
            student, user = lms.folder_student(entry.name)
            sources[student, user].append((entry, None))
    names = lms.read_folder((entry.name for entry in files), module_file)  # one LMS's download
    for entry in files:
        named = names.get(entry.name)
        if named is not None:
            sources[named.student, named.user].append((entry, named))
    if not sources:
        raise UsageError(f"{path}: no {module_file} and no submission folders or files inside")
    ids = _ids(sources)
    found = sorted((_submission(ids[key], group, module_file, staging)
                    for key, group in sources.items()), key=lambda s: s.id)
    return _distinct_ids(found)


def _distinct_ids(found: list[Submission]) -> list[Submission]:
    """Results are kept by id: two submissions that ended up with one id (a folder named like
    another student's LMS id) get ``#2``, ``#3``, ... (never an id another one has)."""
    taken, seen, out = {sub.id for sub in found}, set(), []
    for sub in found:
        sid, n = sub.id, 1
        while sid in seen or (sid != sub.id and sid in taken):
            n, sid = n + 1, f"{sub.id}#{n + 1}"
        seen.add(sid)
        out.append(sub if sid == sub.id else replace(sub, id=sid))
    return out


def _ids(sources: dict[tuple[str, str], list[tuple[Path, lms.Named | None]]]
         ) -> dict[tuple[str, str], str]:
    """Submission ids: the student part of the names, with the LMS user id appended where two
    students share a name (two John Smiths)."""
    users: dict[str, set[str]] = defaultdict(set)
    for student, user in sources:
        users[student].add(user)
    return {(student, user): f"{student}_{user}" if len(users[student]) > 1 and user
            else student for student, user in sources}


def _submission(sid: str, group: list[tuple[Path, lms.Named | None]], module_file: str,
                staging: Staging | None) -> Submission:
    folders = [p for p, named in group if named is None]
    if folders and len(group) > 1:
        listed = ", ".join(p.name + ("/" if named is None else "") for p, named in group)
        return Submission(sid, _absolute(group[0][0]), None,
                          f"found more than one submission for {sid} ({listed}); keep one")
    if folders:
        folder = _absolute(folders[0])
        module, problem, source = _find_module(folder, module_file, staging)
        return Submission(sid, folder, module, problem, source)
    return _from_files(sid, [(p, n) for p, n in group if n is not None], module_file, staging)


def _plain_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _latest(files: list[tuple[Path, lms.Named]]) -> list[tuple[Path, lms.Named]]:
    """A student's files of the latest attempt, and of each name the last uploaded (Canvas's
    attachment id, then the ``-N`` suffix: :attr:`lms.Named.order`). Two files left with one
    name and nothing to tell them apart are both kept."""
    attempt = max(named.attempt for _, named in files)
    files = [(p, n) for p, n in files if n.attempt == attempt and _plain_name(n.original)]
    newest: dict[str, tuple[int, int]] = {}
    for _, named in files:
        newest[named.original] = max(newest.get(named.original, (0, 0)), named.order)
    return [(p, n) for p, n in files if n.order == newest[n.original]]


def _from_files(sid: str, files: list[tuple[Path, lms.Named]], module_file: str,
                staging: Staging | None) -> Submission:
    """The submission made of one student's files in a flat (LMS download) folder: they are
    copied under their original names into a staging folder, the module among them."""
    class_folder = _absolute(files[0][0]).parent
    ambiguous = sorted(named.ambiguous for _, named in files if named.ambiguous)
    if ambiguous:  # the student's own upload name: refused, never guessed
        return Submission(sid, class_folder, None, ambiguous[0])
    if len({named.style for _, named in files}) > 1:  # no order between an LMS's and others
        listed = ", ".join(sorted(p.name for p, _ in files))
        return Submission(sid, class_folder, None,
                          f"found {sid}'s files named in more than one way ({listed}); keep one")
    latest = _latest(files)
    wanted = module_file
    modules = [p for p, named in latest if named.original == wanted]
    if not modules:  # (a notebook, where there is no module)
        wanted = notebooks.name_for(module_file)
        modules = [p for p, named in latest if named.original == wanted]
    zips = [p for p, named in latest if named.original.lower().endswith(".zip")]
    if len(modules) > 1:
        return Submission(sid, class_folder, None, _several(wanted, (p.name for p in modules)))
    if not modules and zips:
        module, problem, source = _from_zips(zips, staging, module_file, f" for {sid}")
        return Submission(sid, class_folder, module, problem, source)
    if not modules:
        seen = ", ".join(sorted({n.original for _, n in files if n.original})) or "nothing"
        return Submission(sid, class_folder, None,
                          f"no {module_file} among {sid}'s files (found: {seen})")
    module = modules[0]
    if not _regular(module):
        return Submission(sid, class_folder, None,
                          f"{module.name} is a symbolic link; submit the file itself")
    staging = staging or Staging()
    problem = _size_problem(module)
    if problem:
        return Submission(sid, class_folder, None, problem)
    stage = staging.new_folder()
    problem = _stage_files(module, latest, zips, stage, staging.budget)
    if problem:
        shutil.rmtree(stage, ignore_errors=True)
        return Submission(sid, class_folder, None, problem)
    return Submission(sid, class_folder, stage / wanted, "", _absolute(module))


def _stage_files(module: Path, latest: list[tuple[Path, lms.Named]], zips: list[Path],
                 stage: Path, budget: int) -> str:
    """Copy a student's files into ``stage`` under their original names, within ``budget``
    (each file counted once staged and again where grading will copy it, in the order the
    copy takes them: the module first, then by name); "" or why the module could not be.

    Zips are left out (they are opened only when no module is found outside them), and so
    are links, and files beyond the budget, as the copy for grading leaves them out."""
    copy_left = COPY_BUDGET
    ordered = sorted(latest, key=lambda f: (f[0] != module, f[1].original))
    for source, named in ordered:
        if source in zips or not _regular(source):
            continue
        try:
            size = source.stat().st_size
            copied = copy_cost(size, copy_left)
            if size + copied > budget:
                if source == module:
                    return _over_budget(module.name, size, copied, budget)
                continue
            shutil.copyfile(source, stage / named.original, follow_symlinks=False)
        except OSError as exc:
            if source == module:
                return f"cannot read {source.name} ({exc.strerror})"
            continue
        budget -= size + copied
        copy_left -= copied
    return ""

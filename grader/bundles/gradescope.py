"""``grader gradescope-bundle``: the autograder zip that Gradescope runs for every submission.

Follows https://gradescope-autograders.readthedocs.io/en/latest/specs/: Gradescope unpacks
the zip into ``/autograder/source``, runs ``setup.sh`` there once (as root) when it builds
the image, and for every submission puts the student's files in ``/autograder/submission``
and runs ``run_autograder`` (copied to ``/autograder``), which must write
``/autograder/results/results.json``. The zip holds::

    setup.sh          installs python3 and pip if missing, then the grader from grader-src/
                      and the packages the assignment lets students import
    run_autograder    finds the student's module file and runs ``grader grade ... --format
                      gradescope``; GRADER_AUTOGRADER_ROOT replaces /autograder (for tests)
    assignment/       the whole assignment, references and the secret key (``hidden.key``,
                      mode 0600) included: the autograder draws the hidden cases
    grader-src/       this grader's source (pyproject.toml, README.md, grader/)

The assignment is copied file for file, so the reports that Gradescope produces carry the
same assignment digest as the instructor's own runs.
"""

from __future__ import annotations

import io
import os
import shlex
import tempfile
import zipfile
from pathlib import Path

import grader
from grader.bundles._files import regular_files
from grader.errors import UsageError
from grader.spec import Assignment
from grader.spec.key import KEY_FILE, missing_key

_LINKS = "the autograder zip holds regular files only"  # why a link is refused
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same inputs give the same zip

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image: python3 and pip
# from apt if they are missing, then the grader from the copy of its source in this zip.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-pip
fi
# Newer Ubuntu images mark the system Python as externally managed (PEP 668); the image
# exists only to grade, so install into it anyway when plain pip refuses.
python3 -m pip install "$SOURCE/grader-src"{packages} \\
    || python3 -m pip install --break-system-packages "$SOURCE/grader-src"{packages}
grader --version
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission, from /autograder. It grades the student's
# {module} with every case and writes Gradescope's results.json.
# GRADER_AUTOGRADER_ROOT replaces /autograder, to try the autograder out locally.
set -uo pipefail
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
MODULE={module_q}
NOTEBOOK={notebook_q}
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
# The references, the specs, the key and the results are the grader's alone (it runs as
# root; student processes get a uid of their own, or Landlock, or both: the README's
# security table). Only the public builders stay readable.
chmod -R go-rwx "$ROOT/source" 2>/dev/null
chmod go+x "$ROOT/source" "$ROOT/source/assignment"
PUBLIC="$ROOT/source/assignment/"{public_q}
[ -d "$PUBLIC" ] && chmod -R go+rX "$PUBLIC" && chmod go+x "$(dirname "$PUBLIC")"
chmod 755 "$ROOT/results"
fail() {{
    python3 - "$RESULTS" "$1" <<'EOF'
import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump({{"score": 0, "output": sys.argv[2]}}, f)
EOF
    exit 0
}}
# The student's file: the one nearest the top of the submission (it may sit in a folder),
# the first by name among those as near; the module, else the notebook of its name. Names
# are read whole (NUL-separated): a folder name may hold a newline, and must not choose
# another file.
FOUND=""
nearest() {{
    local path inner slashes depth=0
    while IFS= read -r -d '' path; do
        inner="${{path#"$ROOT/submission/"}}"
        slashes="${{inner//[!\\/]/}}"
        if [ -z "$FOUND" ] || [ "${{#slashes}}" -lt "$depth" ] \\
                || {{ [ "${{#slashes}}" -eq "$depth" ] && [[ "$path" < "$FOUND" ]]; }}; then
            FOUND="$path"
            depth="${{#slashes}}"
        fi
    done < <(find "$ROOT/submission" -type f -name "$1" -not -path '*/__MACOSX/*' \\
             -print0 2>/dev/null)
}}
nearest "$MODULE"
if [ -z "$FOUND" ]; then
    nearest "$NOTEBOOK"
fi
if [ -z "$FOUND" ]; then
    fail "No $MODULE in your submission: upload your file named $MODULE (or $NOTEBOOK)."
fi
# --sandbox {sandbox}: {sandbox_why}
ERRORS="$(mktemp)"
grader grade "$ROOT/source/assignment" "$FOUND" --format gradescope -o "$RESULTS" \\
    --jobs 1 --sandbox {sandbox} {report_flags} 2>"$ERRORS"
CODE=$?
cat "$ERRORS" >&2
WHY="$(grep -m1 '^grader: error' "$ERRORS" || tail -n 1 "$ERRORS")"
rm -f "$ERRORS"
if [ "$CODE" -ne 0 ] && [ "$CODE" -ne 1 ]; then
    fail "The autograder could not grade this submission, through no fault of yours; \\
please tell your instructor. Details: $WHY"
fi
exit "$CODE"
"""

# Why run_autograder grades with the --sandbox it does (a comment in the script).
SANDBOX_WHY = {
    "confined": "only with full or confined isolation; below that, no student code\n"
                "# runs and results.json says why (gradescope-bundle --allow-limits-only).",
    "auto": "the bundle was made with --allow-limits-only: where the container allows\n"
            "# neither full nor confined isolation, student code runs with resource limits\n"
            "# only, and can read the references and the key.",
}


def write_gradescope_zip(assignment: Assignment, out: Path,
                         hidden_visibility: str = "after_published",
                         hidden_detail: str = "counts", allow_limits_only: bool = False
                         ) -> None:
    """Write Gradescope's autograder zip for ``assignment`` to the new file ``out``; its
    ``run_autograder`` passes ``--hidden-visibility`` and ``--hidden-detail`` on, and grades
    with ``--sandbox confined`` (``auto`` with ``allow_limits_only``)."""
    if out.exists() or out.is_symlink():
        raise UsageError(f"{out} already exists; give the name of a new file")
    parent = out.absolute().parent
    if not parent.is_dir():
        raise UsageError(f"{parent}: no such folder")
    for folder in (assignment.reference_dir, assignment.public_dir, assignment.wrong_dir):
        if folder.exists() and not folder.is_relative_to(assignment.root):
            raise UsageError(f"{folder} is outside the assignment folder {assignment.root}; "
                             "the autograder zip ships that folder only")
    if assignment.needs_key and assignment.key is None:
        raise missing_key(assignment.root)  # the autograder draws the hidden cases from it
    source = grader_source()
    module = assignment.module_file
    flags = shlex.join(["--hidden-visibility", hidden_visibility,
                        "--hidden-detail", hidden_detail])
    sandbox = "auto" if allow_limits_only else "confined"
    public = assignment.public_dir.relative_to(assignment.root).as_posix()
    run = RUN_AUTOGRADER.format(module=module, module_q=shlex.quote(module),
                                notebook_q=shlex.quote(assignment.notebook_file),
                                report_flags=flags,
                                sandbox=sandbox, sandbox_why=SANDBOX_WHY[sandbox],
                                public_q=shlex.quote(public))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # (and the packages students may import: assignment.yaml's packages)
        installs = "".join(f" {shlex.quote(p.install)}" for p in assignment.packages)
        _add(archive, "setup.sh", SETUP_SH.replace("{packages}", installs).encode(), 0o755)
        _add(archive, "run_autograder", run.encode(), 0o755)
        for path, name in regular_files(assignment.root, _LINKS):
            # The key stays readable by its owner only, as `grader validate` wrote it.
            _add(archive, f"assignment/{name}", path.read_bytes(),
                 0o600 if name == KEY_FILE else 0o644)
        for path, name in source:
            _add(archive, f"grader-src/{name}", path.read_bytes())
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buffer.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def grader_source() -> list[tuple[Path, str]]:
    """The files ``pip install`` needs to install this grader: pyproject.toml, README.md and
    the package, as (path, name in the source tree)."""
    package = Path(grader.__file__).resolve().parent
    project = package.parent
    needed = [project / "pyproject.toml", project / "README.md"]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise UsageError(f"the grader's source tree is not here ({', '.join(missing)} missing "
                         f"next to {package}); install the grader from its source with "
                         "'pip install -e .' to build autograder zips")
    files = [(p, p.name) for p in needed]
    files += [(path, f"grader/{name}")
              for path, name in regular_files(package, _LINKS)]
    return files


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.external_attr = ((0o100000 | mode) & 0xFFFF) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)

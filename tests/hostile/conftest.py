"""The hostile suite's lab: copies of the assignment and the corpus, graded in a controlled
environment (see _lab.py), and the isolation level this machine offers."""

from __future__ import annotations

import secrets
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._lab import Lab, correct_source, force_remove, lab_environment, new_lab


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("hostile")
    # The grader's grader-run-* folders go to a folder of our own under /tmp (still under
    # /tmp, as in production), so that leftovers are ours to see and nobody else's.
    tmpdir = Path(tempfile.mkdtemp(prefix="grader-hostile-lab-", dir="/tmp"))
    tmpdir.chmod(0o711)  # as /tmp is to other users (a student uid of the confined level)
    secret = f"hostile-secret-{secrets.token_hex(8)}"
    # A server on this machine that a submission with network access could reach.
    server = socket.create_server(("127.0.0.1", 0))
    try:
        with lab_environment(tmpdir, secret):
            lab = new_lab(root, tmpdir, secret, server.getsockname()[1])
            # A first, correct run tells which isolation this machine gives and how long a
            # normal submission takes; it also fills the grader's cache of expected outputs.
            graded = lab.grade(lab.write(root / "probe" / "correct", correct_source()))
            assert graded.score == graded.max_score, graded
            lab.level = graded.level
            lab.separate_uid = graded.separate_uid
            lab.why = " ".join(graded.warnings) or f"isolation level {graded.level!r}"
            lab.baseline = graded.seconds
            yield lab
    finally:
        server.close()
        force_remove(tmpdir)

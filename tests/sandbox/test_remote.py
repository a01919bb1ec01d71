"""A scenario's side of the protocol (grader.sandbox.remote) against replies a student's
process could forge: every field is checked before it is used, and a reply decodes to no
more than it carries."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.sandbox import wire
from grader.sandbox.remote import Remote, RemoteFailed, Session, fetch
from grader.sandbox.replies import reply_outcome
from grader.sandbox.schedule import CallPlan


class Forger:
    """A channel whose every reply is the one given."""

    def __init__(self, header: dict[str, Any], blobs: list[bytes] | None = None) -> None:
        self.header, self.blobs, self.sent = header, blobs or [], []

    def send(self, data: bytes, frames: int, deadline: float) -> int:
        self.sent.append(data)
        return len(self.sent)

    def reply(self, deadline: float, request: int, case: int | None = None
              ) -> tuple[dict[str, Any], list[bytes]]:
        return self.header, self.blobs


def session(header: dict[str, Any], blobs: list[bytes] | None = None) -> Session:
    return Session(Forger(header, blobs), 1.0, 1 << 20, Path("."))  # type: ignore[arg-type]


def test_a_claimed_arity_is_checked_against_what_the_reply_holds() -> None:
    s = session({"status": "ok", "arity": 3 * 10**8,
                 "outputs": [{"index": 0, "tree": {"t": "z"}}]})
    start = time.monotonic()
    with pytest.raises(RemoteFailed, match="malformed reply"):
        s.outputs(Remote(s, {"h": 0}, "c()"))
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("second", [{"index": 1, "b": 0},
                                    {"index": 1, "tree": {"t": "a", "b": 0}}])
def test_a_blob_serves_one_output_only(second: dict[str, Any]) -> None:
    blob = wire.encode_array(np.zeros(1000))
    s = session({"status": "ok", "outputs": [{"index": 0, "b": 0}, second]}, [blob])
    with pytest.raises(RemoteFailed, match="malformed"):
        s.fetch([Remote(s, {"h": 0}, "a"), Remote(s, {"h": 1}, "b")])
    plan = CallPlan("f", (), 1.0, 2, None)
    outcome = reply_outcome({"status": "ok", "outputs": [{"index": 0, "b": 0}, second]},
                            [blob], plan, 1 << 20, 0.0)
    assert outcome.status.value == "bad_output"


def test_fetch_brings_only_handles_and_leaves_plain_values_alone() -> None:
    leaf = np.ones(2)
    got = fetch({"a": [leaf, (1.0, None)]})  # as a scenario run on the reference sees it
    assert got["a"][0] is leaf and got["a"][1] == (1.0, None)
    blob = wire.encode_array(np.arange(3.0))
    s = session({"status": "ok", "outputs": [{"index": 0, "b": 0}]}, [blob])
    mixed = fetch([Remote(s, {"h": 0}, "w"), 2.0])
    assert np.array_equal(mixed[0], np.arange(3.0)) and mixed[1] == 2.0
    assert len(s.channel.sent) == 1  # one request, for the one handle


def test_a_handle_is_not_a_value() -> None:
    s = session({"status": "ok"})
    handle = Remote(s, {"n": "f"}, "f")
    for use in (bool, lambda h: h == 1, np.asarray, lambda h: h.__dict__):
        with pytest.raises((TypeError, AttributeError)):
            use(handle)

"""A student process's replies, read into :class:`~grader.outcomes.CallOutcome` values.

Every field is checked, never trusted: the reply comes from the student's process. Arrays
and structured values are decoded within the size caps (:mod:`grader.sandbox.wire`); text
is cleaned (:func:`grader.outcomes.clean_text`).
"""

from __future__ import annotations

from typing import Any

from grader.outcomes import CallOutcome, Status, clean_text
from grader.sandbox import wire
from grader.sandbox.schedule import CallPlan


def error_fields(error: Any) -> dict[str, Any]:
    if not isinstance(error, dict):
        return {"message": "failed (no details)", "file": None, "line": None}
    line = error.get("line")
    message = clean_text(error.get("message", "failed"))
    file = clean_text(error["file"], 120) if isinstance(error.get("file"), str) else None
    return {"message": message, "file": file,
            "line": line if isinstance(line, int) and not isinstance(line, bool) else None}


def reply_outcome(reply: dict[str, Any], blobs: list[bytes], plan: CallPlan,
                   max_bytes: int, measured: float) -> CallOutcome:
    """The outcome of one call from the student process's reply (checked, never trusted).

    Replies arrive in batches, so the time the call took is the one the process reports,
    kept within [0, the part's timeout]; the time between replies stands in without it.
    """
    status = reply.get("status")
    seconds = within(reply.get("seconds"), plan.timeout)
    if seconds is None:
        seconds = min(measured, plan.timeout)
    notes = reply.get("warnings")
    warns: list[str] = []
    first_warning: dict[str, Any] = {"file": None, "line": None}
    if isinstance(notes, list):
        for note in notes[:5]:
            if isinstance(note, dict):
                where = error_fields(note)
                text = where["message"]
                if where["line"]:
                    text += f" ({where['file']}, line {where['line']})"
                    if first_warning["line"] is None:
                        first_warning = where
                warns.append(text)
    failed = failure(reply, tuple(warns), seconds)
    if failed is not None:
        return failed
    wanted = list(plan.select) if plan.select is not None else list(range(plan.arity or 1))
    described = reply.get("outputs")
    if status != "ok" or not isinstance(described, list) \
            or [d.get("index") if isinstance(d, dict) else None for d in described] != wanted:
        return CallOutcome(Status.BAD_OUTPUT, "malformed reply from the student process",
                           seconds=seconds)
    try:
        outputs = dict(zip(wanted, decode_outputs(described, blobs, max_bytes), strict=True))
    except wire.WireError as exc:
        return CallOutcome(Status.BAD_OUTPUT, str(exc), seconds=seconds)
    # A warning's place in the student's code is where a warnings-fail verdict points.
    return CallOutcome(Status.OK, file=first_warning["file"], line=first_warning["line"],
                       outputs=outputs, warnings=tuple(warns),
                       seconds=seconds, steps=_step_seconds(reply.get("steps"), plan))


def failure(reply: dict[str, Any], warnings: tuple[str, ...] = (), seconds: float = 0.0
            ) -> CallOutcome | None:
    """The outcome of a reply that says the call failed (it raised, or gave what cannot be
    sent back); None for any other reply."""
    if reply.get("status") == "error":
        error = error_fields(reply.get("error"))
        return CallOutcome(Status.ERROR, error["message"], error["file"], error["line"],
                           warnings=warnings, seconds=seconds)
    if reply.get("status") == "bad_output":
        return CallOutcome(Status.BAD_OUTPUT, clean_text(reply.get("message", "bad output")),
                           warnings=warnings, seconds=seconds)
    return None


def within(seconds: Any, limit: float) -> float | None:
    """A time the process reported, if it is a number in [0, limit]; None otherwise."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) \
            or not 0 <= seconds <= limit:
        return None
    return float(seconds)


def _step_seconds(reported: Any, plan: CallPlan) -> tuple[float, ...]:
    """Each step's time, as a call sequence's process reports it (within the timeout)."""
    count = len(plan.program["steps"]) if plan.program is not None else 0
    if not isinstance(reported, list) or len(reported) != count:
        return ()
    times = [within(t, plan.timeout) for t in reported]
    return () if None in times else tuple(t for t in times if t is not None)


def decode_outputs(described: list[dict[str, Any]], blobs: list[bytes], max_bytes: int
                   ) -> list[Any]:
    """The outputs a reply describes, each blob serving one of them only; WireError (in
    words for a student) if one cannot be read."""
    used: set[int] = set()
    try:
        return [decode_output(d, blobs, max_bytes, used) for d in described]
    except wire.WireError:
        raise
    except Exception as exc:  # a decoding case wire.py missed: still the student's fault
        raise wire.WireError(f"malformed array data ({type(exc).__name__})") from None


def decode_output(described: dict[str, Any], blobs: list[bytes], max_bytes: int,
                  used: set[int]) -> Any:
    """One output of a reply: an array (``"b"``: its blob), or a structured value
    (``"tree"``, :func:`grader.sandbox.wire.decode_tree`). Each blob serves one output (or
    one array of a tree) only: ``used`` holds those the reply's other outputs took, so that
    a reply decodes to no more than it carries."""
    if "tree" in described:
        return wire.decode_tree(described["tree"], blobs, max_bytes, used)
    index = described.get("b")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(blobs) \
            or index in used:
        raise wire.WireError("malformed reply from the student process")
    used.add(index)
    return wire.decode_array(blobs[index], max_bytes)

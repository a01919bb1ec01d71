"""Scenarios: instructor code in the grader's process that drives a student's functions and
objects in the student's process, through remote handles.

A part with ``scenario: module:function`` (``problems/README.md``, "Scenarios") runs that
function twice per case: with the reference module, for the expected outputs, and here, with
a :class:`Student` whose names are :class:`Remote` handles. Calling a handle is one request
to the student's process (:mod:`grader.sandbox.child.held`); what the call returns stays
there, and the caller gets a new handle for it. Attributes, keys and indices of a handle
are paths, sent with the next request. :func:`fetch` brings a value back, checked as a
call's outputs are. Whatever the scenario returns is fetched once it has finished, and only
then compared: no request tells the student's process how judging went.

Assigning to an attribute, key or item of a handle (``model.params = params``,
``model.params["W1"] = w``) is a request too. A request that fails (the student's call
raised, or a path led nowhere) ends the scenario with that outcome (:class:`RemoteFailed`),
which names the call ("call 3 (clf.train)").
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader import values
from grader.cases.build import Case
from grader.cases.generators import copy_value
from grader.outcomes import CallOutcome, Status, clean_text
from grader.sandbox import wire
from grader.sandbox.process import StudentProcess
from grader.sandbox.replies import decode_outputs, failure, within
from grader.sandbox.schedule import encode_value

MAX_NAME = 80  # characters of a handle's name kept for messages


class RemoteFailed(Exception):
    """A request of the scenario failed; ``outcome`` is the case's result."""

    def __init__(self, outcome: CallOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class Remote:
    """A value in the student's process. Call it (a request), or take an attribute, key or
    index of it (no request: a longer path); :func:`fetch` brings its value here."""

    __slots__ = ("_name", "_session", "_target")

    def __init__(self, session: Session, target: dict[str, Any], name: str) -> None:
        self._session = session
        self._target = target
        self._name = name if len(name) <= MAX_NAME else name[: MAX_NAME - 3] + "..."

    def _at(self, part: str, name: str) -> Remote:
        return Remote(self._session, {**self._target, "p": [*self._target.get("p", ()), part]},
                      name)

    def __getattr__(self, attr: str) -> Remote:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._at(attr, f"{self._name}.{attr}")

    def __getitem__(self, key: int | str) -> Remote:
        if isinstance(key, bool) or not isinstance(key, (int, str)) or \
                (isinstance(key, int) and key < 0):
            raise TypeError("index a remote value with a non-negative int or a str key")
        return self._at(str(key), f"{self._name}[{key!r}]")

    def __call__(self, *args: Any, **kwargs: Any) -> Remote:
        return self._session.invoke(self, args, kwargs)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr in Remote.__slots__:
            object.__setattr__(self, attr, value)
        elif attr.startswith("__"):
            raise AttributeError(f"{attr} cannot be set on a remote value")
        else:  # model.params = params: a request
            self._session.assign(self._at(attr, f"{self._name}.{attr}"), value)

    def __setitem__(self, key: int | str, value: Any) -> None:
        self._session.assign(self[key], value)

    def __len__(self) -> int:
        return self._session.length(self)

    def __iter__(self) -> Any:
        return iter([self[i] for i in range(len(self))])

    def __bool__(self) -> bool:
        raise TypeError(f"{self._name} is in the student's process: fetch() it first")

    def __eq__(self, other: object) -> bool:
        raise TypeError(f"{self._name} is in the student's process: fetch() it first")

    __hash__ = object.__hash__

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self._name} is in the student's process: fetch() it first")

    def __repr__(self) -> str:
        return f"<remote {self._name}>"


class Student:
    """The student's module as a scenario sees it: each name a :class:`Remote`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__"):
            raise AttributeError(name)
        return Remote(self._session, {"n": name}, name)


def fetch(value: Any) -> Any:
    """``value`` with every :class:`Remote` in it replaced by its value, brought from the
    student's process (one request per handle); anything else is returned as it is, so that
    a scenario runs unchanged on the reference's own objects."""
    if isinstance(value, Remote):
        return value._session.fetch([value])[0]
    if isinstance(value, dict):
        return {k: fetch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [fetch(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


class Session:
    """One case of a scenario: the requests to one student process, within one deadline."""

    def __init__(self, channel: StudentProcess, timeout: float, max_bytes: int,
                 public_dir: Path) -> None:
        self.channel = channel
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.max_bytes = max_bytes
        self.public_dir = public_dir
        self.calls = 0
        self.last = ""  # the label of the last call, for messages
        self.seconds: list[float] = []  # each call's time, as the process reports it

    def request(self, header: dict[str, Any], blobs: list[bytes] | None = None
                ) -> tuple[dict[str, Any], list[bytes]]:
        """Send one request and read its reply; what it does is named in ``label`` (or
        ``op``), kept in :attr:`last` for a message if the process dies meanwhile."""
        self.last = str(header.get("label") or header["op"])
        number = self.channel.send(wire.encode_frame(header, blobs), 1, self.deadline)
        return self.channel.reply(self.deadline, number)

    def _encode(self, value: Any, blobs: list[bytes]) -> dict[str, Any]:
        def handle(item: Any) -> dict[str, Any] | None:
            if isinstance(item, Remote):
                if item._session is not self:
                    raise TypeError(f"{item._name} belongs to another case")
                return {"t": "h", "v": item._target}
            return None
        return encode_value(value, blobs, self.public_dir, handle)

    def invoke(self, remote: Remote, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Remote:
        self.calls += 1
        label = f"call {self.calls} ({remote._name})"
        blobs: list[bytes] = []
        header = {"op": "invoke", "target": remote._target, "label": label,
                  "args": [self._encode(a, blobs) for a in args],
                  "kwargs": {k: self._encode(v, blobs) for k, v in kwargs.items()}}
        reply, _ = self.request(header, blobs)
        seconds = within(reply.get("seconds"), self.timeout)
        if seconds is not None:
            self.seconds.append(seconds)
        handle = reply.get("handle")
        if reply.get("status") != "ok" or type(handle) is not int:
            raise RemoteFailed(self._failure(reply))
        name = f"{remote._name}()"
        return Remote(self, {"h": handle, "s": name[:MAX_NAME]}, name)

    def assign(self, remote: Remote, value: Any) -> None:
        """``remote = value`` in the student's process (an attribute, a key or an item)."""
        blobs: list[bytes] = []
        reply, _ = self.request({"op": "assign", "target": remote._target,
                                 "label": f"setting {remote._name}",
                                 "args": [self._encode(value, blobs)]}, blobs)
        if reply.get("status") != "ok":
            raise RemoteFailed(self._failure(reply))

    def length(self, remote: Remote) -> int:
        reply, _ = self.request({"op": "length", "target": remote._target,
                                 "label": f"len({remote._name})"})
        length = reply.get("length")
        if reply.get("status") != "ok":
            raise RemoteFailed(self._failure(reply))
        if type(length) is not int or not 0 <= length <= wire.MAX_TREE_NODES:
            raise RemoteFailed(CallOutcome(
                Status.BAD_OUTPUT, f"{remote._name}: not a sequence that can be unpacked"))
        return length

    def fetch(self, remotes: list[Remote], labels: list[str] | None = None,
              result: bool = False) -> list[Any]:
        """The values of ``remotes``, converted and checked as outputs are. ``result``: the
        one remote is what the scenario returned, so a tuple is several outputs (the list of
        them is returned)."""
        labels = labels or [r._name for r in remotes]
        reply, blobs = self.request({"op": "fetch", "targets": [r._target for r in remotes],
                                     "labels": labels, "result": result,
                                     "label": f"fetching {', '.join(labels)}"})
        described = reply.get("outputs")
        arity = reply.get("arity")
        count = len(remotes) if not result else arity if type(arity) is int else 1
        if reply.get("status") != "ok" or not isinstance(described, list) or \
                len(described) != count or \
                (result and arity is not None and type(arity) is not int) or \
                [d.get("index") if isinstance(d, dict) else None for d in described] != \
                list(range(count)):
            raise RemoteFailed(self._failure(reply))
        try:
            return decode_outputs(described, blobs, self.max_bytes)
        except wire.WireError as exc:
            raise RemoteFailed(CallOutcome(Status.BAD_OUTPUT, str(exc))) from None

    def _failure(self, reply: dict[str, Any]) -> CallOutcome:
        return failure(reply) or CallOutcome(Status.BAD_OUTPUT,
                                             "malformed reply from the student process")

    def outputs(self, result: Any) -> dict[int, Any]:
        """What the scenario returned, as outputs (a tuple is several), every handle in it
        fetched: the top-level ones in one request."""
        if isinstance(result, Remote):  # (its value may be a tuple: several outputs)
            fetched = self.fetch([result], ["returned value"], result=True)
            return {i: values.normalize(v, f"output {i}") for i, v in enumerate(fetched)}
        items = list(result) if isinstance(result, tuple) else [result]
        remote = [i for i, v in enumerate(items) if isinstance(v, Remote)]
        labels = [f"output {i}" if isinstance(result, tuple) else "returned value"
                  for i in remote]
        if remote:
            for i, value in zip(remote, self.fetch([items[i] for i in remote], labels),
                                strict=True):
                items[i] = value
        out = {}
        for i, value in enumerate(items):
            try:
                out[i] = values.normalize(fetch(value), f"output {i}")
            except TypeError as exc:
                raise RemoteFailed(CallOutcome(Status.BAD_OUTPUT, str(exc))) from None
        return out


def _where(scenario: Callable[..., Any], exc: BaseException) -> str:
    """``scenarios.py, line 12, `` where the scenario's own file raised, or ""."""
    file = getattr(getattr(scenario, "__code__", None), "co_filename", None)
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == file]
    return f"{Path(file).name}, line {lines[-1]}, " if file and lines else ""


def play(scenario: Callable[..., Any], session: Session, case: Case) -> CallOutcome:
    """Run ``scenario`` on the student's process for one case: its outcome. A timeout or a
    broken channel is raised (:class:`grader.sandbox.wire.WireError`), for the runner."""
    given = {name: copy_value(v) for name, v in case.named.items()}
    start = time.monotonic()
    try:
        outputs = session.outputs(scenario(Student(session), **given))
    except RemoteFailed as failed:
        outcome = failed.outcome
    except wire.WireError:
        raise
    except Exception as exc:  # the scenario choked on what the student's code gave it
        outcome = CallOutcome(Status.BAD_OUTPUT, clean_text(
            f"the scenario could not use what the code gave it: {type(exc).__name__}: {exc} "
            f"({_where(scenario, exc)}after {session.last or 'no call'})"))
    else:
        outcome = CallOutcome(Status.OK, outputs=outputs)
    seconds = sum(session.seconds) if session.seconds else time.monotonic() - start
    session.request({"op": "forget", "label": "dropping the case's objects"})
    return CallOutcome(outcome.status, outcome.message, outcome.file, outcome.line,
                       outcome.outputs, outcome.warnings, min(seconds, session.timeout),
                       tuple(session.seconds))

"""The student's side of a scenario: objects a trusted scenario drives from the grader's
process, kept here between its requests.

A scenario (``problems/README.md``, "Scenarios") is instructor code that runs in the
grader's process and calls the student's functions and methods through remote handles
(:mod:`grader.sandbox.remote`). Each call is one request to this process; what it returns
stays here, in :class:`Held`, under a handle number, until the scenario's case ends. Only
values the scenario fetches leave, converted as a call's outputs are
(:func:`grader.sandbox.child.plain.convert`).

Requests (besides the worker's own):

- ``invoke``: call a target (``{"h": handle}`` or ``{"n": module name}``, then ``"p"``, a
  path of keys, indices and attributes) with arguments; reply with the result's handle;
- ``assign``: put a value at a target's path (``model.params = ...``,
  ``model.params["W1"] = ...``);
- ``length``: the number of items of a target (to unpack it);
- ``fetch``: the values of several targets, as outputs;
- ``forget``: drop every handle (the case is over).

Standard library and numpy only, like the rest of :mod:`grader.sandbox.child`.
"""

from __future__ import annotations

import os
from typing import Any

from grader.sandbox.child import steps

OPS = ("invoke", "assign", "length", "fetch", "forget")


class Held:
    """The scenario's objects in this process, by handle number."""

    def __init__(self) -> None:
        self.objects: list[Any] = []

    def keep(self, value: Any) -> int:
        self.objects.append(value)
        return len(self.objects) - 1

    def forget(self) -> None:
        self.objects = []

    def target(self, enc: dict[str, Any], module: Any, parent: bool = False) -> Any:
        """What a target names: a handle's object or a module name, then its path (all but
        its last part, with ``parent``). Raises steps.PathError when it names nothing (or a
        handle this case never had). ``"s"`` is how the scenario wrote it, for messages."""
        where = str(enc.get("s", "the value"))
        if "h" in enc:
            number = enc["h"]
            if type(number) is not int or not 0 <= number < len(self.objects):
                raise steps.PathError(f"no object {number!r} in this case")
            value = self.objects[number]
        else:
            name = str(enc["n"])
            if not hasattr(module, name):
                file = os.path.basename(getattr(module, "__file__", None) or "the submission")
                raise steps.PathError(f"{file} does not define {name}")
            value, where = getattr(module, name), name
        path = [str(part) for part in enc.get("p", ())]
        for part in path[:-1] if parent else path:
            value = steps.step_into(value, part, where)
            where = f"{where}.{part}"
        return value

    def assign(self, enc: dict[str, Any], value: Any, module: Any) -> None:
        """Put ``value`` at the target's path: a dict key, a list item or an attribute."""
        path = [str(part) for part in enc.get("p", ())]
        if not path:
            raise steps.PathError("only an attribute, key or item can be assigned")
        holder, last = self.target(enc, module, parent=True), path[-1]
        if isinstance(holder, dict):
            holder[last] = value
        elif isinstance(holder, list) and last.isdigit():
            if int(last) >= len(holder):
                raise steps.PathError(f"no item {last} (it holds {len(holder)})")
            holder[int(last)] = value
        else:
            setattr(holder, last, value)

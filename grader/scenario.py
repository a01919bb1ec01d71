"""What a scenario in ``reference/`` may import (``problems/README.md``, "Scenarios").

:func:`fetch` brings a value from the student's process into the scenario, so that it can
compute with it; with the reference module in the student's place, it returns its argument
unchanged.
"""

from grader.sandbox.remote import Remote, fetch

__all__ = ["Remote", "fetch"]

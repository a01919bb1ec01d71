"""The ``grader`` command, and ``python -m grader``.

``check`` and ``grade`` need a warm worker process (:mod:`grader.sandbox.child.zygote`). It
is started first, so that its interpreter and numpy load while the command line's own
modules and the assignment do: about 0.1 s of every ``grader check``.
"""

import sys


def main() -> None:
    if sys.argv[1:2] in (["check"], ["grade"]):
        from grader.sandbox.zygotes import prestart

        prestart()
    from grader.cli import main as cli

    cli()


if __name__ == "__main__":
    main()

"""Judging: what the right answer is, and whether a student's answer is right.

- :mod:`~grader.judge.expected`: the instructor's references run on each case, in the
  grader's process;
- :mod:`~grader.judge.cache`: those expected outputs on disk, shared by every run;
- :mod:`~grader.judge.compare`: a student's outputs against the expected ones, a
  :class:`~grader.judge.compare.Verdict` with its explanation (entry point:
  :func:`~grader.judge.compare.judge`);
- :mod:`~grader.judge.properties`: named facts that must hold on an output;
- :mod:`~grader.judge.oracles`: independent checks of the references, for ``validate``.

Runs in the grader's process only, on plain values that came back through
:mod:`grader.sandbox.wire`. It never runs student code and never totals points (that is
:mod:`grader.scoring`).
"""

"""Whole-class runs: many submissions at once, kept safe on disk as they are graded.

- :mod:`~grader.batch.run`: the entry point, :func:`~grader.batch.run.grade_class`, with
  resume, and the per-student seeds of ``--vary-by-student``;
- :mod:`~grader.batch.jobs`: job processes forked from the prepared grader, one per slot;
- :mod:`~grader.batch.rundir`: the run folder, one line of JSON per graded submission;
- :mod:`~grader.batch.progress`: the progress line on stderr.

It schedules and records; it never judges or scores. A job that fails costs its own
submission, never the run.
"""

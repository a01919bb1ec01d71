"""The sandbox: everything that starts, isolates and talks to a student's process.

The grader's side (runs in the grader's process):

- :mod:`~grader.sandbox.policy`: which isolation level to ask for, the resource limits, and
  what a student's process may see;
- :mod:`~grader.sandbox.schedule`: what a submission's process is asked to run, in which
  order, as request frames;
- :mod:`~grader.sandbox.runner`: the entry point, :func:`~grader.sandbox.runner.run_submission`,
  which runs one submission's calls and turns every answer, timeout or crash into a
  :class:`~grader.outcomes.CallOutcome`;
- :mod:`~grader.sandbox.launch`: starting worker processes, a fresh interpreter each or forks
  of a warm zygote, one per job slot;
- :mod:`~grader.sandbox.scratch`: the submission's private copy, and removing what a student
  could write to.

:mod:`~grader.sandbox.wire` is the message format both sides speak: the only module of the
grader's side that the student's side imports.

:mod:`grader.sandbox.child` is the student's side: the zygote, the worker and the isolation
they set up on themselves. The grader's side must never import student code, never send a
student's process expected outputs, references or a hidden case before every public case
has been answered, and never unpickle or evaluate what comes back.
"""

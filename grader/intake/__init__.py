"""Intake: finding each student's submission on disk, in the layouts courses hand them in.

- :mod:`~grader.intake.submissions`: the entry points, :func:`~grader.intake.submissions.discover`
  (a class folder) and :func:`~grader.intake.submissions.one_submission`, which give
  :class:`~grader.intake.submissions.Submission` values;
- :mod:`~grader.intake.lms`: whose file is this, from the names Canvas, Moodle and Blackboard
  give downloads;
- :mod:`~grader.intake.archives`: unpacking a student's zip safely.

It only reads and copies files: it never imports or runs a submission. A problem with one
student's files is that student's result, never an exception that stops the run.
"""

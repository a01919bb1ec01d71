"""Bundles: an assignment packed for somewhere else.

- :mod:`~grader.bundles.export`: ``grader export``, the student bundle for ``grader check``
  at home;
- :mod:`~grader.bundles.gradescope`: ``grader gradescope-bundle``, Gradescope's autograder
  zip.

A student bundle must never hold reference code, the secret key, hidden cases or their
expected outputs. The Gradescope zip holds all of them: it is as secret as the assignment.
"""

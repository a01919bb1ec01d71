"""What a student runs where they work, beside ``grader check``: the pytest plugin that turns
a submission's parts into test items for an editor's test panel (``pytest_plugin``,
registered as a ``pytest11`` entry point and inert until configured).

It grades as ``grader check`` does, through :class:`grader.grading.Grader`: the submission
runs in its own isolated process, never in the pytest process that collects its items.
(Checking from Jupyter is :mod:`grader.notebook`, whose import path students type.)
"""

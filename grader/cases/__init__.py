"""Cases: the inputs every part is graded on, the same for every run with the same seed.

- :mod:`~grader.cases.generators`: the declarative values of a case group (``args``,
  ``let``), each an immutable generator with ``draw(rng, env)``, and its parser (``_PARSERS``);
- :mod:`~grader.cases.shapes`: the dimension expressions in their shapes (``D+1``);
- :mod:`~grader.cases.stored`: case groups read from ``.npz`` files, and ``write_cases``;
- :mod:`~grader.cases.build`: the entry point, :func:`~grader.cases.build.build_part_cases`,
  which draws case ``i`` of a part from its own generator seeded by (seed, problem, part,
  ``i``).

Runs in the grader's process only. Nothing here draws a random number outside the
``numpy.random.Generator`` it is handed, and nothing here runs student code.
"""

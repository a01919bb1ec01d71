"""Similarity signals between submissions: evidence for a person to look at, never a verdict.

- :mod:`~grader.similarity.code`: each submission's code as winnowed fingerprints of its
  normalized tokens (kept in its result), and the pairs that share the most, ranked.
- :mod:`~grader.similarity.outputs`: students who gave identical wrong answers on hidden
  cases, by the digests of those answers.
"""

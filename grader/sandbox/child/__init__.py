"""The student's side of the process boundary: code that runs outside the grader's process.

- :mod:`~grader.sandbox.child.zygote`: a warm fork server (``python -I -m
  grader.sandbox.child.zygote``), one per job slot; it never receives case inputs, expected
  outputs or references;
- :mod:`~grader.sandbox.child.worker`: the entry point of a student's process (``python -I
  -m grader.sandbox.child.worker``, or a fork of the zygote): it isolates itself, imports
  the submission and answers requests;
- :mod:`~grader.sandbox.child.container`: full isolation: the namespaces and read-only root a
  zygote builds once, the reaper, and each worker's own mounts;
- :mod:`~grader.sandbox.child.confine`: what a student process does to itself: resource
  limits and an empty keyring at every level; under full isolation (called from
  ``container.enter_student``) also the seccomp filter and an unprivileged uid;
- :mod:`~grader.sandbox.child.cgroup`: a container's memory cgroup, made by its zygote (the
  grader reads its kill count and removes it);
- :mod:`~grader.sandbox.child.syscalls`: the Linux system calls behind all of it.

What these modules uphold: the worker isolates itself before any student code runs; nothing
a student's process can reach holds expected outputs, references, hidden specs or another
submission; answers leave only as :mod:`grader.sandbox.wire` frames of plain values. They
import only the standard library, numpy, each other and :mod:`grader.sandbox.wire`, never
the grader's side (a test checks this), so a student's process loads none of it. The
grader's side may import from here: the paths a container shows its worker, and the
cgroup's kill count.
"""

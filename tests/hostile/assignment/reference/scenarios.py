"""The scenario of the hostile assignment (part drive): trusted code in the grader's process
that drives the student's Counter through remote handles, one request per call. Run with
the reference module (solution.py) for the expected outputs."""

from grader.scenario import fetch


def drive(student, start, v, step):
    c = student.Counter(start)
    for k in range(1, 5):          # four calls, their arguments computed here
        c.bump(k * v)
    before = fetch(c.count)        # an attribute, brought here
    low, high = c.bounds()         # unpacking a handle asks for its length first
    c.reset()
    c.step = step                  # assigned through the handle
    c.advance()                    # which uses it
    c.bump(v)
    return c.count, before, fetch(high) - fetch(low)

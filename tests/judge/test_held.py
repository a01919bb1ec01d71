"""Held answers: judged in order when asked, never past the cap (grader.judge.held)."""

from __future__ import annotations

from grader.judge.held import Held


def test_items_are_judged_only_when_asked_in_the_order_they_came() -> None:
    judged: list[str] = []
    held = Held(judged.append, cap=100)
    assert held.put("a", 10) and held.put("b", 20) and held.put("c")
    assert judged == []
    held.judge_all()
    assert judged == ["a", "b", "c"]
    held.judge_all()  # nothing is judged twice
    assert judged == ["a", "b", "c"]


def test_an_item_that_would_pass_the_cap_is_refused_and_nothing_else_is() -> None:
    judged: list[str] = []
    held = Held(judged.append, cap=100)
    assert held.put("a", 60)
    assert held.put("b", 40)  # exactly at the cap
    assert not held.put("c", 1)
    assert held.put("empty")  # an item of no size always fits
    held.judge_all()
    assert judged == ["a", "b", "empty"]


def test_judging_frees_the_budget() -> None:
    held = Held(lambda item: None, cap=100)
    assert held.put("a", 100)
    assert not held.put("b", 100)
    held.judge_all()
    assert held.put("b", 100)


def test_a_judge_that_raises_stops_judging_and_the_error_comes_out() -> None:
    judged: list[str] = []

    def judge(item: str) -> None:
        if item == "b":
            raise ValueError("judging bug")
        judged.append(item)

    held = Held(judge, cap=100)
    for item in "abc":
        held.put(item, 1)
    try:
        held.judge_all()
    except ValueError:
        pass
    else:
        raise AssertionError("the judge's error was swallowed")
    assert judged == ["a"]

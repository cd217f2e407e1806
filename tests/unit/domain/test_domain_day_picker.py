"""The day picker's toggles: each tap sets the state its drawing showed the opposite of."""

from __future__ import annotations

from bot.domain import onboarding as ob

NOBODY = ob.Profile()


def tap(picked: list[int], value: str) -> ob.Outcome:
    return ob.advance(ob.Step.DAYS_PICK, {"picked": picked}, ob.Press(value), NOBODY)


def test_a_button_names_the_state_it_sets() -> None:
    assert ob.day_toggle(2, {1}) == "+2"
    assert ob.day_toggle(1, {1}) == "-1"


def test_taps_on_one_drawing_each_apply_and_keep_the_question() -> None:
    drawn: set[int] = set()
    first = tap([], ob.day_toggle(0, drawn))
    second = tap(first.data["picked"], ob.day_toggle(1, drawn))  # same drawing: Tue
    again = tap(second.data["picked"], ob.day_toggle(0, drawn))  # Mon tapped twice
    assert again.data["picked"] == [0, 1]
    assert all(o.redraw and o.step is ob.Step.DAYS_PICK for o in (first, second, again))


def test_taking_a_day_off_twice_leaves_it_off() -> None:
    shown = {3, 5}
    once = tap([3, 5], ob.day_toggle(3, shown))
    twice = tap(once.data["picked"], ob.day_toggle(3, shown))
    assert twice.data["picked"] == [5]


def test_a_bare_day_from_an_older_picker_still_flips() -> None:
    assert tap([2], "2").data["picked"] == []
    assert tap([2], "4").data["picked"] == [2, 4]


def test_done_moves_on_and_is_no_redraw() -> None:
    done = tap([0, 3], "done")
    assert done.step is ob.Step.TIME and not done.redraw
    assert done.profile == {"days_mask": ob.days_mask(frozenset({0, 3}))}

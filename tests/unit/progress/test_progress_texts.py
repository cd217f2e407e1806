"""The words of /progress and the weekly summary, from the figures."""

from __future__ import annotations

from datetime import date

import pytest

from bot.chat.render_progress import caption, too_little, weekly
from bot.domain.progress import DoseChange, PainPoint, WeekNumbers, chart_data
from content.model import Dose

SUNDAY = date(2026, 11, 22)


def numbers(done: int, planned: int, pain: float | None, before: float | None) -> WeekNumbers:
    return WeekNumbers(SUNDAY, done, planned, pain, before)


def test_a_full_weekly_summary() -> None:
    eight, ten = Dose(kind="reps", amount=8), Dose(kind="reps", amount=10, sets=2)
    changes = (DoseChange("bird_dog", eight, ten), DoseChange("dead_bug", None, eight))
    text = weekly(numbers(3, 3, 2.5, 4.0), changes)
    assert text.splitlines() == [
        "📅 Your week, 16 Nov – 22 Nov",
        "",
        "Routines done: 3 of 3 planned.",
        "Average pain: 2.5 this week, 4 the week before.",
        "What changed in your plan:",
        "• Bird dog: 8 reps → 10 reps × 2 sets",
        "• New: Dead bug (8 reps)",
        "",
        "You kept every planned day. That steady rhythm is exactly what helps a back most.",
    ]


@pytest.mark.parametrize(
    ("figures", "changes", "expected"),
    [
        (numbers(0, 3, None, None), None, ["No pain answers", "first week", "quiet week"]),
        (numbers(2, 3, 3.0, None), (), ["2 of 3", "this week: 3.", "stayed the same"]),
        (numbers(3, 3, 6.0, 4.0), (), ["higher this week", "doctor or physio"]),
        (numbers(1, 3, 3.0, 5.0), (), ["easing"]),
        (numbers(1, 0, None, None), (), ["Routines done: 1."]),
    ],
)
def test_weekly_summary_lines(
    figures: WeekNumbers, changes: tuple[DoseChange, ...] | None, expected: list[str]
) -> None:
    text = weekly(figures, changes)
    for words in expected:
        assert words in text
    assert len(text) < 600  # one phone screen


def test_unknown_exercises_are_left_out_of_the_changes() -> None:
    changes = (DoseChange("no_such_exercise", None, Dose(kind="reps", amount=8)),)
    assert "stayed the same" in weekly(numbers(1, 3, None, None), changes)


def test_caption_says_streak_and_change() -> None:
    data = chart_data(
        SUNDAY,
        morning=[PainPoint(date(2026, 11, 2), 6), PainPoint(date(2026, 11, 20), 3)],
        after_routine=[PainPoint(date(2026, 11, 18), 4)],
        done=[date(2026, 11, 18), date(2026, 11, 20)],
        planned=[date(2026, 11, 18), date(2026, 11, 20)],
    )
    assert caption(data) == (
        "🔥 Streak: 2 planned days in a row.\nPain since your first week: 6 → 3.5, down 2.5. 👏"
    )


def test_too_little_says_how_many_answers_there_are() -> None:
    data = chart_data(SUNDAY, morning=[PainPoint(SUNDAY, 3)], after_routine=[], done=[], planned=[])
    text = too_little(data)
    assert "at least 3 pain answers, and I have 1 so far" in text and "No streak yet" in text
    empty = chart_data(SUNDAY, morning=[], after_routine=[], done=[], planned=[])
    assert "and I have none so far" in too_little(empty)

"""The one way in: the order of the stages is fixed, in one place (bot.domain.listening)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.listening import Place, Stage, plan
from bot.domain.onboarding import Step
from bot.domain.player import Phase
from bot.domain.understanding import understand

EARLIER = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
LATER = EARLIER + timedelta(minutes=5)


@pytest.mark.parametrize(
    "place",
    [
        Place(),
        Place(dialog=Step.SETTINGS, dialog_at=EARLIER),
        Place(phase=Phase.CARD, routine_at=EARLIER),
        Place(dialog=Step.PAIN, dialog_at=LATER, phase=Phase.END_PAIN, routine_at=EARLIER),
    ],
)
def test_safety_comes_first_wherever_the_person_is(place: Place) -> None:
    stages = plan(place, understand("my leg has gone numb"))
    assert stages[0] is Stage.SAFETY
    assert stages[-2:] == (Stage.INTENT, Stage.HINT)


def test_no_safety_stage_without_a_safety_signal() -> None:
    assert plan(Place(), understand("done")) == (Stage.INTENT, Stage.HINT)


def test_the_step_touched_last_hears_first() -> None:
    routine_later = Place(
        dialog=Step.SETTINGS, dialog_at=EARLIER, phase=Phase.CARD, routine_at=LATER
    )
    dialog_later = Place(dialog=Step.TIME, dialog_at=LATER, phase=Phase.CARD, routine_at=EARLIER)
    assert plan(routine_later, understand("done"))[:2] == (Stage.ROUTINE, Stage.DIALOG)
    assert plan(dialog_later, understand("7:30"))[:2] == (Stage.DIALOG, Stage.ROUTINE)


def test_a_score_may_answer_the_morning_question_after_the_open_steps() -> None:
    place = Place(phase=Phase.INTRO, routine_at=EARLIER)
    assert plan(place, understand("about a 4")) == (
        Stage.ROUTINE,
        Stage.MORNING,
        Stage.PAIN,
        Stage.INTENT,
        Stage.HINT,
    )
    assert Stage.MORNING not in plan(place, understand("start"))


def test_a_score_nothing_asked_for_is_kept() -> None:
    assert plan(Place(), understand("my back is worse this morning, 6/10")) == (
        Stage.MORNING,
        Stage.PAIN,
        Stage.INTENT,
        Stage.HINT,
    )


def test_how_it_felt_comes_after_the_open_steps() -> None:
    stages = plan(Place(dialog=Step.TIME, dialog_at=EARLIER), understand("too easy"))
    assert stages[:2] == (Stage.DIALOG, Stage.FEEL)

"""The safety questions as dialog steps: the screen, and one question asked back."""

from __future__ import annotations

import pytest

from bot.domain.dialog import End, Press, Profile, Step, Text
from bot.domain.safety import RedFlag
from bot.domain.safety_dialog import LEG, ask_back, flag_step, safety_step, start_safety

NOBODY = Profile()


@pytest.mark.parametrize("said", ["👍", "👎", "n/a", "no?", "maybe", "sometimes", "yes and no"])
def test_the_screen_asks_again_unless_the_answer_is_clear(said: str) -> None:
    _, data = start_safety(None)
    out = safety_step(data, Text(said), NOBODY)
    assert out.hint is Step.SAFETY and out.safety_answer is None


@pytest.mark.parametrize(("said", "yes"), [("no", False), ("Nope, never", False), ("yes", True)])
def test_clear_words_answer_the_screen(said: str, yes: bool) -> None:
    _, data = start_safety(None)
    out = safety_step(data, Text(said), NOBODY)
    assert out.safety_answer == (RedFlag.BLADDER_BOWEL, yes)
    assert out.end is (End.EMERGENCY if yes else None)


def test_a_doctor_flag_asked_back_holds_and_asks_the_emergency_questions() -> None:
    _, data = ask_back([RedFlag.TRAUMA.value], None)
    out = flag_step(data, Press("yes"), NOBODY)
    assert out.step is Step.SAFETY and out.profile == {"safety": "pending"}
    assert out.safety_answer == (RedFlag.TRAUMA, True)
    data = out.data
    for _ in range(3):
        out = safety_step(data, Press("no"), NOBODY)
        data = out.data
    assert out.end is End.DOCTOR and out.profile == {"safety": "doctor"}


def test_an_emergency_flag_asked_back_ends_at_once() -> None:
    _, data = ask_back([RedFlag.BOTH_LEGS.value], None)
    out = flag_step(data, Text("yes i do"), NOBODY)
    assert out.end is End.EMERGENCY and out.profile == {"safety": "emergency"}


def test_no_resumes_the_question_it_interrupted_after_the_others_are_asked() -> None:
    resume = {"step": Step.TIME.value, "data": {"return": "settings"}}
    _, data = ask_back([RedFlag.FEVER_UNWELL.value, RedFlag.NIGHT_PAIN.value], resume)
    out = flag_step(data, Press("no"), NOBODY)
    assert out.step is Step.FLAG and out.data["flag"] == RedFlag.NIGHT_PAIN.value
    out = flag_step(out.data, Text("nope"), NOBODY)
    assert out.step is Step.TIME and out.data == {"return": "settings"}


def test_no_with_nothing_to_resume_reassures() -> None:
    _, data = ask_back([RedFlag.TRAUMA.value], None)
    assert flag_step(data, Press("no"), NOBODY).end is End.REASSURED


def test_yes_to_the_leg_question_asks_the_caller_to_record_leg_symptoms() -> None:
    _, data = ask_back([LEG], None)
    assert flag_step(data, Text("yes"), NOBODY).action == "leg"


def test_a_screen_the_bot_opened_closes_itself_when_clear() -> None:
    _, data = start_safety(None, close=True, reason="leg_symptoms")
    out = None
    for _ in range(7):
        out = safety_step(data, Press("no"), NOBODY)
        data = out.data
    assert out is not None and out.end is End.CLEARED and out.profile == {"safety": "clear"}

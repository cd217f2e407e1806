"""The red-flag screen: a red flag always blocks the routine; only a full set of "no" clears it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.safety import (
    EMERGENCY_FLAGS,
    SCREEN_ORDER,
    PainKind,
    RedFlag,
    Urgency,
    needs_rescreen,
    next_question,
    verdict,
)

DOCTOR_FLAGS = [f for f in RedFlag if f not in EMERGENCY_FLAGS]


def all_no() -> dict[RedFlag, bool]:
    return dict.fromkeys(RedFlag, False)


def test_the_seven_questions_from_the_design() -> None:
    assert {f.value for f in RedFlag} == {
        "bladder_bowel",
        "saddle_numbness",
        "both_legs",
        "fever_unwell",
        "trauma",
        "cancer_weight",
        "night_pain",
    }
    emergencies = {RedFlag.BLADDER_BOWEL, RedFlag.SADDLE_NUMBNESS, RedFlag.BOTH_LEGS}
    assert emergencies == EMERGENCY_FLAGS


def test_screen_order_asks_every_question_once_emergencies_first() -> None:
    assert sorted(SCREEN_ORDER) == sorted(RedFlag)
    assert len(SCREEN_ORDER) == len(set(SCREEN_ORDER))
    assert set(SCREEN_ORDER[: len(EMERGENCY_FLAGS)]) == EMERGENCY_FLAGS


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, Urgency.PENDING),
        (all_no(), Urgency.CLEAR),
        ({RedFlag.BLADDER_BOWEL: True}, Urgency.EMERGENCY),
        ({RedFlag.BLADDER_BOWEL: False, RedFlag.SADDLE_NUMBNESS: True}, Urgency.EMERGENCY),
        ({**all_no(), RedFlag.BOTH_LEGS: True}, Urgency.EMERGENCY),
        ({**all_no(), RedFlag.FEVER_UNWELL: True}, Urgency.DOCTOR),
        ({**all_no(), RedFlag.NIGHT_PAIN: True}, Urgency.DOCTOR),
        ({**all_no(), RedFlag.TRAUMA: True, RedFlag.BOTH_LEGS: True}, Urgency.EMERGENCY),
        # stopped at a doctor-level "yes" after the emergency questions were all "no"
        (
            {f: False for f in EMERGENCY_FLAGS} | {RedFlag.FEVER_UNWELL: True},
            Urgency.DOCTOR,
        ),
        # a doctor-level "yes" before the emergency questions: keep asking those
        ({RedFlag.CANCER_WEIGHT: True}, Urgency.PENDING),
        # six "no" is not seven
        ({f: False for f in SCREEN_ORDER[:-1]}, Urgency.PENDING),
    ],
)
def test_verdict(answers: dict[RedFlag, bool], expected: Urgency) -> None:
    assert verdict(answers) is expected


def test_only_clear_allows_a_routine() -> None:
    assert [u for u in Urgency if u.allows_routine] == [Urgency.CLEAR]


@pytest.mark.parametrize("flag", list(RedFlag))
def test_any_single_red_flag_blocks(flag: RedFlag) -> None:
    result = verdict({**all_no(), flag: True})
    assert not result.allows_routine
    assert result is (Urgency.EMERGENCY if flag in EMERGENCY_FLAGS else Urgency.DOCTOR)


def run_screen(truth: set[RedFlag]) -> tuple[Urgency, list[RedFlag]]:
    """Ask questions as the bot would, answering from `truth`."""
    answers: dict[RedFlag, bool] = {}
    asked: list[RedFlag] = []
    while (flag := next_question(answers)) is not None:
        assert flag not in answers, "a question is never asked twice"
        asked.append(flag)
        answers[flag] = flag in truth
    return verdict(answers), asked


def test_screen_asks_in_order_and_clears_on_all_no() -> None:
    assert run_screen(set()) == (Urgency.CLEAR, list(SCREEN_ORDER))


@pytest.mark.parametrize(
    ("truth", "expected", "questions"),
    [
        ({RedFlag.BLADDER_BOWEL}, Urgency.EMERGENCY, 1),
        ({RedFlag.BOTH_LEGS, RedFlag.NIGHT_PAIN}, Urgency.EMERGENCY, 3),
        ({RedFlag.FEVER_UNWELL}, Urgency.DOCTOR, 4),
        ({RedFlag.NIGHT_PAIN}, Urgency.DOCTOR, 7),
        ({RedFlag.TRAUMA, RedFlag.CANCER_WEIGHT}, Urgency.DOCTOR, 5),
    ],
)
def test_first_yes_ends_the_screen(truth: set[RedFlag], expected: Urgency, questions: int) -> None:
    result, asked = run_screen(truth)
    assert result is expected
    assert asked == list(SCREEN_ORDER[:questions])


def test_out_of_order_doctor_yes_still_asks_the_emergency_questions() -> None:
    answers = {RedFlag.TRAUMA: True}
    assert next_question(answers) is RedFlag.BLADDER_BOWEL
    answers |= dict.fromkeys(EMERGENCY_FLAGS, False)
    assert next_question(answers) is None
    assert verdict(answers) is Urgency.DOCTOR


ANSWERS = st.dictionaries(st.sampled_from(list(RedFlag)), st.booleans())


@settings(max_examples=100)
@given(ANSWERS)
def test_a_red_flag_always_blocks(answers: dict[RedFlag, bool]) -> None:
    result = verdict(answers)
    if any(answers.values()):
        assert result is not Urgency.CLEAR
        assert not result.allows_routine
    if any(answers.get(f) for f in EMERGENCY_FLAGS):
        assert result is Urgency.EMERGENCY
    if result is Urgency.CLEAR:
        assert answers == all_no()


@settings(max_examples=100)
@given(ANSWERS)
def test_next_question_until_the_verdict_is_final(answers: dict[RedFlag, bool]) -> None:
    question = next_question(answers)
    assert (question is None) == (verdict(answers) is not Urgency.PENDING)
    assert question is None or question not in answers


@settings(max_examples=100)
@given(st.sets(st.sampled_from(list(RedFlag))))
def test_screen_outcome_for_any_truth(truth: set[RedFlag]) -> None:
    result, asked = run_screen(truth)
    if truth & EMERGENCY_FLAGS:
        assert result is Urgency.EMERGENCY
    elif truth:
        assert result is Urgency.DOCTOR
    else:
        assert result is Urgency.CLEAR
    first_yes = next((i for i, f in enumerate(SCREEN_ORDER) if f in truth), len(SCREEN_ORDER) - 1)
    assert asked == list(SCREEN_ORDER[: first_yes + 1])


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (PainKind.ACHE, False),  # muscles working is normal
        (PainKind.STIFF, False),
        (PainKind.SHARP, True),
        (PainKind.SHOOTING, True),
        (PainKind.RADIATING, True),
        (PainKind.LEG_NUMBNESS, True),
        (PainKind.LEG_WEAKNESS, True),
        ("shooting", True),
    ],
)
def test_needs_rescreen(kind: PainKind, expected: bool) -> None:
    assert needs_rescreen(kind) is expected


def test_needs_rescreen_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="tickly"):
        needs_rescreen("tickly")  # type: ignore[arg-type]

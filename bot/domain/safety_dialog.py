"""The safety questions as dialog steps: the red-flag screen, and one question asked back.

A red-flag phrase typed anywhere ("I fell yesterday") is asked back as that screen question,
with yes and no ("words alone never block and are never ignored"). An unsure mention of leg
symptoms is asked back the same way ("Is it numbness, tingling or weakness in a leg...?").
Whatever the person was answering before waits in `resume` and comes back after a "no" or a
clear screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.domain.dialog import (
    End,
    Event,
    Outcome,
    Profile,
    Step,
    clear_answer,
    hint,
    next_step,
)
from bot.domain.safety import RedFlag, Urgency, next_question, verdict

__all__ = [
    "CLEARED_ACTION",
    "LEG",
    "ask_back",
    "clearance_step",
    "current_flag",
    "flag_step",
    "safety_step",
    "start_safety",
]

LEG = "leg"  # the question asked back about leg symptoms (not a red flag of the screen)
LEG_ACTION = "leg"  # Outcome.action: record leg symptoms and open the screen
CLEARED_ACTION = "cleared"  # Outcome.action: record the clinician's all-clear, then the screen
_ENDS = {Urgency.EMERGENCY: End.EMERGENCY, Urgency.DOCTOR: End.DOCTOR}


def start_safety(
    return_to: Step | None,
    *,
    resume: Mapping[str, Any] | None = None,
    close: bool = False,
    reason: str | None = None,
) -> tuple[Step, dict[str, Any]]:
    """A fresh pass through the red-flag questions.

    After a clear screen the conversation goes to `return_to` (the settings menu), back to the
    question in `resume`, or ends (`close`: the bot asked, so nothing else was open).
    """
    data: dict[str, Any] = {"answers": {}}
    if return_to is not None:
        data["return"] = return_to.value
    if resume is not None:
        data["resume"] = dict(resume)
    if close:
        data["close"] = True
    if reason is not None:
        data["reason"] = reason
    return Step.SAFETY, data


def ask_back(flags: Sequence[str], resume: Mapping[str, Any] | None) -> tuple[Step, dict[str, Any]]:
    """Ask the first of `flags` (red-flag values, or LEG) back; the rest follow each "no"."""
    first, *rest = flags
    data: dict[str, Any] = {"flag": first, "also": list(rest), "reason": "said"}
    if resume is not None:
        data["resume"] = dict(resume)
    return Step.FLAG, data


def current_flag(data: Mapping[str, Any]) -> RedFlag | None:
    """The red-flag question the screen is on."""
    return next_question(_answers(data))


def _answers(data: Mapping[str, Any]) -> dict[RedFlag, bool]:
    return {RedFlag(k): bool(v) for k, v in data.get("answers", {}).items()}


def _settled(data: dict[str, Any], flag: RedFlag, answer: bool) -> Outcome:
    """Where the screen goes once `flag` is answered: on, to the next question, or an end."""
    urgency = verdict(_answers(data))
    if urgency in _ENDS:
        end = _ENDS[urgency]
        return Outcome(
            step=None,
            data=data,
            safety_answer=(flag, answer),
            end=end,
            profile={"safety": end.value},
        )
    if urgency is Urgency.PENDING:
        # A "yes" to a doctor-level question asked out of order: the emergency questions
        # come next, and nothing starts meanwhile.
        blocked = {"safety": "pending"} if answer else {}
        return Outcome(step=Step.SAFETY, data=data, safety_answer=(flag, answer), profile=blocked)
    return next_step(data, Step.PAIN, safety_answer=(flag, False), profile={"safety": "clear"})


def safety_step(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    """One answer of the red-flag screen (only a clear yes or no counts)."""
    flag = current_flag(data)
    answer = clear_answer(event)
    if flag is None or answer is None:
        return hint(Step.SAFETY, data)
    answers = {**data.get("answers", {}), flag.value: answer}
    return _settled({**data, "answers": answers}, flag, answer)


def flag_step(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    """The answer to one question asked back."""
    answer = clear_answer(event)
    if answer is None:
        return hint(Step.FLAG, data)
    asked = str(data["flag"])
    resume = data.get("resume")
    if not answer:
        also = list(data.get("also", []))
        if also:
            return Outcome(step=Step.FLAG, data={**data, "flag": also[0], "also": also[1:]})
        if resume:
            return Outcome(step=Step(resume["step"]), data=dict(resume["data"]))
        return Outcome(step=None, data={}, end=End.REASSURED)
    if asked == LEG:
        return Outcome(step=None, data=data, action=LEG_ACTION)
    flag = RedFlag(asked)
    if resume and resume["step"] == Step.SAFETY.value:
        # Asked back during the screen itself: the answer joins that screen.
        screen = dict(resume["data"])
    else:
        screen = start_safety(None, resume=resume, close=resume is None, reason="said")[1]
    answers = {**screen.get("answers", {}), flag.value: True}
    return _settled({**screen, "answers": answers}, flag, True)


def clearance_step(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    """ "Has a clinician checked you and said exercise is fine?" — only a clear yes counts."""
    answer = clear_answer(event)
    if answer is None:
        return hint(Step.CLEARANCE, data)
    if answer:
        return Outcome(step=None, data=data, action=CLEARED_ACTION)
    return Outcome(step=None, data={}, end=End.HELD)

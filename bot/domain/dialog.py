"""The shapes every conversation step shares: steps, events, outcomes and how a step ends.

Pure: the onboarding and settings conversation (`bot.domain.onboarding`) and the safety
questions (`bot.domain.safety_dialog`) are both built from these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.domain.parsing import Intent, parse_intent
from bot.domain.safety import RedFlag
from bot.domain.understanding import understand, yes_no

__all__ = [
    "End",
    "Event",
    "Location",
    "Outcome",
    "Press",
    "Profile",
    "Step",
    "Text",
    "clear_answer",
    "hint",
    "next_step",
    "value",
    "yes_no_answer",
]


class Step(StrEnum):
    """Every question the conversation can be waiting on."""

    CONSENT = "consent"
    SAFETY = "safety"
    PAIN = "pain"
    DURATION = "duration"
    ACTIVITY = "activity"
    DAYS = "days"
    DAYS_PICK = "days_pick"
    TIME = "time"
    TIME_CONFIRM = "time_confirm"
    ZONE = "zone"
    ZONE_CHOOSE = "zone_choose"
    ZONE_OFFSET = "zone_offset"
    ZONE_CONFIRM = "zone_confirm"
    SUMMARY = "summary"
    CHANGE = "change"
    LEVEL = "level"
    SETTINGS = "settings"
    FLAG = "flag"  # one red-flag question asked back (or "is it your leg?"), yes or no
    CLEARANCE = "clearance"  # "has a clinician checked you and said exercise is fine?"
    HURT_SCORE = "hurt_score"  # how strong an exercise of a finished routine hurt (typed too)


class End(StrEnum):
    """How a conversation can finish."""

    DECLINED = "declined"  # said "not now" to consent: store nothing
    EMERGENCY = "emergency"  # a red flag that needs emergency care now
    DOCTOR = "doctor"  # a red flag that needs a doctor before starting
    START_NOW = "start_now"
    WAIT = "wait"  # first routine on the next chosen morning
    CLOSED = "closed"  # the settings menu was closed
    CLEARED = "cleared"  # safety questions the bot asked came back clear
    REASSURED = "reassured"  # a question asked back was answered "no"
    HELD = "held"  # routines wait for a clinician's all-clear (not yet, or too soon)


@dataclass(frozen=True)
class Press:
    """A button press carrying its value."""

    value: str


@dataclass(frozen=True)
class Text:
    """A typed message."""

    text: str


@dataclass(frozen=True)
class Location:
    """A shared location."""

    lat: float
    lon: float


Event = Press | Text | Location


@dataclass(frozen=True)
class Profile:
    """What is already stored about the user, as far as the conversation needs it."""

    baseline_pain: int | None = None
    pain_duration: str | None = None
    activity: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of one event: where the conversation goes and what to store."""

    step: Step | None
    data: dict[str, Any]
    profile: dict[str, Any] = field(default_factory=dict)
    safety_answer: tuple[RedFlag, bool] | None = None
    hint: Step | None = None
    end: End | None = None
    action: str | None = None  # a settings action the caller carries out (pause, resume)
    note: str | None = None  # a word the chat says before the next question ("high_pain")
    # The same question redrawn (a toggle): the buttons of every earlier drawing stay live.
    redraw: bool = False


def value(event: Event) -> str | None:
    return event.value if isinstance(event, Press) else None


def yes_no_answer(event: Event, yes: str = "yes", no: str = "no") -> bool | None:
    if isinstance(event, Press):
        return {yes: True, no: False}.get(event.value)
    if isinstance(event, Text):
        intent = parse_intent(event.text)
        return {Intent.YES: True, Intent.NO: False}.get(intent) if intent else None
    return None


def hint(step: Step, data: dict[str, Any]) -> Outcome:
    return Outcome(step=step, data=data, hint=step)


def next_step(data: dict[str, Any], default: Step, **kwargs: Any) -> Outcome:
    """Go on to `default`, or back to the summary/settings when an answer was being changed."""
    resume = data.get("resume")
    if resume:
        # Back to the question a safety check interrupted, exactly as it was.
        return Outcome(step=Step(resume["step"]), data=dict(resume["data"]), **kwargs)
    if data.get("close"):
        return Outcome(step=None, data={}, end=End.CLEARED, **kwargs)
    back = data.get("return")
    if back:
        return Outcome(step=Step(back), data={"return": back}, **kwargs)
    return Outcome(step=default, data={}, **kwargs)


def clear_answer(event: Event) -> bool | None:
    """A safety question's answer: a button, or only clear words ("no", "no, I haven't").

    Emoji, "n/a", "no?" and hedged answers give None, so the question is asked again.
    """
    if isinstance(event, Press):
        return {"yes": True, "no": False}.get(event.value)
    if not isinstance(event, Text):
        return None
    answer = yes_no(event.text)
    if answer is not None or "?" in event.text:
        return answer
    return understand(event.text).leading

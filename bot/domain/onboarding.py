"""The onboarding and settings conversation as a pure state machine.

A step and its transient data go in with one user event (a button value, a text, a location);
an `Outcome` comes out: the next step, the profile fields to store, a safety answer to record,
a hint when the input was not understood, or how the conversation ended. Nothing here talks to
Telegram or the database, so every path is a plain table test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from typing import Any

from bot.domain.parsing import Intent, is_morning, parse_days, parse_intent, parse_pain, parse_time
from bot.domain.safety import RedFlag, Urgency, next_question, verdict
from bot.domain.timezones import CityMatch, offset_zone, zone_for_location, zones_for_city


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


class End(StrEnum):
    """How a conversation can finish."""

    DECLINED = "declined"  # said "not now" to consent: store nothing
    EMERGENCY = "emergency"  # a red flag that needs emergency care now
    DOCTOR = "doctor"  # a red flag that needs a doctor before starting
    START_NOW = "start_now"
    WAIT = "wait"  # first routine on the next chosen morning
    CLOSED = "closed"  # the settings menu was closed


class Duration(StrEnum):
    """How long the back has hurt."""

    ACUTE = "acute"  # under 6 weeks
    SUBACUTE = "subacute"  # 6–12 weeks
    CHRONIC = "chronic"  # longer


class Activity(StrEnum):
    """How active the user is day to day."""

    SITTING = "sitting"
    SOME = "some"
    ACTIVE = "active"


MIN_DAYS = 2
CLEAR_WINNER_RATIO = 10
THREE_DAYS = frozenset({0, 2, 4})  # Mon, Wed, Fri: a rest day between sessions
FOUR_DAYS = frozenset({0, 1, 3, 4})  # Mon, Tue, Thu, Fri
TIME_CHOICES = ("06:30", "07:00", "07:30", "08:00", "09:00")
OFFSET_CHOICES = tuple(range(-10, 13))
# The answers that can be changed afterwards, and the step that asks each.
CHANGEABLE: Mapping[str, Step] = {
    "pain": Step.PAIN,
    "level": Step.LEVEL,
    "days": Step.DAYS,
    "time": Step.TIME,
    "zone": Step.ZONE,
}
SETTINGS_ACTIONS = (*CHANGEABLE, "safety", "pause", "resume", "close")


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


def starting_level(duration: str | None, activity: str | None, pain: int | None) -> int:
    """Level 1–3 from how long it has hurt, how active they are and today's pain.

    Recent or strong pain, or a mostly sitting day, starts gently; only a long-standing,
    mild pain in an active person starts at the top.
    """
    if pain is None or pain >= 6 or duration == Duration.ACUTE or activity == Activity.SITTING:
        return 1
    if activity == Activity.ACTIVE and duration == Duration.CHRONIC and pain <= 3:
        return 3
    return 2


def start(*, settings: bool = False) -> tuple[Step, dict[str, Any]]:
    """The first step of onboarding, or the settings menu."""
    return (Step.SETTINGS, {"return": Step.SETTINGS.value}) if settings else (Step.CONSENT, {})


def start_safety(return_to: Step | None) -> tuple[Step, dict[str, Any]]:
    """A fresh pass through the red-flag questions (from settings or after leg symptoms)."""
    data: dict[str, Any] = {"answers": {}}
    if return_to is not None:
        data["return"] = return_to.value
    return Step.SAFETY, data


def current_flag(data: Mapping[str, Any]) -> RedFlag | None:
    """The red-flag question the screen is on."""
    return next_question(_answers(data))


def advance(step: Step, data: Mapping[str, Any], event: Event, profile: Profile) -> Outcome:
    """Apply one user event to the conversation."""
    handler = _HANDLERS[step]
    return handler(dict(data), event, profile)


# --- helpers -------------------------------------------------------------------------------


def _answers(data: Mapping[str, Any]) -> dict[RedFlag, bool]:
    return {RedFlag(k): bool(v) for k, v in data.get("answers", {}).items()}


def _value(event: Event) -> str | None:
    return event.value if isinstance(event, Press) else None


def _yes_no(event: Event, yes: str = "yes", no: str = "no") -> bool | None:
    if isinstance(event, Press):
        return {yes: True, no: False}.get(event.value)
    if isinstance(event, Text):
        intent = parse_intent(event.text)
        return {Intent.YES: True, Intent.NO: False}.get(intent) if intent else None
    return None


def _hint(step: Step, data: dict[str, Any]) -> Outcome:
    return Outcome(step=step, data=data, hint=step)


def _next(data: dict[str, Any], default: Step, **kwargs: Any) -> Outcome:
    """Go on to `default`, or back to the summary/settings when an answer was being changed."""
    back = data.get("return")
    if back:
        return Outcome(step=Step(back), data={"return": back}, **kwargs)
    return Outcome(step=default, data={}, **kwargs)


def _choice(event: Event, choices: Mapping[str, str]) -> str | None:
    """A button value, or typed text matching a choice's value or its words."""
    if isinstance(event, Press):
        return event.value if event.value in choices else None
    if isinstance(event, Text):
        words = event.text.strip().lower()
        for value, aliases in choices.items():
            if words == value or any(a in words for a in aliases.split("|")):
                return value
    return None


# --- steps ---------------------------------------------------------------------------------


def _consent(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    answer = _yes_no(event, yes="agree", no="later")
    if answer is None and isinstance(event, Text):
        answer = {"agree": True, "i agree": True, "ok": True, "later": False}.get(
            event.text.strip().lower()
        )
    if answer is None:
        return _hint(Step.CONSENT, data)
    if not answer:
        return Outcome(step=None, data={}, end=End.DECLINED)
    step, fresh = start_safety(None)
    return Outcome(step=step, data=fresh, profile={"consent": True})


def _safety(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    flag = current_flag(data)
    answer = _yes_no(event)
    if flag is None or answer is None:
        return _hint(Step.SAFETY, data)
    answers = {**data.get("answers", {}), flag.value: answer}
    data = {**data, "answers": answers}
    urgency = verdict(_answers(data)) if answer else None
    if answer:
        # The first "yes" ends the screen: nobody with a red flag answers more questions first.
        end = End.EMERGENCY if urgency == Urgency.EMERGENCY else End.DOCTOR
        return Outcome(
            step=None, data=data, safety_answer=(flag, True), end=end, profile={"safety": end.value}
        )
    if next_question(_answers(data)) is not None:
        return Outcome(step=Step.SAFETY, data=data, safety_answer=(flag, False))
    return _next(data, Step.PAIN, safety_answer=(flag, False), profile={"safety": "clear"})


def _pain(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    raw = event.value if isinstance(event, Press) else event.text if isinstance(event, Text) else ""
    pain = parse_pain(raw)
    if pain is None:
        return _hint(Step.PAIN, data)
    return _next(data, Step.DURATION, profile={"baseline_pain": pain})


_DURATIONS = {
    Duration.ACUTE.value: "under 6|less than 6|few weeks|days|new|recent",
    Duration.SUBACUTE.value: "6-12|6 to 12|6–12|two months|2 months|couple of months",
    Duration.CHRONIC.value: "longer|years|year|months|long time|ages",
}
_ACTIVITIES = {
    Activity.SITTING.value: "sit|desk|not much|not active|sedentary",
    Activity.SOME.value: "some|bit|moderate|walk",
    Activity.ACTIVE.value: "active|sport|gym|run|very",
}


def _duration(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    choice = _choice(event, _DURATIONS)
    if choice is None:
        return _hint(Step.DURATION, data)
    return Outcome(step=Step.ACTIVITY, data={}, profile={"pain_duration": choice})


def _activity(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    choice = _choice(event, _ACTIVITIES)
    if choice is None:
        return _hint(Step.ACTIVITY, data)
    level = starting_level(profile.pain_duration, choice, profile.baseline_pain)
    return Outcome(step=Step.DAYS, data={}, profile={"activity": choice, "level": level})


def _level(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = _value(event) or (event.text.strip() if isinstance(event, Text) else "")
    if value not in {"1", "2", "3"}:
        return _hint(Step.LEVEL, data)
    return _next(data, Step.SUMMARY, profile={"level": int(value)})


def days_mask(days: frozenset[int]) -> int:
    """Weekdays (0 = Monday) as the stored bit mask."""
    return sum(1 << d for d in days)


def days_from_mask(mask: int) -> frozenset[int]:
    """The stored bit mask back as weekdays."""
    return frozenset(d for d in range(7) if mask & (1 << d))


def _days(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = _value(event)
    if value == "pick":
        return Outcome(step=Step.DAYS_PICK, data={**data, "picked": []})
    days = {"three": THREE_DAYS, "four": FOUR_DAYS}.get(value or "")
    if days is None and isinstance(event, Text):
        days = parse_days(event.text)
    if days is None or len(days) < MIN_DAYS:
        return _hint(Step.DAYS, data)
    return _next(data, Step.TIME, profile={"days_mask": days_mask(days)})


def _days_pick(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    picked = set(data.get("picked", []))
    value = _value(event)
    if value is not None and value.isdigit() and 0 <= int(value) <= 6:
        picked ^= {int(value)}
        return Outcome(step=Step.DAYS_PICK, data={**data, "picked": sorted(picked)})
    if isinstance(event, Text):
        typed = parse_days(event.text)
        if typed is not None:
            picked = set(typed)
            value = "done"
    if value == "done" and len(picked) >= MIN_DAYS:
        rest = {k: v for k, v in data.items() if k != "picked"}
        return _next(rest, Step.TIME, profile={"days_mask": days_mask(frozenset(picked))})
    return _hint(Step.DAYS_PICK, {**data, "picked": sorted(picked)})


def _time(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    raw = event.value if isinstance(event, Press) else event.text if isinstance(event, Text) else ""
    at = parse_time(raw)
    if at is None:
        return _hint(Step.TIME, data)
    if not is_morning(at):
        return Outcome(step=Step.TIME_CONFIRM, data={**data, "time": at.strftime("%H:%M")})
    return _next(data, Step.ZONE, profile={"push_time": at})


def _time_confirm(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    answer = _yes_no(event)
    if answer is None:
        return _hint(Step.TIME_CONFIRM, data)
    rest = {k: v for k, v in data.items() if k != "time"}
    if not answer:
        return Outcome(step=Step.TIME, data=rest)
    at = time.fromisoformat(str(data["time"]))
    return _next(rest, Step.ZONE, profile={"push_time": at})


def _confirm_zone(data: dict[str, Any], zone: str) -> Outcome:
    kept = {k: v for k, v in data.items() if k not in {"zones", "zone"}}
    return Outcome(step=Step.ZONE_CONFIRM, data={**kept, "zone": zone})


def _zone(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    if isinstance(event, Location):
        zone = zone_for_location(event.lat, event.lon)
        return _confirm_zone(data, zone) if zone else _hint(Step.ZONE, data)
    if _value(event) == "offset":
        return Outcome(step=Step.ZONE_OFFSET, data=data)
    if not isinstance(event, Text):
        return _hint(Step.ZONE, data)
    fixed = offset_zone(event.text)
    if fixed is not None:
        return _confirm_zone(data, fixed)
    matches = zones_for_city(event.text)
    if not matches:
        return _hint(Step.ZONE, data)
    if _clear_winner(matches):
        return _confirm_zone(data, matches[0].zone)
    labels = dict.fromkeys((_place_label(m.name, m.country_code, m.zone), m.zone) for m in matches)
    zones = [list(pair) for pair in labels]
    return Outcome(step=Step.ZONE_CHOOSE, data={**data, "zones": zones})


def _clear_winner(matches: list[CityMatch]) -> bool:
    """One zone, or a place so much bigger than the others that asking would be silly.

    "London" means London, England far more often than London, Ontario; the confirmation
    that follows ("So it is 07:42 where you are?") catches the rare miss.
    """
    others = [m for m in matches[1:] if m.zone != matches[0].zone]
    if not others:
        return True
    top, runner_up = matches[0].population or 0, max(m.population or 0 for m in others)
    return top >= CLEAR_WINNER_RATIO * max(runner_up, 1)


def _place_label(name: str, country: str | None, zone: str) -> str:
    return f"{name}, {country} ({zone})" if country else f"{name} ({zone})"


def _zone_choose(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = _value(event)
    zones = data.get("zones", [])
    if value is not None and value.isdigit() and int(value) < len(zones):
        return _confirm_zone(data, str(zones[int(value)][1]))
    if value == "other" or isinstance(event, Text | Location):
        rest = {k: v for k, v in data.items() if k != "zones"}
        return _zone(rest, event, profile) if value != "other" else Outcome(Step.ZONE, rest)
    return _hint(Step.ZONE_CHOOSE, data)


def _zone_offset(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    raw = event.value if isinstance(event, Press) else event.text if isinstance(event, Text) else ""
    zone = offset_zone(raw)
    return _confirm_zone(data, zone) if zone else _hint(Step.ZONE_OFFSET, data)


def _zone_confirm(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    answer = _yes_no(event)
    if answer is None:
        return _hint(Step.ZONE_CONFIRM, data)
    rest = {k: v for k, v in data.items() if k != "zone"}
    if not answer:
        return Outcome(step=Step.ZONE, data=rest)
    return _next(rest, Step.SUMMARY, profile={"tz": str(data["zone"])})


def _summary(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = _value(event)
    if value is None and isinstance(event, Text):
        intent = parse_intent(event.text)
        value = {Intent.START: "start", Intent.YES: "start"}.get(intent) if intent else None
    if value == "start":
        return Outcome(step=None, data={}, end=End.START_NOW)
    if value == "wait":
        return Outcome(step=None, data={}, end=End.WAIT)
    if value == "change":
        return Outcome(step=Step.CHANGE, data={})
    return _hint(Step.SUMMARY, data)


def _change(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = _value(event)
    if value == "back":
        return Outcome(step=Step.SUMMARY, data={})
    if value is not None and value in CHANGEABLE:
        return Outcome(step=CHANGEABLE[value], data={"return": Step.SUMMARY.value})
    return _hint(Step.CHANGE, data)


def _settings(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = _value(event)
    back = {"return": Step.SETTINGS.value}
    if value is not None and value in CHANGEABLE:
        return Outcome(step=CHANGEABLE[value], data=back)
    if value == "safety":
        step, fresh = start_safety(Step.SETTINGS)
        return Outcome(step=step, data=fresh)
    if value in {"pause", "resume"}:
        return Outcome(step=None, data={}, end=End.CLOSED, action=value)
    if value == "close":
        return Outcome(step=None, data={}, end=End.CLOSED)
    return _hint(Step.SETTINGS, data)


_HANDLERS = {
    Step.CONSENT: _consent,
    Step.SAFETY: _safety,
    Step.PAIN: _pain,
    Step.DURATION: _duration,
    Step.ACTIVITY: _activity,
    Step.LEVEL: _level,
    Step.DAYS: _days,
    Step.DAYS_PICK: _days_pick,
    Step.TIME: _time,
    Step.TIME_CONFIRM: _time_confirm,
    Step.ZONE: _zone,
    Step.ZONE_CHOOSE: _zone_choose,
    Step.ZONE_OFFSET: _zone_offset,
    Step.ZONE_CONFIRM: _zone_confirm,
    Step.SUMMARY: _summary,
    Step.CHANGE: _change,
    Step.SETTINGS: _settings,
}

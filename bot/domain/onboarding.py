"""The onboarding and settings conversation as a pure state machine.

A step and its transient data go in with one user event (a button value, a text, a location);
an `Outcome` comes out: the next step, the profile fields to store, a safety answer to record,
a hint when the input was not understood, or how the conversation ended. Nothing here talks to
Telegram or the database, so every path is a plain table test.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import time
from enum import StrEnum
from typing import Any

from bot.domain.dialog import (
    End,
    Event,
    Location,
    Outcome,
    Press,
    Profile,
    Step,
    Text,
    hint,
    next_step,
    yes_no_answer,
)
from bot.domain.dialog import value as pressed
from bot.domain.parsing import Intent, is_morning, parse_days, parse_intent, parse_pain, parse_time
from bot.domain.safety_dialog import (
    CLEARED_ACTION,
    LEG,
    LEG_ACTION,
    ask_back,
    clearance_step,
    current_flag,
    flag_step,
    safety_step,
    start_safety,
)
from bot.domain.timezones import CityMatch, offset_zone, zone_for_location, zones_for_city
from bot.domain.understanding import understand

__all__ = [
    "CHANGEABLE",
    "CLEARED_ACTION",
    "HIGH_PAIN",
    "HURT_SCORE_ACTION",
    "LEG",
    "LEG_ACTION",
    "OFFSET_CHOICES",
    "TIME_CHOICES",
    "Activity",
    "Duration",
    "End",
    "Event",
    "Location",
    "Outcome",
    "Press",
    "Profile",
    "Step",
    "Text",
    "advance",
    "ask_back",
    "current_flag",
    "day_toggle",
    "days_from_mask",
    "days_mask",
    "start",
    "start_safety",
    "starting_level",
]


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


HIGH_PAIN = 8  # a score this high at sign-up gets a gentle start and when to see a professional
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


def advance(step: Step, data: Mapping[str, Any], event: Event, profile: Profile) -> Outcome:
    """Apply one user event to the conversation."""
    handler = _HANDLERS[step]
    return handler(dict(data), event, profile)


# --- helpers -------------------------------------------------------------------------------


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
    answer = yes_no_answer(event, yes="agree", no="later")
    if answer is None and isinstance(event, Text):
        answer = {"agree": True, "i agree": True, "ok": True, "later": False}.get(
            event.text.strip().lower()
        )
    if answer is None:
        return hint(Step.CONSENT, data)
    if not answer:
        return Outcome(step=None, data={}, end=End.DECLINED)
    step, fresh = start_safety(None)
    return Outcome(step=step, data=fresh, profile={"consent": True})


def _pain(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    if isinstance(event, Press):
        pain = parse_pain(event.value)
    else:
        score = understand(event.text).pain if isinstance(event, Text) else None
        pain = score.value if score is not None else None
    if pain is None:
        return hint(Step.PAIN, data)
    note = "high_pain" if pain >= HIGH_PAIN else None
    return next_step(data, Step.DURATION, profile={"baseline_pain": pain}, note=note)


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
        return hint(Step.DURATION, data)
    return Outcome(step=Step.ACTIVITY, data={}, profile={"pain_duration": choice})


def _activity(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    choice = _choice(event, _ACTIVITIES)
    if choice is None:
        return hint(Step.ACTIVITY, data)
    level = starting_level(profile.pain_duration, choice, profile.baseline_pain)
    return Outcome(step=Step.DAYS, data={}, profile={"activity": choice, "level": level})


def _level(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = pressed(event) or (event.text.strip() if isinstance(event, Text) else "")
    if value not in {"1", "2", "3"}:
        return hint(Step.LEVEL, data)
    return next_step(data, Step.SUMMARY, profile={"level": int(value)})


def days_mask(days: frozenset[int]) -> int:
    """Weekdays (0 = Monday) as the stored bit mask."""
    return sum(1 << d for d in days)


def days_from_mask(mask: int) -> frozenset[int]:
    """The stored bit mask back as weekdays."""
    return frozenset(d for d in range(7) if mask & (1 << d))


def _days(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = pressed(event)
    if value == "pick":
        return Outcome(step=Step.DAYS_PICK, data={**data, "picked": []})
    days = {"three": THREE_DAYS, "four": FOUR_DAYS}.get(value or "")
    if days is None and isinstance(event, Text):
        days = parse_days(event.text)
    if days is None or len(days) < MIN_DAYS:
        return hint(Step.DAYS, data)
    return next_step(data, Step.TIME, profile={"days_mask": days_mask(days)})


def day_toggle(day: int, picked: Collection[int]) -> str:
    """The value of a day's button in the picker: the state a tap sets, "+3" or "-3".

    A tap names what it wants, not "flip": taps on an older drawing of the picker (quicker
    than its redraw, or a second tap on the same day) each apply what the person saw.
    """
    return f"{'-' if day in picked else '+'}{day}"


def _toggled(value: str | None, picked: set[int]) -> set[int] | None:
    """The days after a day button's tap, or None if `value` is not one."""
    if value is None:
        return None
    sign, digit = (value[0], value[1:]) if value[:1] in {"+", "-"} else ("", value)
    if not (digit.isdigit() and 0 <= int(digit) <= 6):
        return None
    day = int(digit)
    if sign == "+" or (not sign and day not in picked):  # a bare day: a picker drawn before
        return picked | {day}
    return picked - {day}


def _days_pick(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    picked = set(data.get("picked", []))
    value = pressed(event)
    toggled = _toggled(value, picked)
    if toggled is not None:
        return Outcome(step=Step.DAYS_PICK, data={**data, "picked": sorted(toggled)}, redraw=True)
    if isinstance(event, Text):
        typed = parse_days(event.text)
        if typed is not None:
            picked = set(typed)
            value = "done"
    if value == "done" and len(picked) >= MIN_DAYS:
        rest = {k: v for k, v in data.items() if k != "picked"}
        return next_step(rest, Step.TIME, profile={"days_mask": days_mask(frozenset(picked))})
    return hint(Step.DAYS_PICK, {**data, "picked": sorted(picked)})


def _time(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    raw = event.value if isinstance(event, Press) else event.text if isinstance(event, Text) else ""
    at = parse_time(raw)
    if at is None:
        return hint(Step.TIME, data)
    if not is_morning(at):
        return Outcome(step=Step.TIME_CONFIRM, data={**data, "time": at.strftime("%H:%M")})
    return next_step(data, Step.ZONE, profile={"push_time": at})


def _time_confirm(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    answer = yes_no_answer(event)
    if answer is None:
        return hint(Step.TIME_CONFIRM, data)
    rest = {k: v for k, v in data.items() if k != "time"}
    if not answer:
        return Outcome(step=Step.TIME, data=rest)
    at = time.fromisoformat(str(data["time"]))
    return next_step(rest, Step.ZONE, profile={"push_time": at})


def _confirm_zone(data: dict[str, Any], zone: str) -> Outcome:
    kept = {k: v for k, v in data.items() if k not in {"zones", "zone"}}
    return Outcome(step=Step.ZONE_CONFIRM, data={**kept, "zone": zone})


def _zone(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    if isinstance(event, Location):
        zone = zone_for_location(event.lat, event.lon)
        return _confirm_zone(data, zone) if zone else hint(Step.ZONE, data)
    if pressed(event) == "offset":
        return Outcome(step=Step.ZONE_OFFSET, data=data)
    if not isinstance(event, Text):
        return hint(Step.ZONE, data)
    fixed = offset_zone(event.text)
    if fixed is not None:
        return _confirm_zone(data, fixed)
    matches = zones_for_city(event.text)
    if not matches:
        return hint(Step.ZONE, data)
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
    value = pressed(event)
    zones = data.get("zones", [])
    if value is not None and value.isdigit() and int(value) < len(zones):
        return _confirm_zone(data, str(zones[int(value)][1]))
    if value == "other" or isinstance(event, Text | Location):
        rest = {k: v for k, v in data.items() if k != "zones"}
        return _zone(rest, event, profile) if value != "other" else Outcome(Step.ZONE, rest)
    return hint(Step.ZONE_CHOOSE, data)


def _zone_offset(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    raw = event.value if isinstance(event, Press) else event.text if isinstance(event, Text) else ""
    zone = offset_zone(raw)
    return _confirm_zone(data, zone) if zone else hint(Step.ZONE_OFFSET, data)


def _zone_confirm(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    answer = yes_no_answer(event)
    if answer is None:
        return hint(Step.ZONE_CONFIRM, data)
    rest = {k: v for k, v in data.items() if k != "zone"}
    if not answer:
        return Outcome(step=Step.ZONE, data=rest)
    return next_step(rest, Step.SUMMARY, profile={"tz": str(data["zone"])})


def _summary(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = pressed(event)
    if value is None and isinstance(event, Text):
        intent = parse_intent(event.text)
        value = {Intent.START: "start", Intent.YES: "start"}.get(intent) if intent else None
    if value == "start":
        return Outcome(step=None, data={}, end=End.START_NOW)
    if value == "wait":
        return Outcome(step=None, data={}, end=End.WAIT)
    if value == "change":
        return Outcome(step=Step.CHANGE, data={})
    return hint(Step.SUMMARY, data)


def _change(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = pressed(event)
    if value == "back":
        return Outcome(step=Step.SUMMARY, data={})
    if value is not None and value in CHANGEABLE:
        return Outcome(step=CHANGEABLE[value], data={"return": Step.SUMMARY.value})
    return hint(Step.CHANGE, data)


def _settings(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    value = pressed(event)
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
    return hint(Step.SETTINGS, data)


HURT_SCORE_ACTION = "hurt_score"  # Outcome.action: record the score in `data`


def _hurt_score(data: dict[str, Any], event: Event, profile: Profile) -> Outcome:
    """A typed answer to "how strong was it?" about an exercise of a finished routine."""
    score = understand(event.text).pain if isinstance(event, Text) else None
    if score is None:
        return hint(Step.HURT_SCORE, data)
    return Outcome(step=None, data={**data, "pain": score.value}, action=HURT_SCORE_ACTION)


_HANDLERS = {
    Step.CONSENT: _consent,
    Step.SAFETY: safety_step,
    Step.FLAG: flag_step,
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
    Step.HURT_SCORE: _hurt_score,
    Step.CLEARANCE: clearance_step,
}

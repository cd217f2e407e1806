"""The data of plan adaptation: what the user reported (events), the plan, and what changed.

Everything is a frozen pydantic model, so the services layer can store a :class:`Plan` as JSON
(``model_dump_json`` / ``model_validate_json``) and the chat layer can render :class:`Change`
and :class:`Offer` objects from their codes; no user-facing sentence lives here.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bot.domain.feel import Feel
from bot.domain.pain import ReportKind
from bot.domain.safety import PainKind
from content.model import Dose

__all__ = [
    "Adaptation",
    "Change",
    "ChangeKind",
    "Event",
    "EventKey",
    "ExercisePlan",
    "FeelReport",
    "ItemRecord",
    "MorningReport",
    "Offer",
    "OfferKind",
    "Outcome",
    "PainNote",
    "PendingRoutine",
    "Plan",
    "Reason",
    "RoutineRecord",
    "RoutineSummary",
    "Symptom",
    "SymptomReport",
    "Verdict",
]

Pain = Annotated[int, Field(ge=0, le=10)]
Level = Annotated[int, Field(ge=1, le=3)]
Count = Annotated[int, Field(ge=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- events


class Outcome(StrEnum):
    """How one exercise of a routine ended."""

    DONE = "done"
    SKIPPED = "skipped"
    HURT = "hurt"
    STOPPED = "stopped"  # the routine ended at it: not done, not a skip; breaks the easy run


class Symptom(StrEnum):
    """Symptoms that, reported at any time, send the user through the red-flag screen again."""

    LEG_PAIN = "leg_pain"  # pain spreading down a leg
    LEG_NUMBNESS = "leg_numbness"
    LEG_WEAKNESS = "leg_weakness"
    BLADDER_BOWEL = "bladder_bowel"
    SADDLE_NUMBNESS = "saddle_numbness"


class ItemRecord(_Frozen):
    """One exercise of a finished routine; ``pain`` is 0-10 during or right after it."""

    exercise_id: str
    outcome: Outcome
    pain_kind: PainKind | None = None
    pain: Pain | None = None


class RoutineRecord(_Frozen):
    """A routine the user finished (or stopped): its items and the pain at its end.

    ``at`` is when it was recorded; it orders events and marks them applied (see ``Plan``).
    """

    at: AwareDatetime
    local_date: date
    items: tuple[ItemRecord, ...]
    end_pain: Pain | None = None


class MorningReport(_Frozen):
    """The answer to "How is your back this morning?" on a local date."""

    at: AwareDatetime
    local_date: date
    pain: Pain


class SymptomReport(_Frozen):
    """Leg, bladder or bowel symptoms reported outside a routine."""

    at: AwareDatetime
    local_date: date
    symptom: Symptom


class FeelReport(_Frozen):
    """The answer to "How did that feel?" about the routine of ``local_date``."""

    at: AwareDatetime
    local_date: date
    feel: Feel


class PainNote(_Frozen):
    """A pain score told outside the morning and routine questions (typed: now, during).

    ``kind`` is what the person said it was about; ``local_date`` the day it was told.
    """

    at: AwareDatetime
    local_date: date
    kind: ReportKind
    pain: Pain


Event = RoutineRecord | MorningReport | SymptomReport | FeelReport | PainNote
EventKey = tuple[AwareDatetime, int]
"""Orders events: their ``at``, then morning < symptom < routine < feel < note for equal
instants."""


# --------------------------------------------------------------------------- the plan


class ExercisePlan(_Frozen):
    """Where the user stands on one ladder: the rung (``exercise_id``) and its dose.

    ``easy_streak`` counts routines in a row done with pain 0-3, said to feel easy, and
    followed by a settled next morning;
    ``skip_streak`` counts skips in a row. ``held_until``: no climbing up the ladder before
    this date (set when the exercise moved down after it hurt).
    """

    exercise_id: str
    dose: Dose
    easy_streak: Count = 0
    skip_streak: Count = 0
    held_until: date | None = None


class PendingRoutine(_Frozen):
    """The last routine, waiting for the next morning's verdict.

    ``easy``: exercises done with pain 0-3 that earn a step if the person said the routine
    felt easy (``feel``) and the morning is settled; empty after a day with pain above 5.
    ``ached``: exercises that ached (made lighter at once) and move down their ladder if the
    morning is worse.
    """

    local_date: date
    easy: tuple[str, ...] = ()
    ached: tuple[str, ...] = ()
    feel: Feel | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_quiet(cls, data: Any) -> Any:
        # Plans stored before migration 0006 say whether silence counted as settled; it no
        # longer does (no answer is not "settled"), so the flag is read and forgotten.
        if isinstance(data, dict) and "quiet" in data:
            return {key: value for key, value in data.items() if key != "quiet"}
        return data


class Verdict(_Frozen):
    """The morning that judged the last routine, and its worst answer that day so far."""

    local_date: date
    pain: Pain


class RoutineSummary(_Frozen):
    """What the level rules need to know about one routine."""

    local_date: date
    items: Count
    done: Count
    hurts: Count
    max_pain: Pain | None


class Plan(_Frozen):
    """A user's plan: level, one entry per ladder they have met, exclusions and modes.

    * ``exercises``: exercise id (the current rung) -> its :class:`ExercisePlan`; at most one
      rung per ladder. Exercises without an entry start at their starting dose.
    * ``excluded``: exercise id -> the date it may come back (excluded while today < date).
    * ``swaps``: accepted swaps, skipped exercise id -> its replacement.
    * ``gentle_since``: gentle days only (walking, mobility, stretches) since this date;
      ``calm_mornings`` counts mornings in a row at 5 or less while gentle.
    * ``blocked_for_rescreen``: no routine until the red-flag screen is clear again.
    * ``pending``, ``verdict``, ``morning_on``, ``recent``, ``level_since``: bookkeeping for
      the morning and level rules (``morning_on``: the date of the newest morning answer).
    * ``applied_through``: the key of the newest event already applied; older ones are
      skipped, which makes :func:`bot.domain.adaptation.adapt` idempotent.
    """

    level: Level
    exercises: dict[str, ExercisePlan] = Field(default_factory=dict)
    excluded: dict[str, date] = Field(default_factory=dict)
    swaps: dict[str, str] = Field(default_factory=dict)
    gentle_since: date | None = None
    calm_mornings: Count = 0
    blocked_for_rescreen: bool = False
    pending: PendingRoutine | None = None
    verdict: Verdict | None = None
    morning_on: date | None = None
    recent: tuple[RoutineSummary, ...] = ()
    level_since: date | None = None
    applied_through: EventKey | None = None

    @model_validator(mode="after")
    def _keys_match(self) -> Self:
        for key, entry in self.exercises.items():
            if key != entry.exercise_id:
                raise ValueError(f"exercises[{key!r}] holds {entry.exercise_id!r}")
        return self

    @classmethod
    def start(cls, level: int) -> Plan:
        """A new user's plan: everything at its starting dose."""
        return cls(level=level)

    @property
    def gentle(self) -> bool:
        """Gentle days only (mobility, stretches, walking)."""
        return self.gentle_since is not None


# --------------------------------------------------------------------------- the output


class ChangeKind(StrEnum):
    """What changed in the plan."""

    DOSE_UP = "dose_up"
    DOSE_DOWN = "dose_down"
    LADDER_UP = "ladder_up"
    LADDER_DOWN = "ladder_down"
    EXCLUDED = "excluded"
    SWAPPED = "swapped"
    LEVEL_UP = "level_up"
    LEVEL_DOWN = "level_down"
    GENTLE_ON = "gentle_on"
    GENTLE_OFF = "gentle_off"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"


class Reason(StrEnum):
    """Why it changed; a stable code the chat layer turns into a sentence."""

    EARNED = "earned"  # said "easy" twice in a row, pain 0-3, and settled next mornings
    HURT_SHARP = "hurt_sharp"  # sharp, shooting or into the leg
    HURT_TOO_MUCH = "hurt_too_much"  # it hurt (not sharp) with pain above 5
    HURT_ACHE = "hurt_ache"  # it hurt as an ache, pain 5 or less
    PAIN_TOO_HIGH = "pain_too_high"  # done, but with pain above 5
    MORNING_WORSE = "morning_worse"  # next morning (or a later report) 2+ above the baseline
    MORNING_SEVERE = "morning_severe"  # morning pain 7 or more
    MORNING_EASED = "morning_eased"  # morning pain 5 or less twice in a row
    RED_FLAG_SYMPTOM = "red_flag_symptom"  # leg, bladder or bowel symptoms reported
    SCREEN_CLEAR = "screen_clear"  # the red-flag screen was answered all "no"
    REPEATED_HURTS = "repeated_hurts"  # a hurt in 3 of the last 6 routines
    SKIPPED_OFTEN = "skipped_often"  # skipped 3 times in a row (an offer)
    STEADY = "steady"  # about two weeks mostly done with low pain (an offer)
    ACCEPTED = "accepted"  # the user said yes to an offer


class Change(_Frozen):
    """One change to the plan and its reason.

    ``before``/``after`` hold doses (DOSE_*), exercise ids (LADDER_*, SWAPPED, EXCLUDED
    before), levels (LEVEL_*), or nothing. ``until`` is the end of a hold or an exclusion.
    ``params`` carries the numbers behind the reason (``pain``, ``pain_kind``, ``morning``,
    ``baseline``, ``streak``, ``hurts``, ``routines``, ``symptom``).
    """

    kind: ChangeKind
    reason: Reason
    on: date
    exercise_id: str | None = None
    before: Dose | str | int | None = None
    after: Dose | str | int | None = None
    until: date | None = None
    params: dict[str, str | int] = Field(default_factory=dict)


class OfferKind(StrEnum):
    """A change the user has to confirm."""

    SWAP = "swap"
    LEVEL_UP = "level_up"


class Offer(_Frozen):
    """A suggestion for the user: a swap (``alternatives`` for ``exercise_id``) or a level."""

    kind: OfferKind
    reason: Reason
    on: date
    exercise_id: str | None = None
    alternatives: tuple[str, ...] = ()
    level: Level | None = None


class Adaptation(_Frozen):
    """The next plan, what changed and why, what to offer, and the flags for today."""

    plan: Plan
    changes: tuple[Change, ...] = ()
    offers: tuple[Offer, ...] = ()
    rescreen_required: bool = False
    gentle_only: bool = False
    see_professional: bool = False

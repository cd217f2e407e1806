"""Adapting the plan to "done" and "it hurt" (issue 7): pure, deterministic rules.

:func:`adapt` folds the user's new events (finished routines, morning pain answers, symptom
reports, "how did that feel?" answers, typed pain scores) into the plan, in the order of their
key (``at``, then morning < symptom < routine < feel < note).
The plan remembers the key of the newest event it applied (``Plan.applied_through``) and
skips anything at or before it, so the caller may pass the whole recent history every time:
applying the same routine twice never progresses twice. Events are applied on their own
local dates, so one call with many events gives the same plan as one call per event;
``today`` only decides the flags.

Rules (DESIGN.md "Safety rules the product encodes"):

* Pain during or right after an exercise (its own answer, else the routine's end pain):
  0-3 fine, 4-5 acceptable, above 5 too much: done with pain above 5 makes it one dose step
  lighter at once and never progresses.
* It hurt, sharp, shooting or into the leg: one rung down its ladder at the starting dose,
  held there (no climbing back) for 7 days; with no easier rung it is left out for 7 days and
  returns at its starting dose. The same for any other hurt above 5. Leg symptoms
  also block routines until the red-flag screen is clear (:func:`clear_rescreen`).
* It hurt as an ache (or stiffness), pain 5 or less: one dose step lighter at once.
* A day whose pain during an exercise or at the end of the routine went above 5 (a hurt above
  5 included, or a typed score above 5 that day) earns nothing: no step up for any exercise
  after it, and every run of easy routines starts again.
* The next morning decides (the first morning answer 1-2 days after the routine): 2 or more
  above the baseline -> every strength dose one step lighter and an exercise that ached one
  rung down its ladder; above the baseline by any amount -> not settled, no step up for any
  exercise; at or below the baseline -> settled. A typed score on a later day, worse than the
  baseline, judges the same way before the morning answer comes; a second, worse answer about
  a morning already used judges again.
* Progress is asked, not guessed: after a settled morning, exercises done with pain 0-3 count
  one more easy routine only if the person said the routine felt easy ("How did that feel?");
  the second in a row earns a dose step, or at the ceiling the next rung up (at its starting
  dose; dose steps: ``bot.domain.adaptation_dose``). No morning answer (no answer is not
  "settled"), no "easy", a skip, a stop, unknown pain, pain 4-5 or gentle days break the run.
* Three skips in a row of the same exercise -> an offer to swap it for a same-category
  alternative (:func:`accept_swap` applies it).
* Morning pain 7 or more -> gentle days only until two mornings in a row at 5 or less; after
  14 gentle days the ``see_professional`` flag is raised.
* Pain 7 or more today, from any source (the newest report of the pain stream, however it
  came) -> a gentle day: :func:`bot.domain.pain.day_load`, applied where the routine is built.
* Six routines over at least 11 days since the last level change or offer, mostly done
  (80 %) with no hurt and pain 0-3 -> an offer to move up a level (:func:`accept_level_up`).
  Three routines with a hurt among those since the last level change (at most the last six)
  -> one level down.

How the plan reaches the routine builder: :func:`routine_inputs` pins every ladder the user
has met to its current rung (the other rungs are excluded) and swaps a rung above the user's
level in, as ``content.routines`` expects.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from bot.domain.adaptation_inputs import (
    RescreenRequiredError,
    RoutineInputs,
    alternatives,
    routine_inputs,
    same_ladder,
)
from bot.domain.adaptation_model import (
    Adaptation,
    Change,
    ChangeKind,
    Event,
    EventKey,
    ExercisePlan,
    FeelReport,
    ItemRecord,
    MorningReport,
    Offer,
    OfferKind,
    Outcome,
    PainNote,
    Plan,
    Reason,
    RoutineRecord,
    Symptom,
    SymptomReport,
)
from bot.domain.adaptation_rules import MAX_LEVEL, SEE_PROFESSIONAL_DAYS, Fold
from content.library import Library

__all__ = [
    "Adaptation",
    "Change",
    "ChangeKind",
    "Event",
    "ExercisePlan",
    "FeelReport",
    "ItemRecord",
    "MorningReport",
    "Offer",
    "OfferKind",
    "Outcome",
    "PainNote",
    "Plan",
    "Reason",
    "RescreenRequiredError",
    "RoutineInputs",
    "RoutineRecord",
    "Symptom",
    "SymptomReport",
    "accept_level_up",
    "accept_swap",
    "adapt",
    "clear_rescreen",
    "routine_inputs",
]

_RANK = {MorningReport: 0, SymptomReport: 1, RoutineRecord: 2, FeelReport: 3, PainNote: 4}


def adapt(
    plan: Plan,
    library: Library,
    history: Iterable[Event],
    baseline: int,
    today: date,
) -> Adaptation:
    """The next plan after the events not yet applied, with its changes, offers and flags."""
    fold = Fold(plan, library, baseline)
    for key, event in _new_events(plan.applied_through, history):
        fold.apply(key, event)
    return _result(fold.plan(), fold.changes, fold.offers, today)


def clear_rescreen(plan: Plan, today: date) -> Adaptation:
    """The red-flag screen came back all "no": routines may start again."""
    changes: list[Change] = []
    if plan.blocked_for_rescreen:
        plan = plan.model_copy(update={"blocked_for_rescreen": False})
        changes.append(Change(kind=ChangeKind.UNBLOCKED, reason=Reason.SCREEN_CLEAR, on=today))
    return _result(plan, changes, [], today)


def accept_level_up(plan: Plan, today: date) -> Adaptation:
    """The user accepted the offer to move up a level."""
    if plan.level >= MAX_LEVEL:
        return _result(plan, [], [], today)
    change = Change(
        kind=ChangeKind.LEVEL_UP,
        reason=Reason.ACCEPTED,
        on=today,
        before=plan.level,
        after=plan.level + 1,
    )
    plan = plan.model_copy(update={"level": plan.level + 1, "recent": (), "level_since": None})
    return _result(plan, [change], [], today)


def accept_swap(
    plan: Plan, library: Library, exercise_id: str, alternative_id: str, today: date
) -> Adaptation:
    """The user accepted one of the offered alternatives; ValueError if it is not one."""
    if alternative_id not in alternatives(plan, library, exercise_id, today, limit=None):
        raise ValueError(f"{alternative_id!r} is not an alternative to {exercise_id!r} today")
    exercises = dict(plan.exercises)
    if exercise_id in exercises:
        exercises[exercise_id] = exercises[exercise_id].model_copy(update={"skip_streak": 0})
    alternative = library.get(alternative_id)
    if not any(same_ladder(library, key, alternative_id) for key in exercises):
        exercises[alternative_id] = ExercisePlan(
            exercise_id=alternative_id, dose=alternative.dose_start
        )
    change = Change(
        kind=ChangeKind.SWAPPED,
        reason=Reason.ACCEPTED,
        on=today,
        exercise_id=exercise_id,
        before=exercise_id,
        after=alternative_id,
    )
    plan = plan.model_copy(
        update={"exercises": exercises, "swaps": {**plan.swaps, exercise_id: alternative_id}}
    )
    return _result(plan, [change], [], today)


# --------------------------------------------------------------------------- helpers


def _key(event: Event) -> EventKey:
    return (event.at, _RANK[type(event)])


def _new_events(
    applied_through: EventKey | None, history: Iterable[Event]
) -> list[tuple[EventKey, Event]]:
    """Events after the cursor, oldest first; a repeated key counts once."""
    seen: dict[EventKey, Event] = {}
    for event in history:
        key = _key(event)
        if (applied_through is None or key > applied_through) and key not in seen:
            seen[key] = event
    return sorted(seen.items(), key=lambda pair: pair[0])


def _result(
    plan: Plan, changes: Iterable[Change], offers: Iterable[Offer], today: date
) -> Adaptation:
    gentle_days = (today - plan.gentle_since).days if plan.gentle_since is not None else -1
    return Adaptation(
        plan=plan,
        changes=tuple(changes),
        offers=tuple(offers),
        rescreen_required=plan.blocked_for_rescreen,
        gentle_only=plan.gentle,
        see_professional=gentle_days >= SEE_PROFESSIONAL_DAYS,
    )

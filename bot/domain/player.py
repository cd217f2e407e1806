"""The routine player as pure rules: which step comes next, and what a timer's end does.

A routine is a list of exercises; each exercise is a list of timed parts (content's
``Segment``: a hold, a block of reps, or a rest). The player stands at one exercise
(``position``) and one part (``segment``) in one ``Phase``:

* ``CARD``: the exercise card is shown, nothing started. "Start timer" enters part 0.
* ``RUNNING``: a hold or a rest counts down; its end moves to the next part on its own.
* ``PAUSED``: a hold or rest stopped with ``left_ms`` to go.
* ``REPS``: a block of reps; the user says when it is done ("next").
* ``COMPLETE``: every part played; "done" (or "it hurt") closes the exercise.
* ``HURT_KIND`` → ``HURT_PAIN``: what kind of pain, then how much (0–10).
* ``HURT_NEXT``: the exercise was stopped for pain; the next exercise, or the end.
* ``END_PAIN``: "How is your back right now?"; its answer ends the routine.

Safety (DESIGN.md): sharp or shooting pain stops the exercise at once; pain into a leg
also ends the routine and brings the red-flag questions back; a muscle ache is normal
unless it is above 5, which is too much for today.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from bot.domain.safety import PainKind
from content.model import Segment

__all__ = [
    "ACHE_LIMIT",
    "LEG_KINDS",
    "MISSED_AFTER",
    "Action",
    "End",
    "Notice",
    "NoticeKind",
    "Outcome",
    "Phase",
    "State",
    "Step",
    "apply",
    "countdown_every",
    "has_timer",
    "is_missed",
    "leg_end",
    "screen_of",
    "timer_end",
    "timer_missed",
]

ACHE_LIMIT = 5
"""A muscle ache above this (0–10) is too much for today: the exercise stops."""

MISSED_AFTER = timedelta(seconds=30)
"""A timer that ends this late (the bot was down) is reported as missed, not played on."""

LEG_KINDS = frozenset({PainKind.RADIATING, PainKind.LEG_NUMBNESS, PainKind.LEG_WEAKNESS})
_SHARP_KINDS = frozenset({PainKind.SHARP, PainKind.SHOOTING})


class Phase(StrEnum):
    """Where the player stands (see the module docstring)."""

    INTRO = "intro"
    CARD = "card"
    RUNNING = "running"
    PAUSED = "paused"
    REPS = "reps"
    COMPLETE = "complete"
    HURT_KIND = "hurt_kind"
    HURT_PAIN = "hurt_pain"
    HURT_NEXT = "hurt_next"
    END_PAIN = "end_pain"
    ENDED = "ended"


_IN_EXERCISE = frozenset({Phase.CARD, Phase.RUNNING, Phase.PAUSED, Phase.REPS, Phase.COMPLETE})
_SCREENS = {Phase.INTRO: "i", Phase.HURT_KIND: "h", Phase.HURT_PAIN: "h", Phase.HURT_NEXT: "h"}


def screen_of(phase: Phase) -> str:
    """Which kind of message shows this phase: i(ntro), c(ard), h(urt questions), e(nd)."""
    # Buttons carry it: a button works only while its kind of message is the current one,
    # so an old intro, or the pain grid of an earlier question, never answers a later one.
    if phase in _IN_EXERCISE:
        return "c"
    return _SCREENS.get(phase, "e")


class Action(StrEnum):
    """What the user asked for (short values: they travel in callback data)."""

    GO = "go"  # intro: start the routine
    NOT_TODAY = "no"
    SHORTER = "sh"
    TIMER = "t"  # start the guided timer on a card
    PAUSE = "pa"
    RESUME = "re"
    NEXT = "n"  # a block of reps is done
    DONE = "d"
    SKIP = "s"
    HURT = "h"
    STOP = "x"
    KIND = "k"  # with a PainKind
    PAIN = "p"  # with 0–10
    BACK = "b"  # never mind: back to the exercise
    NEXT_EXERCISE = "ne"
    END = "e"


class Outcome(StrEnum):
    """How one exercise ended, as recorded."""

    DONE = "done"
    SKIPPED = "skipped"
    HURT = "hurt"
    STOPPED = "stopped"


class End(StrEnum):
    """How a routine ended, as recorded in routines.status."""

    DONE = "done"
    STOPPED = "stopped"
    DECLINED = "declined"
    SAFETY = "safety"
    EXPIRED = "expired"


# Routines whose exercise records say something about the back (played, at least in part,
# or recorded as done without the player).
RECORDED_ENDS = frozenset({End.DONE.value, End.STOPPED.value, End.SAFETY.value})


class NoticeKind(StrEnum):
    """A short new message, so the phone notifies."""

    RELEASE = "release"  # a hold ended, more to come
    LAST = "last"  # the final part ended: tap done
    GO = "go"  # a rest between sets ended: the next set begins
    MISSED = "missed"  # the bot was down when a timer ended


@dataclass(frozen=True, slots=True)
class Notice:
    """What ended and what comes next, for the renderer."""

    kind: NoticeKind
    ended: Segment
    next: Segment | None = None


@dataclass(frozen=True, slots=True)
class State:
    """The player's place: exercise, part, phase, and what the pain questions need."""

    phase: Phase
    position: int = 0
    segment: int = 0
    left_ms: int | None = None
    back_phase: Phase | None = None  # where "never mind" or a mild ache returns to
    hurt_kind: PainKind | None = None
    stopped: bool = False  # the user ended early (the routine is "stopped", not "done")


@dataclass(frozen=True, slots=True)
class Step:
    """The result of an event: the new state and what the service must do about it."""

    state: State
    timer_ms: int | None = None  # start a timer for the state's segment
    cancel_timer: bool = False
    outcome: Outcome | None = None  # for the exercise at `outcome_position`
    outcome_position: int | None = None
    report: tuple[PainKind, int | None] | None = None  # a pain report for this exercise
    notice: Notice | None = None
    new_card: bool = False  # show the state as a new message (not an edit)
    end: End | None = None
    rescreen: bool = False
    rebuild_shorter: bool = False
    ignored: bool = False  # the event means nothing here: change nothing


def has_timer(segments: Sequence[Segment]) -> bool:
    """Whether "start timer" has anything to time (a hold or a rest)."""
    return any(s.kind != "reps" for s in segments)


def countdown_every(seconds: int) -> int:
    """Seconds between countdown edits of a timer this long: ~3 s, sparser for long ones."""
    if seconds <= 30:
        return 3
    if seconds <= 120:
        return 5
    return 15


def is_missed(late: timedelta) -> bool:
    """Whether a timer this late is reported as missed instead of played on."""
    return late > MISSED_AFTER


def _ignored(state: State) -> Step:
    return Step(state, ignored=True)


def _enter(state: State, segments: Sequence[Segment], index: int) -> tuple[State, int | None]:
    """The state at part `index` (COMPLETE past the end) and the timer it starts, if any."""
    if index >= len(segments):
        return replace(state, phase=Phase.COMPLETE, segment=len(segments), left_ms=None), None
    part = segments[index]
    if part.kind == "reps":
        return replace(state, phase=Phase.REPS, segment=index, left_ms=None), None
    ms = part.seconds * 1000
    return replace(state, phase=Phase.RUNNING, segment=index, left_ms=None), ms


def _next_exercise(
    state: State, count: int, outcome: Outcome | None = None, *, cancel_timer: bool = False
) -> Step:
    """Close the current exercise and show the next card, or ask the end question."""
    base = replace(state, segment=0, left_ms=None, back_phase=None, hurt_kind=None)
    if state.position + 1 < count:
        nxt = replace(base, phase=Phase.CARD, position=state.position + 1)
    else:
        nxt = replace(base, phase=Phase.END_PAIN)
    return Step(
        nxt,
        new_card=True,
        outcome=outcome,
        outcome_position=state.position if outcome else None,
        cancel_timer=cancel_timer,
    )


def apply(
    state: State,
    action: Action,
    segments: Sequence[Segment],
    count: int,
    *,
    value: int | PainKind | None = None,
    left_ms: int | None = None,
) -> Step:
    """A user action on `state` (`segments`: this exercise's parts; `count`: exercises)."""
    phase = state.phase
    if phase is Phase.INTRO:
        return _intro(state, action)
    if phase in _IN_EXERCISE:
        return _exercise(state, action, segments, count, left_ms, value)
    if phase is Phase.HURT_KIND:
        if action is Action.KIND and isinstance(value, PainKind):
            if value in LEG_KINDS:
                return leg_end(state, value)
            return Step(replace(state, phase=Phase.HURT_PAIN, hurt_kind=value))
        if action is Action.BACK:
            return Step(_back(state), new_card=True)
        if action is Action.STOP:
            return _stop(state, Outcome.STOPPED)
        return _ignored(state)
    if phase is Phase.HURT_PAIN:
        if action is Action.PAIN and isinstance(value, int) and 0 <= value <= 10:
            return _pain_report(state, value, count)
        if action is Action.STOP:
            return _stop(state, Outcome.STOPPED)
        return _ignored(state)
    if phase is Phase.HURT_NEXT:
        if action is Action.NEXT_EXERCISE:
            return _next_exercise(state, count)
        if action in (Action.END, Action.STOP):
            return Step(replace(state, phase=Phase.END_PAIN, stopped=True), new_card=True)
        return _ignored(state)
    if phase is Phase.END_PAIN:
        if action is Action.PAIN and isinstance(value, int) and 0 <= value <= 10:
            return Step(replace(state, phase=Phase.ENDED), end=_end_of(state))
        if action is Action.STOP:
            return Step(replace(state, phase=Phase.ENDED), end=_end_of(state))
    return _ignored(state)


def _end_of(state: State) -> End:
    return End.STOPPED if state.stopped else End.DONE


def _intro(state: State, action: Action) -> Step:
    if action is Action.GO:
        return Step(replace(state, phase=Phase.CARD, position=0, segment=0), new_card=True)
    if action in (Action.NOT_TODAY, Action.STOP):
        return Step(replace(state, phase=Phase.ENDED), end=End.DECLINED)
    if action is Action.SHORTER:
        return Step(state, rebuild_shorter=True)
    return _ignored(state)


def _exercise(
    state: State,
    action: Action,
    segments: Sequence[Segment],
    count: int,
    left_ms: int | None,
    value: int | PainKind | None,
) -> Step:
    phase = state.phase
    running = phase is Phase.RUNNING
    if action is Action.DONE:
        return _next_exercise(state, count, Outcome.DONE, cancel_timer=running)
    if action is Action.SKIP:
        return _next_exercise(state, count, Outcome.SKIPPED, cancel_timer=running)
    if action is Action.STOP:
        started = phase is not Phase.CARD
        return _stop(state, Outcome.STOPPED if started else None)
    if action is Action.HURT:
        # The timer stops at once; it resumes (paused) only after a mild ache. A kind named
        # with it ("sharp pain!") skips the question about the kind.
        back = Phase.PAUSED if running else phase
        kept = _left(left_ms) if running else state.left_ms
        kind = value if isinstance(value, PainKind) else None
        if kind in LEG_KINDS:
            assert kind is not None
            return leg_end(replace(state, left_ms=None), kind, cancel_timer=running)
        asking = Phase.HURT_PAIN if kind is not None else Phase.HURT_KIND
        hurt = replace(state, phase=asking, back_phase=back, left_ms=kept, hurt_kind=kind)
        return Step(hurt, cancel_timer=running, new_card=True)
    if action is Action.TIMER and phase is Phase.CARD and has_timer(segments):
        entered, ms = _enter(state, segments, 0)
        return Step(entered, timer_ms=ms)
    if action is Action.PAUSE and running:
        return Step(replace(state, phase=Phase.PAUSED, left_ms=_left(left_ms)), cancel_timer=True)
    if action is Action.RESUME and phase is Phase.PAUSED:
        left = state.left_ms if state.left_ms is not None else _full_ms(state, segments)
        return Step(replace(state, phase=Phase.RUNNING, left_ms=None), timer_ms=max(left, 1000))
    if action is Action.NEXT and phase is Phase.REPS:
        if state.segment + 1 >= len(segments):
            return _next_exercise(state, count, Outcome.DONE)
        entered, ms = _enter(state, segments, state.segment + 1)
        return Step(entered, timer_ms=ms)
    return _ignored(state)


def _left(left_ms: int | None) -> int:
    # A timer paused in its last moments still keeps a second, so "resume" means something.
    return max(left_ms or 0, 1000)


def _full_ms(state: State, segments: Sequence[Segment]) -> int:
    if state.segment < len(segments):
        return segments[state.segment].seconds * 1000
    return 1000


def _back(state: State) -> State:
    phase = state.back_phase or Phase.CARD
    return replace(state, phase=phase, back_phase=None, hurt_kind=None)


def _stop(state: State, outcome: Outcome | None) -> Step:
    ended = replace(
        state, phase=Phase.END_PAIN, stopped=True, back_phase=None, hurt_kind=None, left_ms=None
    )
    return Step(
        ended,
        cancel_timer=state.phase is Phase.RUNNING,
        outcome=outcome,
        outcome_position=state.position if outcome else None,
        new_card=True,
    )


def leg_end(state: State, kind: PainKind, *, cancel_timer: bool = False) -> Step:
    """Leg symptoms: recorded at once (with no score yet) and the routine ends for the screen.

    Nothing the person says next (a number, "stop", silence) can undo the record.
    """
    ended = replace(state, phase=Phase.ENDED, stopped=True, back_phase=None, hurt_kind=kind)
    return Step(
        ended,
        cancel_timer=cancel_timer,
        outcome=Outcome.HURT,
        outcome_position=state.position,
        report=(kind, None),
        end=End.SAFETY,
        rescreen=True,
    )


def _pain_report(state: State, pain: int, count: int) -> Step:
    kind = state.hurt_kind or PainKind.ACHE
    report = (kind, pain)
    if kind in LEG_KINDS:
        ended = replace(state, phase=Phase.ENDED, stopped=True, back_phase=None)
        return Step(
            ended,
            outcome=Outcome.HURT,
            outcome_position=state.position,
            report=report,
            end=End.SAFETY,
            rescreen=True,
        )
    if kind in _SHARP_KINDS or pain > ACHE_LIMIT:
        stopped = replace(state, phase=Phase.HURT_NEXT, back_phase=None, left_ms=None)
        return Step(stopped, outcome=Outcome.HURT, outcome_position=state.position, report=report)
    # Muscles working is normal: record it and carry on where the exercise was.
    return Step(_back(state), report=report, new_card=True)


def timer_end(state: State, segments: Sequence[Segment]) -> Step:
    """The running timer ended on time: say so and move to the next part."""
    if state.phase is not Phase.RUNNING or state.segment >= len(segments):
        return _ignored(state)
    ended = segments[state.segment]
    following = segments[state.segment + 1] if state.segment + 1 < len(segments) else None
    entered, ms = _enter(state, segments, state.segment + 1)
    notice: Notice | None
    if following is None:
        notice = Notice(NoticeKind.LAST, ended)
    elif ended.kind == "hold":
        notice = Notice(NoticeKind.RELEASE, ended, following)
    elif following.set_index > ended.set_index:
        notice = Notice(NoticeKind.GO, ended, following)
    else:
        # A short rest between two holds ends quietly: the release message announced it.
        notice = None
    return Step(entered, timer_ms=ms, notice=notice)


def timer_missed(state: State, segments: Sequence[Segment]) -> Step:
    """The bot was down when the timer ended: that part counts, the next one waits paused."""
    if state.phase is not Phase.RUNNING or state.segment >= len(segments):
        return _ignored(state)
    ended = segments[state.segment]
    index = state.segment + 1
    while index < len(segments) and segments[index].kind == "rest":
        index += 1
    entered, ms = _enter(state, segments, index)
    if ms is not None:
        entered = replace(entered, phase=Phase.PAUSED, left_ms=ms)
    following = segments[index] if index < len(segments) else None
    return Step(entered, notice=Notice(NoticeKind.MISSED, ended, following), new_card=True)

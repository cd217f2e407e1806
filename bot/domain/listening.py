"""The one way in for a typed message: in which order the bot's steps may take it.

Every message is first understood in full (`bot.domain.understanding`). Then, always in this
order: a safety signal is acted on whatever the step; the step the person is on takes its
expected answer (the dialog or the routine they touched last first, then "how did that
feel?", then the morning question for a score, and a score nothing asked for is kept); a
global intent ("start", "done", "it hurt") does what it says; and last, a hint names what
works where they are. Nothing is dropped in silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.onboarding import Step
from bot.domain.player import Phase
from bot.domain.understanding import Understanding

__all__ = ["Place", "Stage", "plan"]


class Stage(StrEnum):
    """One stage of the way in; each either takes the message or passes it on."""

    SAFETY = "safety"
    DIALOG = "dialog"  # onboarding, settings or a safety question
    ROUTINE = "routine"  # the open routine's current phase
    FEEL = "feel"  # "How did that feel?" after today's routine
    MORNING = "morning"  # today's morning or rest-day pain question
    PAIN = "pain"  # a score no question took: one more record of the pain stream
    INTENT = "intent"  # start, done, it hurt ... with no step expecting them
    HINT = "hint"


@dataclass(frozen=True, slots=True)
class Place:
    """Where the person stands when a message arrives."""

    dialog: Step | None = None
    dialog_at: datetime | None = None
    phase: Phase | None = None
    routine_at: datetime | None = None


def plan(place: Place, heard: Understanding) -> tuple[Stage, ...]:
    """The stages that may take this message, in the order they are tried."""
    stages: list[Stage] = [Stage.SAFETY] if heard.safety else []
    steps: list[Stage] = []
    if place.dialog is not None:
        steps.append(Stage.DIALOG)
    if place.phase is not None:
        # The step touched last speaks first: a routine played after /settings was left open
        # hears "done" before the forgotten menu does, and vice versa.
        routine_first = place.dialog_at is None or (
            place.routine_at is not None and place.routine_at > place.dialog_at
        )
        steps.insert(0 if routine_first else len(steps), Stage.ROUTINE)
    stages += steps
    if heard.feel is not None:
        stages.append(Stage.FEEL)
    if heard.pain is not None:
        stages += [Stage.MORNING, Stage.PAIN]
    stages += [Stage.INTENT, Stage.HINT]
    return tuple(stages)

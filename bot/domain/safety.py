"""The red-flag screen as pure rules (NICE NG59 red flags, see DESIGN.md "Safety rules").

Any "yes" blocks the routine. The three flags that can mean nerve compression (cauda
equina) send the user to emergency care now; the others to a doctor today. The screen asks
the emergency questions first and stops at the first "yes", so when it stops on a
doctor-level flag every emergency question has already been answered "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "EMERGENCY_FLAGS",
    "EMERGENCY_WAIT",
    "SCREEN_ORDER",
    "PainKind",
    "RedFlag",
    "Urgency",
    "clearance_from",
    "needs_rescreen",
    "next_question",
    "verdict",
]


class RedFlag(StrEnum):
    """One red-flag question; "yes" means the user has it."""

    BLADDER_BOWEL = "bladder_bowel"  # new bladder or bowel trouble
    SADDLE_NUMBNESS = "saddle_numbness"  # numbness in the saddle area
    BOTH_LEGS = "both_legs"  # weakness or numbness in both legs
    FEVER_UNWELL = "fever_unwell"  # fever or feeling unwell with the back pain
    TRAUMA = "trauma"  # a recent fall or major injury
    CANCER_WEIGHT = "cancer_weight"  # history of cancer or unexplained weight loss
    NIGHT_PAIN = "night_pain"  # pain at night that rest does not ease


class Urgency(StrEnum):
    """The screen's outcome. Only CLEAR lets a routine start."""

    EMERGENCY = "emergency"  # go to emergency care now
    DOCTOR = "doctor"  # see a doctor today
    CLEAR = "clear"  # every question answered "no"
    PENDING = "pending"  # not finished: keep asking (see `next_question`)

    @property
    def allows_routine(self) -> bool:
        """Routines are offered only after a complete, all-"no" screen."""
        return self is Urgency.CLEAR


EMERGENCY_FLAGS: frozenset[RedFlag] = frozenset(
    {RedFlag.BLADDER_BOWEL, RedFlag.SADDLE_NUMBNESS, RedFlag.BOTH_LEGS}
)
SCREEN_ORDER: tuple[RedFlag, ...] = (
    RedFlag.BLADDER_BOWEL,
    RedFlag.SADDLE_NUMBNESS,
    RedFlag.BOTH_LEGS,
    RedFlag.FEVER_UNWELL,
    RedFlag.TRAUMA,
    RedFlag.CANCER_WEIGHT,
    RedFlag.NIGHT_PAIN,
)


def verdict(answers: Mapping[RedFlag, bool]) -> Urgency:
    """The outcome of the answers so far.

    Any emergency "yes" → EMERGENCY at once. Another "yes" → DOCTOR once every emergency
    question is answered "no" (until then PENDING, since an unasked emergency flag would
    outrank it). All seven "no" → CLEAR. Anything else → PENDING, never CLEAR.
    """
    yes = {flag for flag, answer in answers.items() if answer}
    if yes & EMERGENCY_FLAGS:
        return Urgency.EMERGENCY
    emergency_ruled_out = all(flag in answers for flag in EMERGENCY_FLAGS)
    if yes:
        return Urgency.DOCTOR if emergency_ruled_out else Urgency.PENDING
    if all(flag in answers for flag in SCREEN_ORDER):
        return Urgency.CLEAR
    return Urgency.PENDING


EMERGENCY_WAIT = timedelta(hours=24)
"""After an emergency outcome, no clearance counts sooner than this after the flag."""


def clearance_from(urgency: Urgency, flagged_at: datetime) -> datetime:
    """When a clinician's all-clear may be taken: a day after an emergency flag, else at once.

    Until the person confirms a clinician has seen them and said exercise is fine, routines
    stay held; after an emergency-level flag not even that counts within the first 24 hours.
    """
    return flagged_at + EMERGENCY_WAIT if urgency is Urgency.EMERGENCY else flagged_at


def next_question(answers: Mapping[RedFlag, bool]) -> RedFlag | None:
    """The next flag to ask, in SCREEN_ORDER; None once `verdict` is final.

    The first "yes" ends the screen. A doctor-level "yes" recorded out of order leaves the
    verdict pending, and since SCREEN_ORDER starts with them, the unanswered emergency
    questions come next.
    """
    if verdict(answers) is not Urgency.PENDING:
        return None
    return next(flag for flag in SCREEN_ORDER if flag not in answers)


class PainKind(StrEnum):
    """How a pain that came up during or after a routine felt."""

    ACHE = "ache"  # muscles working, a dull ache: normal, not "it hurt"
    STIFF = "stiff"
    SHARP = "sharp"
    SHOOTING = "shooting"
    RADIATING = "radiating"  # spreading into the buttock or down a leg
    LEG_NUMBNESS = "leg_numbness"  # numbness or pins and needles in a leg
    LEG_WEAKNESS = "leg_weakness"


_RESCREEN_KINDS = frozenset(
    {
        PainKind.SHARP,
        PainKind.SHOOTING,
        PainKind.RADIATING,
        PainKind.LEG_NUMBNESS,
        PainKind.LEG_WEAKNESS,
    }
)


def needs_rescreen(kind_of_pain: PainKind) -> bool:
    """Whether this report means asking the red-flag questions again (sharp pain, leg symptoms)."""
    return PainKind(kind_of_pain) in _RESCREEN_KINDS

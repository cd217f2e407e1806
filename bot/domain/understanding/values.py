"""What the understanding step reports: safety findings, a pain score, intents, answers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.feel import Feel
from bot.domain.parsing import Intent
from bot.domain.safety import SCREEN_ORDER, PainKind, RedFlag


class Signal(StrEnum):
    """A safety signal: one of the red-flag kinds, leg symptoms or sharp pain."""

    BLADDER_BOWEL = RedFlag.BLADDER_BOWEL.value
    SADDLE_NUMBNESS = RedFlag.SADDLE_NUMBNESS.value
    BOTH_LEGS = RedFlag.BOTH_LEGS.value
    FEVER_UNWELL = RedFlag.FEVER_UNWELL.value
    TRAUMA = RedFlag.TRAUMA.value
    CANCER_WEIGHT = RedFlag.CANCER_WEIGHT.value
    NIGHT_PAIN = RedFlag.NIGHT_PAIN.value
    LEG = "leg"
    SHARP = "sharp"

    @property
    def red_flag(self) -> RedFlag | None:
        """The red-flag question this signal asks back, if it is one."""
        return RedFlag(self.value) if self.value in _FLAG_VALUES else None


_FLAG_VALUES = frozenset(flag.value for flag in RedFlag)


class When(StrEnum):
    """When a pain score applies, if the person said so."""

    NOW = "now"
    MORNING = "morning"
    DURING = "during"


@dataclass(frozen=True, slots=True)
class Finding:
    """A safety signal heard in a message; `sure` is False when it was said with doubt."""

    signal: Signal
    sure: bool
    kind: PainKind | None = None  # how a leg symptom or a sharp pain is recorded


@dataclass(frozen=True, slots=True)
class PainScore:
    """A 0–10 pain score given in a message."""

    value: int
    when: When | None = None


@dataclass(frozen=True, slots=True)
class Understanding:
    """Everything a message told us, in the order the one way in uses it."""

    findings: tuple[Finding, ...] = ()
    pain: PainScore | None = None
    intents: frozenset[Intent] = frozenset()
    intent: Intent | None = None  # the one intent a step acts on
    answer: bool | None = None  # a clear yes (True) or no (False), for yes/no questions
    leading: bool | None = None  # a yes or no word opening a longer reply ("no, I didn't fall")
    exact_pain: bool = False  # the whole message is the score ("4", "4/10", "about a 4")
    feel: Feel | None = None  # "easy", "about right", "hard": how a routine felt

    @property
    def flags(self) -> tuple[RedFlag, ...]:
        """Red-flag kinds heard (sure or not), most urgent first."""
        heard = {f.signal.red_flag for f in self.findings}
        return tuple(flag for flag in SCREEN_ORDER if flag in heard)

    @property
    def leg(self) -> Finding | None:
        """Leg symptoms, if heard."""
        return self._finding(Signal.LEG)

    @property
    def sharp(self) -> Finding | None:
        """Sharp or shooting pain, if heard."""
        return self._finding(Signal.SHARP)

    @property
    def safety(self) -> bool:
        """Whether anything here must be acted on or asked about before anything else."""
        return bool(self.findings)

    def _finding(self, signal: Signal) -> Finding | None:
        return next((f for f in self.findings if f.signal is signal), None)

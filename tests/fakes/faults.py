"""Random Bot API faults for the fake: a share of calls fail, each with a kind drawn at random."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.chat.offline.botapi import Fault, FaultKind, MemoryBotApi

# "Message is not modified" only means something for an edit.
EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
EVERY_KIND: tuple[FaultKind, ...] = (429, 500, 502, "network", 400, "slow")


@dataclass
class RandomFaults:
    """Makes each call (but getUpdates) fail with probability `rate`; see `fault_rate`."""

    rate: float
    kinds: Sequence[FaultKind] = EVERY_KIND
    seed: int = 0
    retry_after: int = 1
    slow: tuple[float, float] = (0.1, 0.5)  # seconds late: well within a 5 s read timeout
    injected: Counter[str] = field(default_factory=Counter)
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def __call__(self, method: str) -> Fault | None:
        """The fault for this call, or None (called under the fake's lock)."""
        if self._random.random() >= self.rate:
            return None
        kinds = [k for k in self.kinds if k != 400 or method in EDITS]
        if not kinds:
            return None
        kind = self._random.choice(kinds)
        self.injected[str(kind)] += 1
        return Fault(kind, retry_after=self.retry_after, delay=self._random.uniform(*self.slow))

    @property
    def total(self) -> int:
        """How many faults were injected so far."""
        return sum(self.injected.values())


def fault_rate(
    api: MemoryBotApi,
    rate: float,
    kinds: Sequence[FaultKind] = EVERY_KIND,
    seed: int = 0,
) -> RandomFaults:
    """From now on, `rate` of the bot's calls (getUpdates aside) fail with one of `kinds`.

    A 400 ("message is not modified") is drawn only for edits; for other calls the kind is
    drawn from the rest, so the rate holds. `api.set_fault_source(None)` ends it.
    """
    faults = RandomFaults(rate, tuple(kinds), seed)
    api.set_fault_source(faults)
    return faults

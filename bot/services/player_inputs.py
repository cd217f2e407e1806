"""What today's routine is built from beyond the profile: doses, exclusions and swaps.

This is the seam for the adaptation rules: until they supply their own `PlanSource`,
every exercise starts at its library dose and nothing is left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.adaptation import Change
from content.model import Dose


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """Per-user choices for the routine builder (content.routines.RoutineRequest fields)."""

    doses: Mapping[str, Dose] = field(default_factory=dict)
    excluded: frozenset[str] = frozenset()
    swaps: Mapping[str, str] = field(default_factory=dict)
    # Morning pain has been 7+ lately: walking, mobility and stretches only.
    gentle_only: bool = False
    # What the plan changed since the last routine (bot.domain.adaptation.Change), for the
    # intro card.
    changes: tuple[Change, ...] = ()


PlanSource = Callable[[AsyncSession, int, date], Awaitable[PlanInputs]]
"""(session, user id, local date) → inputs; runs inside the player's transaction."""


async def starting_doses(_session: AsyncSession, _user_id: int, _today: date) -> PlanInputs:
    """Every exercise at its starting dose, nothing excluded or swapped."""
    return PlanInputs()

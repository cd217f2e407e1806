"""/progress: a user's pain answers, routines and planned days, read into the chart's series.

Sources: the pain stream (`pain_reports`: morning answers however given, one per day, the
newest; end-of-routine answers), the routines' status (the player), and the morning pushes
themselves, which say which days a routine was planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.tables import PainReport, PlayedRoutine, Push, User
from bot.domain.onboarding import days_from_mask
from bot.domain.pain import ReportKind
from bot.domain.progress import ChartData, PainPoint, chart_data
from bot.services.clock import Clock

DONE = "done"
# Pushes that reached the user or may have: the day was planned and they were told so.
DELIVERED = ("sent", "unknown")


@dataclass(frozen=True, slots=True)
class History:
    """What the progress rules need about one user, from `since` on."""

    morning: list[PainPoint]
    after_routine: list[PainPoint]
    done: list[date]  # one entry per finished routine
    planned: set[date]

    @property
    def pains(self) -> list[PainPoint]:
        """Every pain answer, morning and after a routine."""
        return [*self.morning, *self.after_routine]


async def read_history(s: AsyncSession, user: User, since: date | None = None) -> History:
    """The user's pain answers, finished routines and planned days (local dates)."""
    pains_q = (
        select(PainReport.kind, PainReport.local_date, PainReport.value)
        .where(
            PainReport.user_id == user.id,
            PainReport.kind.in_([ReportKind.MORNING.value, ReportKind.END.value]),
        )
        .order_by(PainReport.at, PainReport.id)
    )
    routines_q = select(PlayedRoutine.local_date, PlayedRoutine.status)
    routines_q = routines_q.where(PlayedRoutine.user_id == user.id)
    pushes_q = select(Push.local_date).where(
        Push.user_id == user.id, Push.kind == "morning", Push.status.in_(DELIVERED)
    )
    if since is not None:
        pains_q = pains_q.where(PainReport.local_date >= since)
        routines_q = routines_q.where(PlayedRoutine.local_date >= since)
        pushes_q = pushes_q.where(Push.local_date >= since)
    mornings: dict[date, int] = {}  # one point a morning: a later answer about it wins
    after: list[PainPoint] = []
    for kind, day, value in (await s.execute(pains_q)).all():
        if kind == ReportKind.MORNING.value:
            mornings[day] = value
        else:
            after.append(PainPoint(day, value))
    morning = [PainPoint(day, pain) for day, pain in mornings.items()]
    done = [day for day, status in (await s.execute(routines_q)).all() if status == DONE]
    # A routine done on a chosen weekday was planned even if its push never went out.
    chosen = days_from_mask(user.days_mask)
    planned = set((await s.scalars(pushes_q)).all()) | {d for d in done if d.weekday() in chosen}
    return History(morning, after, done, planned)


def local_today(user: User, clock: Clock) -> date:
    """Today's date where the user lives."""
    zone = ZoneInfo(user.tz) if user.tz else None
    return clock.now().astimezone(zone).date()


class ProgressService:
    """The series behind the /progress picture."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def chart(self, user_id: int) -> ChartData | None:
        """The user's chart data; None for someone who has not finished setting up."""
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None or user.onboarded_at is None:
                return None
            today = local_today(user, self.clock)
            history = await read_history(s, user)
        return chart_data(
            today,
            morning=history.morning,
            after_routine=history.after_routine,
            done=history.done,
            planned=history.planned,
        )

"""The pain stream: every 0–10 report, from any place, is one row of `pain_reports`.

Every place that hears a pain score writes it here with `record` (inside its own transaction):
onboarding and /settings (baseline), the morning and rest-day questions, the end-of-routine
question, an exercise's "it hurt", and a score typed anywhere (`PainService.typed`). The
routine builder, the plan, the morning push and /progress read the same rows, newest first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import first_delivery
from bot.db.tables import MorningPain, PainReport, User
from bot.domain.pain import PainRecord, ReportKind, Source, typed_kind
from bot.domain.understanding import When
from bot.services.clock import Clock


async def record(
    s: AsyncSession,
    user_id: int,
    *,
    at: datetime,
    local_date: date,
    kind: ReportKind,
    value: int,
    source: Source,
    routine_id: int | None = None,
    exercise_id: str | None = None,
) -> PainRecord:
    """Add one report to the stream (the caller's transaction commits it)."""
    stored = PainRecord(at=at, local_date=local_date, kind=kind, value=value, source=source)
    s.add(
        PainReport(
            user_id=user_id,
            at=at,
            local_date=local_date,
            kind=kind.value,
            value=value,
            source=source.value,
            routine_id=routine_id,
            exercise_id=exercise_id,
        )
    )
    return stored


def _record_of(row: PainReport) -> PainRecord:
    return PainRecord(
        at=row.at,
        local_date=row.local_date,
        kind=ReportKind(row.kind),
        value=row.value,
        source=Source(row.source),
    )


async def newest(s: AsyncSession, user_id: int) -> PainRecord | None:
    """The user's newest report of any kind, if any."""
    row = await s.scalar(
        select(PainReport)
        .where(PainReport.user_id == user_id)
        .order_by(PainReport.at.desc(), PainReport.id.desc())
        .limit(1)
    )
    return _record_of(row) if row is not None else None


@dataclass(frozen=True, slots=True)
class Latest:
    """A user's newest report, and when their newest morning answer was given."""

    report: PainRecord
    morning_at: datetime | None


async def newest_of(s: AsyncSession, user_ids: Collection[int]) -> dict[int, Latest]:
    """Each user's newest report and newest morning time, in one query (for a push batch)."""
    if not user_ids:
        return {}
    times = (
        select(
            PainReport.user_id,
            func.max(PainReport.at).label("at"),
            func.max(
                case((PainReport.kind == ReportKind.MORNING.value, PainReport.at), else_=None)
            ).label("morning_at"),
        )
        .where(PainReport.user_id.in_(user_ids))
        .group_by(PainReport.user_id)
        .subquery()
    )
    stmt = (
        select(PainReport, times.c.morning_at)
        .join(times, (PainReport.user_id == times.c.user_id) & (PainReport.at == times.c.at))
        .order_by(PainReport.id)
    )
    found: dict[int, Latest] = {}
    for row, morning_at in (await s.execute(stmt)).all():
        # Two reports at the same instant: the later row wins, as in `newest`.
        found[row.user_id] = Latest(_record_of(row), morning_at)
    return found


def local_date(user: User, now: datetime, default_tz: str = "UTC") -> date:
    """The user's calendar date at `now`."""
    return now.astimezone(ZoneInfo(user.tz or default_tz)).date()


class PainService:
    """Pain scores told outside any question."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, default_tz: str = "UTC"
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.default_tz = default_tz

    async def typed(
        self, user_id: int, value: int, when: When | None, *, update_id: int | None = None
    ) -> PainRecord | None:
        """A 0–10 score typed outside any question, stored as what the person said it was
        about (now, this morning, during an exercise); None for someone not set up yet, or
        for a message Telegram delivers again (it was stored the first time).

        A typed morning score also answers today's morning question if nothing has yet, so
        the push and the rest-day question do not ask again.
        """
        if not 0 <= value <= 10:
            raise ValueError(f"pain must be 0..10, got {value}")
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None or user.onboarded_at is None:
                return None
            if update_id is not None and not await first_delivery(s, update_id, user_id, now):
                return None
            today = local_date(user, now, self.default_tz)
            kind = typed_kind(when)
            if kind is ReportKind.MORNING and await s.get(MorningPain, (user_id, today)) is None:
                s.add(MorningPain(user_id=user_id, local_date=today, pain=value, at=now))
            return await record(
                s,
                user_id,
                at=now,
                local_date=today,
                kind=kind,
                value=value,
                source=Source.TYPED,
            )

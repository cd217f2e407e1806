"""The weekly summary: each user's day (Sunday unless changed, or off), claimed exactly once.

Finishing onboarding gives a user a `summary_settings` row with the UTC time of their next
summary (18:00 local on their chosen weekday); the tick's first run after a start gives one to
anyone onboarded before that existed (an anti-join over all users: too dear every minute).
Rows whose time has come are claimed in one transaction that also inserts the
`weekly_summaries` row (unique per user and ISO week) and moves the time on a week; only then
is the message sent. A restart, a retry or a second instance finds the row and sends nothing,
as with the morning pushes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import cast

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import dialect_insert, insert_ignoring_conflicts
from bot.db.tables import ExerciseRecord, PlayedRoutine, SummarySettings, User, WeeklySummary
from bot.domain.progress import DoseChange, WeekNumbers, monday, plan_changes, week_numbers
from bot.domain.schedule import next_due
from bot.services.clock import Clock
from bot.services.progress import read_history
from bot.services.pushes import pushable
from content.model import Dose

log = logging.getLogger(__name__)

SUNDAY = 6
SUMMARY_TIME = time(18, 0)
# A summary later than this (the bot was down) is skipped: next week's is the next one.
LATE_AFTER = timedelta(hours=12)
MAX_CLAIM = 100
# How far back "what changed in the plan" looks for an exercise's earlier dose.
PLAN_LOOKBACK = timedelta(weeks=8)


class Outcome(StrEnum):
    """How sending one summary ended, as stored in weekly_summaries.status."""

    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Choice:
    """The user's summary day (0 = Monday), or None when summaries are off."""

    weekday: int | None


@dataclass(frozen=True, slots=True)
class SummaryJob:
    """One summary to send, with everything its text needs."""

    summary_id: int
    user_id: int
    chat_id: int
    numbers: WeekNumbers
    changes: tuple[DoseChange, ...] | None  # None: no earlier week to compare with


def _next_at(user: User, weekday: int, now: datetime, last: date | None = None) -> datetime | None:
    if user.tz is None:
        return None
    due = next_due(
        now, tz=user.tz, days=frozenset({weekday}), at=SUMMARY_TIME, last_local_date=last
    )
    assert due is not None  # one weekday is always chosen
    return due.due_utc


async def enrol_user(s: AsyncSession, user: User, now: datetime) -> None:
    """The default summary (Sunday) for a user who just finished onboarding; a no-op after.

    Call inside the transaction that changed the profile. An existing row, with the user's
    own choice, is left as it is.
    """
    if user.onboarded_at is not None and user.tz is not None:
        await _enrol(s, [user], now)


async def _enrol(s: AsyncSession, users: list[User], now: datetime) -> None:
    """Sunday summaries for these users; one who already has settings keeps them."""
    rows = [
        {"user_id": u.id, "weekday": SUNDAY, "enabled": True, "next_at": _next_at(u, SUNDAY, now)}
        for u in users
    ]
    await s.execute(insert_ignoring_conflicts(s, SummarySettings, rows, ["user_id"]))


class WeeklyService:
    """Summary settings, and the claim → send → record cycle of the weekly summary tick."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    # ----------------------------------------------------------------- settings

    async def choice(self, user_id: int) -> Choice:
        """The user's current summary day (Sunday until they choose)."""
        async with self.sessions.begin() as s:
            row = await s.get(SummarySettings, user_id)
        if row is None:
            return Choice(SUNDAY)
        return Choice(row.weekday if row.enabled else None)

    async def choose(self, user_id: int, weekday: int | None) -> Choice | None:
        """Set the summary day, or switch summaries off (None); None for an unknown user."""
        if weekday is not None and not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {weekday}")
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None:
                return None
            row = await s.get(SummarySettings, user_id, with_for_update=True)
            if row is None:
                row = SummarySettings(user_id=user_id, weekday=SUNDAY, enabled=True)
                s.add(row)
            row.enabled = weekday is not None
            if weekday is not None:
                row.weekday = weekday
            row.next_at = _next_at(user, row.weekday, now) if row.enabled else None
        return Choice(weekday)

    # ----------------------------------------------------------------- the tick

    async def enrol(self, limit: int = MAX_CLAIM) -> int:
        """Give up to `limit` onboarded users without summary settings the default; count them."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            stmt = (
                select(User)
                .outerjoin(SummarySettings, SummarySettings.user_id == User.id)
                .where(
                    SummarySettings.user_id.is_(None),
                    User.onboarded_at.is_not(None),
                    User.tz.is_not(None),
                )
                .limit(limit)
            )
            users = list((await s.scalars(stmt)).all())
            if not users:
                return 0
            # A user choosing their day at this very moment keeps their choice.
            await _enrol(s, users, now)
        return len(users)

    async def claim(self, limit: int = MAX_CLAIM) -> list[SummaryJob]:
        """Claim up to `limit` summaries due now: rows written, times moved a week on."""
        now = self.clock.now()
        jobs: list[SummaryJob] = []
        async with self.sessions.begin() as s:
            while len(jobs) < limit:
                stmt = (
                    select(SummarySettings, User)
                    .join(User, User.id == SummarySettings.user_id)
                    .where(SummarySettings.enabled, SummarySettings.next_at <= now)
                    .order_by(SummarySettings.next_at, SummarySettings.user_id)
                    .limit(limit - len(jobs))
                    # Two instances split the work; SQLite drops the clause (one writer).
                    .with_for_update(skip_locked=True, of=SummarySettings)
                )
                due = (await s.execute(stmt)).all()
                if not due:
                    break
                # Each row's time moves past now, so this ends even when none yields a job.
                for row, user in due:
                    job = await self._claim_one(s, row, user, now)
                    if job is not None:
                        jobs.append(job)
                await s.flush()
        return jobs

    async def _claim_one(
        self, s: AsyncSession, row: SummarySettings, user: User, now: datetime
    ) -> SummaryJob | None:
        assert row.next_at is not None
        if user.tz is None:
            row.next_at = None
            return None
        # The due time in the user's zone as it is now (they may have moved since).
        due = next_due(
            row.next_at - timedelta(seconds=1),
            tz=user.tz,
            days=frozenset({row.weekday}),
            at=SUMMARY_TIME,
        )
        assert due is not None
        if due.due_utc > now:
            row.next_at = due.due_utc
            return None
        row.next_at = _next_at(user, row.weekday, now, last=due.local_date)
        if now - due.due_utc > LATE_AFTER:
            log.warning("weekly summary of user %s for %s skipped: late", user.id, due.local_date)
            return None
        if not pushable(user, now):
            return None
        stmt = (
            dialect_insert(s)(WeeklySummary)
            .values(
                user_id=user.id,
                week_start=monday(due.local_date),
                local_date=due.local_date,
                status="sending",
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "week_start"])
            .returning(WeeklySummary.id)
        )
        summary_id = await s.scalar(stmt)
        if summary_id is None:
            log.info("weekly summary of user %s for %s already sent", user.id, due.local_date)
            return None
        numbers, changes = await self._figures(s, user, due.local_date)
        return SummaryJob(summary_id, user.id, user.chat_id, numbers, changes)

    async def _figures(
        self, s: AsyncSession, user: User, end: date
    ) -> tuple[WeekNumbers, tuple[DoseChange, ...] | None]:
        start = end - timedelta(days=6)
        history = await read_history(s, user, since=end - timedelta(days=13))
        numbers = week_numbers(end, pains=history.pains, done=history.done, planned=history.planned)
        stmt = (
            select(ExerciseRecord.exercise_id, ExerciseRecord.dose, ExerciseRecord.local_date)
            .join(PlayedRoutine, PlayedRoutine.id == ExerciseRecord.routine_id)
            .where(
                ExerciseRecord.user_id == user.id,
                ExerciseRecord.shown_at.is_not(None),
                ExerciseRecord.local_date >= start - PLAN_LOOKBACK,
                ExerciseRecord.local_date <= end,
            )
            .order_by(ExerciseRecord.local_date, ExerciseRecord.routine_id, ExerciseRecord.idx)
        )
        before: dict[str, Dose] = {}
        latest: dict[str, Dose] = {}
        for exercise_id, raw, day in (await s.execute(stmt)).all():
            try:
                dose = Dose.model_validate(raw)
            except ValidationError:
                continue
            (latest if day >= start else before)[exercise_id] = dose
        return numbers, plan_changes(before, latest)

    async def record(self, results: list[tuple[SummaryJob, Outcome, int | None]]) -> None:
        """Store how each send ended; users who blocked the bot become inactive."""
        if not results:
            return
        now = self.clock.now()
        table = cast(Table, WeeklySummary.__table__)
        async with self.sessions.begin() as s:
            # A core UPDATE by id: a row erased by /delete meanwhile is simply not there.
            await s.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    message_id=bindparam("b_message"),
                    finished_at=now,
                ),
                [
                    {"b_id": job.summary_id, "b_status": outcome.value, "b_message": message}
                    for job, outcome, message in results
                ],
            )
            blocked = {job.user_id for job, outcome, _ in results if outcome is Outcome.BLOCKED}
            if blocked:
                await s.execute(update(User).where(User.id.in_(blocked)).values(active=False))

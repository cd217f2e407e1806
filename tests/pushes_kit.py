"""Helpers for the push tests: onboarded users in the database and a recording sender."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.tables import MorningPain, Push, User
from bot.services import Services
from bot.services.pushes import Outcome, PushJob, SendResult, refresh_next_due

EVERY_DAY = frozenset(range(7))


@pytest.fixture(autouse=True)
def unpaced(request: pytest.FixtureRequest) -> None:
    """Tests send as fast as they can: pacing to 30 msg/s would only make them wait."""
    if "services" in request.fixturenames:
        services: Services = request.getfixturevalue("services")
        services.pushes.pacer = None


def mask(days: Iterable[int]) -> int:
    """A users.days_mask for weekday numbers (0=Monday)."""
    return sum(1 << d for d in set(days))


async def add_ready_users(
    services: Services,
    ids: Iterable[int],
    *,
    tz: str = "Europe/London",
    days: Iterable[int] = EVERY_DAY,
    at: time = time(7, 0),
    baseline_pain: int = 2,
    **columns: Any,
) -> None:
    """Users who finished onboarding (consent, clear screen, schedule) with next_due set."""
    now = services.clock.now()
    async with services.sessions.begin() as s:
        for user_id in ids:
            user = User(
                id=user_id,
                chat_id=user_id,
                first_name=f"User{user_id}",
                created_at=now,
                active=True,
                consent_at=now,
                onboarded_at=now,
                safety="clear",
                baseline_pain=baseline_pain,
                level=1,
                days_mask=mask(days),
                push_time=at,
                tz=tz,
                paused_indefinitely=False,
            )
            for name, value in columns.items():
                setattr(user, name, value)
            s.add(user)
            await s.flush()
            await refresh_next_due(s, user, now)


async def add_ready_user(services: Services, user_id: int, **kwargs: Any) -> None:
    """One onboarded user (see add_ready_users)."""
    await add_ready_users(services, [user_id], **kwargs)


async def user_row(services: Services, user_id: int) -> User:
    """The stored user."""
    async with services.sessions.begin() as s:
        user = await s.get(User, user_id)
        assert user is not None
        return user


async def pushes_of(services: Services, user_id: int | None = None) -> list[Push]:
    """Stored push rows (of one user), oldest first."""
    async with services.sessions.begin() as s:
        stmt = select(Push).order_by(Push.id)
        if user_id is not None:
            stmt = stmt.where(Push.user_id == user_id)
        return list((await s.scalars(stmt)).all())


async def morning_answers(services: Services, user_id: int) -> list[tuple[date, int]]:
    """(local date, pain) of a user's morning answers."""
    async with services.sessions.begin() as s:
        rows = await s.execute(
            select(MorningPain.local_date, MorningPain.pain)
            .where(MorningPain.user_id == user_id)
            .order_by(MorningPain.local_date)
        )
        return [(day, pain) for day, pain in rows.all()]


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class Recorder:
    """A Send that plays Telegram: records every job it gets, optionally blocks or hangs."""

    def __init__(
        self,
        *,
        blocked: Iterable[int] = (),
        hang_after: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.jobs: list[PushJob] = []
        self.blocked = set(blocked)
        self.hang_after = hang_after
        self.delay = delay
        self.hanging = 0
        self._never = asyncio.Event()

    async def __call__(self, job: PushJob) -> SendResult:
        if job.chat_id in self.blocked:
            return SendResult(Outcome.BLOCKED, error="Forbidden: bot was blocked by the user")
        # Telegram has the message as soon as the request arrives, answered or not.
        self.jobs.append(job)
        if self.hang_after is not None and len(self.jobs) > self.hang_after:
            self.hanging += 1
            await self._never.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        return SendResult(Outcome.SENT, message_id=len(self.jobs))

    def per_user(self, kind: str = "morning") -> Counter[int]:
        """How many pushes of `kind` each user received."""
        return Counter(job.user_id for job in self.jobs if job.kind == kind)

    def days(self, user_id: int) -> list[date]:
        """The local dates of one user's morning pushes, in order."""
        return [j.local_date for j in self.jobs if j.user_id == user_id and j.kind == "morning"]

"""The series behind /progress, read from the pushes', player and pain stream tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pain_kit import with_stream

from bot.db.tables import MorningPain, PlayedRoutine, Push, User
from bot.domain.progress import PainChange, PainPoint, WeekCount
from bot.services import Services

pytestmark = pytest.mark.db

ANN, BO = 1001, 2002
MWF = 0b10101
# The tests' clock stands on Saturday 21 Nov 2026, 06:00 UTC.
TODAY = date(2026, 11, 21)


def d(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def at(day: date) -> datetime:
    return datetime.combine(day, time(8), tzinfo=UTC)


async def add_user(services: Services, user_id: int, *, onboarded: bool = True) -> None:
    now = services.clock.now()
    async with services.sessions.begin() as s:
        s.add(
            User(
                id=user_id,
                chat_id=user_id,
                first_name="Ann",
                created_at=now,
                consent_at=now,
                onboarded_at=now if onboarded else None,
                safety="clear",
                baseline_pain=5,
                level=2,
                days_mask=MWF,
                push_time=time(7, 30),
                tz="Europe/London",
            )
        )


def routine(user_id: int, day: date, status: str, end_pain: int | None, **extra: Any) -> Any:
    return PlayedRoutine(
        user_id=user_id,
        chat_id=user_id,
        local_date=day,
        status=status,
        phase="ended",
        minutes_planned=15,
        pain_used=3,
        items=[],
        created_at=at(day),
        updated_at=at(day),
        end_pain=end_pain,
        **extra,
    )


def push(user_id: int, day: date, status: str = "sent", kind: str = "morning") -> Push:
    return Push(user_id=user_id, local_date=day, kind=kind, due_at=at(day), status=status)


async def add(services: Services, *rows: Any) -> None:
    """Store rows as the bot does: with their pain answers in the stream."""
    async with services.sessions.begin() as s:
        s.add_all(with_stream(*rows))


async def test_the_chart_series_come_from_morning_pain_and_routines(services: Services) -> None:
    await add_user(services, ANN)
    await add_user(services, BO)
    await add(
        services,
        # Morning answers (one far outside the window: it only counts for the change).
        MorningPain(user_id=ANN, local_date=d(-70), pain=7, at=at(d(-70))),
        MorningPain(user_id=ANN, local_date=d(-19), pain=6, at=at(d(-19))),
        MorningPain(user_id=ANN, local_date=d(-5), pain=4, at=at(d(-5))),
        MorningPain(user_id=BO, local_date=d(-5), pain=9, at=at(d(-5))),
    )
    await add(
        services,
        routine(ANN, d(-19), "done", 5),  # Mon 2 Nov
        routine(ANN, d(-12), "stopped", 6),  # Mon 9 Nov: pain counts, the routine does not
        routine(ANN, d(-5), "done", 3),  # Mon 16 Nov
        routine(ANN, d(-3), "done", None),  # Wed 18 Nov, pain question unanswered
        routine(ANN, d(-1), "declined", None),  # Fri 20 Nov: "not today"
        routine(BO, d(-3), "done", 1),
    )

    data = await services.progress.chart(ANN)

    assert data is not None
    assert data.end == TODAY and data.start == date(2026, 9, 28)  # 8 weeks: answers go back far
    assert data.morning == (PainPoint(d(-19), 6), PainPoint(d(-5), 4))
    assert data.after_routine == (PainPoint(d(-19), 5), PainPoint(d(-12), 6), PainPoint(d(-5), 3))
    assert [w.done for w in data.weeks] == [0, 0, 0, 0, 0, 1, 0, 2]
    assert data.weeks[-1] == WeekCount(date(2026, 11, 16), 2)
    # First week with answers: the one of 12 Sep (7); the latest: 16 Nov (4 and 3).
    assert data.change == PainChange(date(2026, 9, 7), 7.0, date(2026, 11, 16), 3.5)
    assert data.enough


async def test_streak_counts_planned_days_from_the_pushes(services: Services) -> None:
    await add_user(services, ANN)
    await add(
        services,
        push(ANN, d(-12)),  # Mon 9: pushed, not done → the streak before it is broken
        push(ANN, d(-10), status="failed"),  # Wed 11: never reached the user, not planned
        push(ANN, d(-8), status="dropped"),
        push(ANN, d(-5)),  # Mon 16
        push(ANN, d(-3), status="unknown"),  # Wed 18: may have been delivered: planned
        push(ANN, d(-1)),  # Fri 20
        push(ANN, d(-1), kind="reminder"),
        routine(ANN, d(-8), "done", 2),  # Fri 13: done without a push, still a planned day
        routine(ANN, d(-6), "done", 2),  # Sun 15: a rest day: neither counts nor breaks
        routine(ANN, d(-5), "done", 2),
        routine(ANN, d(-3), "done", 2),
        routine(ANN, d(-1), "done", 2),
    )
    data = await services.progress.chart(ANN)
    assert data is not None
    assert data.streak == 4  # Fri 20, Wed 18, Mon 16, Fri 13; Mon 9 was missed


async def test_a_missed_planned_day_ends_the_streak(services: Services) -> None:
    await add_user(services, ANN)
    await add(services, push(ANN, d(-5)), push(ANN, d(-3)), routine(ANN, d(-5), "done", 2))
    data = await services.progress.chart(ANN)
    assert data is not None and data.streak == 0


async def test_nothing_yet_is_an_empty_but_valid_chart(services: Services) -> None:
    await add_user(services, ANN)
    data = await services.progress.chart(ANN)
    assert data is not None
    assert data.points == 0 and not data.enough and data.streak == 0
    assert len(data.weeks) == 4 and data.change is None


async def test_no_chart_before_onboarding(services: Services) -> None:
    assert await services.progress.chart(ANN) is None
    await add_user(services, ANN, onboarded=False)
    assert await services.progress.chart(ANN) is None

"""The weekly summary: enrolment, the due time in local time, exactly once per user and week."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from pain_kit import with_stream
from sqlalchemy import select, update

from bot.db.tables import (
    ExerciseRecord,
    MorningPain,
    PlayedRoutine,
    Push,
    SummarySettings,
    User,
    WeeklySummary,
)
from bot.domain.progress import DoseChange, WeekNumbers
from bot.services import Services, build_services
from bot.services.clock import FrozenClock
from bot.services.weekly import Choice, Outcome
from content.model import Dose

pytestmark = pytest.mark.db

ANN, BO = 1001, 2002
# The clock starts on Saturday 21 Nov 2026, 06:00 UTC; London is on UTC in winter.
SUNDAY_6PM = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)


async def add_user(services: Services, user_id: int, tz: str = "Europe/London", **kw: Any) -> None:
    now = services.clock.now()
    values: dict[str, Any] = {
        "id": user_id,
        "chat_id": user_id,
        "first_name": "Ann",
        "created_at": now,
        "consent_at": now,
        "onboarded_at": now,
        "safety": "clear",
        "baseline_pain": 5,
        "level": 2,
        "days_mask": 0b10101,
        "push_time": time(7, 30),
        "tz": tz,
        **kw,
    }
    async with services.sessions.begin() as s:
        s.add(User(**values))


async def settings_of(services: Services, user_id: int) -> SummarySettings:
    async with services.sessions() as s:
        row = await s.get(SummarySettings, user_id)
        assert row is not None
        return row


async def summaries(services: Services) -> list[WeeklySummary]:
    async with services.sessions() as s:
        return list((await s.scalars(select(WeeklySummary).order_by(WeeklySummary.id))).all())


async def test_onboarded_users_are_enrolled_for_sunday_evening_in_their_zone(
    services: Services,
) -> None:
    await add_user(services, ANN)
    await add_user(services, BO, tz="Asia/Tokyo")
    await add_user(services, 3003, onboarded_at=None)
    assert await services.weekly.enrol() == 2
    assert await services.weekly.enrol() == 0
    assert (await settings_of(services, ANN)).next_at == SUNDAY_6PM
    # 18:00 in Tokyo is 09:00 UTC.
    assert (await settings_of(services, BO)).next_at == datetime(2026, 11, 22, 9, tzinfo=UTC)
    async with services.sessions() as s:
        assert await s.get(SummarySettings, 3003) is None


async def test_a_summary_is_claimed_once_when_due_and_then_a_week_later(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    assert await services.weekly.claim() == []
    clock.set(SUNDAY_6PM - timedelta(seconds=1))
    assert await services.weekly.claim() == []

    clock.set(SUNDAY_6PM + timedelta(minutes=1))
    (job,) = await services.weekly.claim()
    assert job.user_id == ANN and job.chat_id == ANN
    assert job.numbers.end == date(2026, 11, 22)
    assert await services.weekly.claim() == []
    (row,) = await summaries(services)
    assert (row.week_start, row.local_date, row.status) == (
        date(2026, 11, 16),
        date(2026, 11, 22),
        "sending",
    )
    assert (await settings_of(services, ANN)).next_at == SUNDAY_6PM + timedelta(weeks=1)

    await services.weekly.record([(job, Outcome.SENT, 77)])
    (row,) = await summaries(services)
    assert row.status == "sent" and row.message_id == 77 and row.finished_at is not None

    clock.set(SUNDAY_6PM + timedelta(weeks=1))
    (later,) = await services.weekly.claim()
    assert later.numbers.end == date(2026, 11, 29)


async def test_two_instances_claiming_at_once_send_one_summary(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    clock.set(SUNDAY_6PM)
    other = build_services(services.settings, clock=clock)
    try:
        results = await asyncio.gather(
            services.weekly.claim(), other.weekly.claim(), services.weekly.claim()
        )
    finally:
        await other.close()
    assert sum(len(jobs) for jobs in results) == 1
    assert len(await summaries(services)) == 1


async def test_the_unique_week_stops_a_second_summary_whatever_the_due_time_says(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    clock.set(SUNDAY_6PM)
    assert len(await services.weekly.claim()) == 1
    # A stale row (say, restored from a backup) claims the same week again: nothing is sent.
    async with services.sessions.begin() as s:
        await s.execute(update(SummarySettings).values(next_at=SUNDAY_6PM))
    assert await services.weekly.claim() == []
    assert len(await summaries(services)) == 1


async def test_moving_the_day_within_a_week_does_not_send_twice(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    assert await services.weekly.choose(ANN, 2) == Choice(2)  # Wednesday
    wednesday = datetime(2026, 11, 25, 18, tzinfo=UTC)
    assert (await settings_of(services, ANN)).next_at == wednesday
    clock.set(wednesday)
    assert len(await services.weekly.claim()) == 1
    await services.weekly.choose(ANN, 6)  # Sunday of the same ISO week
    clock.set(datetime(2026, 11, 29, 18, tzinfo=UTC))
    assert await services.weekly.claim() == []
    assert (await settings_of(services, ANN)).next_at == datetime(2026, 12, 6, 18, tzinfo=UTC)


async def test_switched_off_means_no_summary(services: Services, clock: FrozenClock) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    assert await services.weekly.choose(ANN, None) == Choice(None)
    assert await services.weekly.choice(ANN) == Choice(None)
    assert (await settings_of(services, ANN)).next_at is None
    assert await services.weekly.enrol() == 0  # the choice is kept
    clock.set(SUNDAY_6PM)
    assert await services.weekly.claim() == []
    await services.weekly.choose(ANN, 6)  # back on, from next Sunday
    assert await services.weekly.choice(ANN) == Choice(6)
    clock.set(SUNDAY_6PM + timedelta(weeks=1))
    assert len(await services.weekly.claim()) == 1


async def test_the_default_choice_is_sunday_and_unknown_users_are_refused(
    services: Services,
) -> None:
    assert await services.weekly.choice(ANN) == Choice(6)
    assert await services.weekly.choose(ANN, 3) is None
    with pytest.raises(ValueError):
        await services.weekly.choose(ANN, 7)


@pytest.mark.parametrize(
    "columns",
    [
        {"active": False},
        {"paused_indefinitely": True},
        {"safety": "doctor"},
        {"paused_until": datetime(2026, 11, 24, tzinfo=UTC)},
    ],
)
async def test_no_summary_for_blocked_paused_or_unsafe_users(
    services: Services, clock: FrozenClock, columns: dict[str, Any]
) -> None:
    await add_user(services, ANN, **columns)
    await services.weekly.enrol()
    clock.set(SUNDAY_6PM)
    assert await services.weekly.claim() == []
    assert await summaries(services) == []
    assert (await settings_of(services, ANN)).next_at == SUNDAY_6PM + timedelta(weeks=1)


async def test_a_summary_more_than_half_a_day_late_is_skipped(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    clock.set(SUNDAY_6PM + timedelta(hours=13))
    assert await services.weekly.claim() == []
    assert (await settings_of(services, ANN)).next_at == SUNDAY_6PM + timedelta(weeks=1)


async def test_a_move_to_another_zone_follows_the_new_local_evening(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    async with services.sessions.begin() as s:
        await s.execute(update(User).values(tz="America/New_York"))  # 18:00 there is 23:00 UTC
    clock.set(SUNDAY_6PM)
    assert await services.weekly.claim() == []
    assert (await settings_of(services, ANN)).next_at == datetime(2026, 11, 22, 23, tzinfo=UTC)
    clock.set(datetime(2026, 11, 22, 23, tzinfo=UTC))
    assert len(await services.weekly.claim()) == 1


def when(day: date) -> datetime:
    return datetime.combine(day, time(8), tzinfo=UTC)


async def test_the_figures_count_the_week_against_the_one_before(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    this_week = [date(2026, 11, 16), date(2026, 11, 18), date(2026, 11, 20)]
    last_week = [date(2026, 11, 9), date(2026, 11, 11)]
    reps8, reps10 = {"kind": "reps", "amount": 8}, {"kind": "reps", "amount": 10}
    async with services.sessions.begin() as s:
        for day in [*this_week, *last_week]:
            s.add(
                Push(user_id=ANN, local_date=day, kind="morning", due_at=when(day), status="sent")
            )
        s.add_all(
            with_stream(
                MorningPain(
                    user_id=ANN, local_date=date(2026, 11, 16), pain=4, at=when(this_week[0])
                ),
                MorningPain(
                    user_id=ANN, local_date=date(2026, 11, 9), pain=6, at=when(last_week[0])
                ),
            )
        )
        plan = {
            date(2026, 11, 9): ("done", 6, {"bird_dog": reps8, "glute_bridge": reps8}),
            date(2026, 11, 16): ("done", 3, {"bird_dog": reps8, "glute_bridge": reps8}),
            date(2026, 11, 20): ("done", 2, {"bird_dog": reps10, "dead_bug": reps8}),
        }
        for day, (status, end_pain, doses) in plan.items():
            routine = PlayedRoutine(
                user_id=ANN, chat_id=ANN, local_date=day, status=status, phase="ended",
                minutes_planned=15, pain_used=3, items=[], created_at=when(day),
                updated_at=when(day), end_pain=end_pain,
            )  # fmt: skip
            s.add_all(with_stream(routine))
            await s.flush()
            for idx, (exercise_id, dose) in enumerate(doses.items()):
                s.add(
                    ExerciseRecord(
                        routine_id=routine.id, idx=idx, user_id=ANN, local_date=day,
                        exercise_id=exercise_id, dose=dose, shown_at=when(day),
                    )
                )  # fmt: skip
    clock.set(SUNDAY_6PM)
    (job,) = await services.weekly.claim()
    # Pain this week: 4 (morning), 3 and 2 (after routines); the week before: 6 and 6.
    assert job.numbers == WeekNumbers(
        date(2026, 11, 22), done=2, planned=3, pain=3.0, pain_before=6.0
    )
    reps = Dose(kind="reps", amount=8)
    assert job.changes == (
        DoseChange("bird_dog", reps, Dose(kind="reps", amount=10)),
        DoseChange("dead_bug", None, reps),
    )


async def test_the_first_week_has_no_plan_changes_to_compare(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await services.weekly.enrol()
    clock.set(SUNDAY_6PM)
    (job,) = await services.weekly.claim()
    assert job.changes is None
    assert job.numbers == WeekNumbers(date(2026, 11, 22), 0, 0, None, None)


async def test_blocked_makes_the_user_inactive_and_an_erased_user_is_no_error(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, ANN)
    await add_user(services, BO)
    await services.weekly.enrol()
    clock.set(SUNDAY_6PM)
    jobs = {job.user_id: job for job in await services.weekly.claim()}
    await services.privacy.delete(BO)  # erased while the summary was on its way
    await services.weekly.record([(jobs[ANN], Outcome.BLOCKED, None), (jobs[BO], Outcome.SENT, 5)])
    user = await services.users.get(ANN)
    assert user is not None and not user.active
    (row,) = await summaries(services)
    assert row.user_id == ANN and row.status == "blocked"

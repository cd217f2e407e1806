"""Exactly once: restarts mid fan-out, two schedulers on one database, replays and doubts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from fakes.waiting import until
from pushes_kit import (
    Recorder,
    add_ready_user,
    add_ready_users,
    pushes_of,
    unpaced,  # noqa: F401  (autouse fixture)
    user_row,
    utc,
)
from sqlalchemy import update

from bot.config import Settings
from bot.db.tables import User
from bot.services import Services, build_services
from bot.services.clock import FrozenClock
from bot.services.pushes import (
    CLAIM_STALE,
    STALE_AFTER,
    Outcome,
    PushJob,
    PushService,
    SendResult,
)
from bot.services.scheduler import fan_out

pytestmark = pytest.mark.db

USERS = range(1, 201)
SEVEN = utc(2026, 11, 21, 7)


@pytest.fixture
async def other_instance(
    settings: Settings, clock: FrozenClock, services: Services
) -> AsyncIterator[Callable[[], Services]]:
    """Builds more processes' worth of services (own engine, own pool) on the same database."""
    built: list[Services] = []

    def build() -> Services:
        built.append(build_services(settings, clock=clock))
        return built[-1]

    yield build
    for other in built:
        await other.close()


def pushes(services: Services, workers: int) -> PushService:
    """A push service with a given number of sends in flight."""
    return PushService(
        services.sessions, services.clock, services.settings, workers=workers, paced=False
    )


async def test_crash_mid_fan_out_then_restart_sends_every_push_once(
    services: Services, clock: FrozenClock, other_instance: Callable[[], Services]
) -> None:
    await add_ready_users(services, USERS)
    clock.set(SEVEN)
    # The first process sends 50, then Telegram stops answering and the process dies with
    # ten requests in flight (Telegram got them, the bot never heard back).
    telegram = Recorder(hang_after=50)
    first = asyncio.create_task(pushes(services, workers=10).run_due(telegram))
    await until(lambda: telegram.hanging == 10)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    telegram.hang_after = None  # Telegram is back

    restarted = other_instance()
    report = await pushes(restarted, workers=10).run_due(telegram)
    assert report.sent == 140
    assert sorted(telegram.per_user().values()) == [1] * 200

    # Later ticks file the ten in doubt as "unknown" and still send nothing twice.
    clock.set(SEVEN + STALE_AFTER + timedelta(minutes=1))
    later = await pushes(restarted, workers=10).run_due(telegram)
    assert later.interrupted >= 10 and later.sent == 0
    assert len(telegram.jobs) == 200
    statuses = [p.status for p in await pushes_of(services)]
    assert set(statuses) == {"sent", "unknown"} and statuses.count("sent") >= 150


async def test_a_claim_whose_process_died_before_sending_goes_out_late_once(
    services: Services, clock: FrozenClock, other_instance: Callable[[], Services]
) -> None:
    await add_ready_users(services, range(1, 11))
    clock.set(SEVEN)
    # A process claims five pushes and dies before any request leaves.
    claimed = await pushes(services, workers=5).claim(5)
    assert len(claimed) == 5
    telegram = Recorder()
    restarted = other_instance()
    report = await pushes(restarted, workers=5).run_due(telegram)
    assert report.sent == 5  # the other five; the dead process's claims are not theirs yet
    # Once the claims are clearly abandoned, they go out: late, not never, and once.
    clock.set(SEVEN + CLAIM_STALE + timedelta(seconds=1))
    later = await pushes(restarted, workers=5).run_due(telegram)
    assert later.sent == 5
    assert sorted(telegram.per_user().values()) == [1] * 10
    assert {p.status for p in await pushes_of(services)} == {"sent"}
    # The process that was only slow, not dead, finds its claim given back: it sends nothing.
    assert not await pushes(services, workers=5).on_its_way(claimed[0])


async def test_graceful_stop_mid_fan_out_loses_nothing(
    services: Services, clock: FrozenClock, other_instance: Callable[[], Services]
) -> None:
    await add_ready_users(services, USERS)
    clock.set(SEVEN)
    telegram = Recorder()
    stopping = pushes(services, workers=10).run_due(
        telegram, keep_going=lambda: len(telegram.jobs) < 50
    )
    first = await stopping
    assert 50 <= first.sent < 200
    second = await pushes(other_instance(), workers=10).run_due(telegram)
    assert first.sent + second.sent == 200
    assert sorted(telegram.per_user().values()) == [1] * 200
    assert {p.status for p in await pushes_of(services)} == {"sent"}


async def test_two_schedulers_on_one_database_send_each_push_once(
    services: Services, clock: FrozenClock, other_instance: Callable[[], Services]
) -> None:
    await add_ready_users(services, range(1, 301))
    clock.set(SEVEN)
    telegram = Recorder(delay=0.001)
    a, b = pushes(other_instance(), workers=8), pushes(other_instance(), workers=8)
    first, second = await asyncio.gather(a.run_due(telegram), b.run_due(telegram))
    assert sorted(telegram.per_user().values()) == [1] * 300
    assert first.sent + second.sent == 300
    if services.settings.is_postgres:
        # SKIP LOCKED: both did a share rather than one queueing behind the other. (SQLite
        # has a single writer and is run as a single instance; there only "once" matters.)
        assert first.sent > 0 and second.sent > 0
    # And a third look finds nothing left.
    assert (await a.run_due(telegram)).sent == 0


async def test_a_day_already_recorded_is_never_sent_again(
    services: Services, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    await add_ready_user(services, 1)
    telegram = Recorder()
    clock.set(SEVEN)
    await services.pushes.run_due(telegram)
    # Whatever puts the user's due time back on today (a bug, a restored backup) ...
    async with services.sessions.begin() as s:
        await s.execute(
            update(User).where(User.id == 1).values(next_due_at=SEVEN, next_due_date=SEVEN.date())
        )
    clock.set(SEVEN + timedelta(minutes=1))
    with caplog.at_level(logging.INFO, logger="bot.services.pushes"):
        report = await services.pushes.run_due(telegram)
    # ... the unique key stops a second message.
    assert report.sent == 0 and len(telegram.jobs) == 1
    assert "already recorded" in caplog.text
    assert (await user_row(services, 1)).next_due_at == utc(2026, 11, 22, 7)


async def test_a_push_in_doubt_is_not_retried(services: Services, clock: FrozenClock) -> None:
    await add_ready_users(services, [1, 2])
    seen: list[PushJob] = []

    async def no_answer_for_one(job: PushJob) -> SendResult:
        seen.append(job)
        if job.user_id == 1:
            return SendResult(Outcome.UNKNOWN, error="TimedOut")
        return SendResult(Outcome.SENT, message_id=1)

    clock.set(SEVEN)
    report = await services.pushes.run_due(no_answer_for_one)
    assert (report.sent, report.unknown) == (1, 1)
    clock.set(SEVEN + timedelta(minutes=30))
    await services.pushes.run_due(no_answer_for_one)
    assert [j.user_id for j in seen].count(1) == 1
    assert [p.status for p in await pushes_of(services, 1)] == ["unknown"]


async def test_one_failing_user_does_not_stop_the_others(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_users(services, range(1, 21))

    async def flaky(job: PushJob) -> SendResult:
        if job.user_id % 5 == 0:
            return SendResult(Outcome.FAILED, attempts=4, error="Internal Server Error")
        return SendResult(Outcome.SENT, message_id=job.user_id)

    clock.set(SEVEN)
    report = await services.pushes.run_due(flaky)
    assert (report.sent, report.failed) == (16, 4)


async def test_a_database_error_lets_the_sends_in_flight_finish_and_be_recorded() -> None:
    claimed, recorded = 0, []

    async def claim(limit: int) -> list[int]:
        nonlocal claimed
        if claimed >= 5:
            raise RuntimeError("database went away")
        jobs = list(range(claimed, min(5, claimed + limit)))
        claimed += len(jobs)
        return jobs

    async def send(job: int) -> str:
        await asyncio.sleep(0.01 * job)
        return "sent"

    async def record(results: list[tuple[int, str]]) -> None:
        recorded.extend(job for job, _ in results)

    with pytest.raises(RuntimeError, match="went away"):
        await fan_out(claim, send, record, workers=5)
    assert sorted(recorded) == [0, 1, 2, 3, 4]

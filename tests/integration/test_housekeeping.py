"""Housekeeping: records past the retention go, recent ones and what others rely on stay."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bot.app import HOUSEKEEPING_SECONDS, build_application
from bot.chat.context import SERVICES_KEY, App
from bot.chat.jobs import HOUSEKEEPING_JOB, PushTick, housekeep
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.db.repos import first_delivery
from bot.db.tables import HandledUpdate, PlayedRoutine, RoutineTimer
from bot.services import Services
from bot.services.clock import FrozenClock

USER = 7


def _app(services: Services) -> App:
    return build_application(services, DEFAULT_TOKEN, request=MemoryRequest(MemoryBotApi()))


async def _routine(services: Services, timer_id: int | None) -> None:
    now = services.clock.now()
    async with services.sessions.begin() as s:
        s.add(
            PlayedRoutine(
                user_id=USER,
                chat_id=USER,
                local_date=date(2026, 1, 1),
                status="finished",
                phase="done",
                minutes_planned=15,
                pain_used=2,
                items=[],
                timer_id=timer_id,
                created_at=now,
                updated_at=now,
            )
        )


async def _timer(services: Services, status: str) -> int:
    now = services.clock.now()
    async with services.sessions.begin() as s:
        routine_id = await s.scalar(select(func.min(PlayedRoutine.id)))
        assert routine_id is not None
        timer = RoutineTimer(
            routine_id=routine_id,
            user_id=USER,
            chat_id=USER,
            position=0,
            segment=0,
            kind="hold",
            seconds=10,
            run_ms=10_000,
            started_at=now,
            due_at=now,
            status=status,
        )
        s.add(timer)
        await s.flush()
        return timer.id


async def _ids(services: Services, column: Any) -> set[int]:
    async with services.sessions.begin() as s:
        return set(await s.scalars(select(column)))


async def test_old_records_go_and_recent_ones_stay(services: Services, clock: FrozenClock) -> None:
    keep = services.settings.retention_days
    await services.onboarding.begin(USER, USER, "Ed")
    await _routine(services, None)
    async with services.sessions.begin() as s:
        assert await first_delivery(s, 1, USER, clock.now())
    old_fired = await _timer(services, "fired")
    old_pending = await _timer(services, "pending")
    old_current = await _timer(services, "cancelled")
    await _routine(services, old_current)  # a routine still points at it

    clock.advance(timedelta(days=keep, hours=1))
    async with services.sessions.begin() as s:
        assert await first_delivery(s, 2, USER, clock.now())
    recent = await _timer(services, "missed")

    await housekeep(_app(services))

    assert await _ids(services, HandledUpdate.update_id) == {2}
    assert await _ids(services, RoutineTimer.id) == {old_pending, old_current, recent}
    assert old_fired not in await _ids(services, RoutineTimer.id)


async def test_the_retention_is_a_setting(services: Services, clock: FrozenClock) -> None:
    services.settings = services.settings.model_copy(update={"retention_days": 5})
    await services.onboarding.begin(USER, USER, "Ed")
    async with services.sessions.begin() as s:
        assert await first_delivery(s, 1, USER, clock.now())
    clock.advance(timedelta(days=4))
    await housekeep(_app(services))
    assert await _ids(services, HandledUpdate.update_id) == {1}
    clock.advance(timedelta(days=2))
    await housekeep(_app(services))
    assert await _ids(services, HandledUpdate.update_id) == set()


async def test_the_housekeeping_job_is_scheduled(services: Services) -> None:
    app = _app(services)
    assert app.job_queue is not None
    jobs = app.job_queue.get_jobs_by_name(HOUSEKEEPING_JOB)
    assert len(jobs) == 1
    assert jobs[0].job.trigger.interval.total_seconds() == HOUSEKEEPING_SECONDS  # type: ignore[attr-defined]


async def test_a_database_outage_is_logged_once_when_it_starts_and_once_when_it_ends(
    services: Services, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(services)
    tick = PushTick()
    context: Any = SimpleNamespace(application=app, job=None)
    real_run_due = services.pushes.run_due

    async def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    async def unreachable() -> bool:
        return False

    caplog.set_level(logging.DEBUG, logger="bot")
    monkeypatch.setattr(services.pushes, "run_due", down)
    monkeypatch.setattr(services, "db_ok", unreachable)
    async with asyncio.timeout(20):
        for _ in range(5):
            await tick(context)
        monkeypatch.setattr(services.pushes, "run_due", real_run_due)
        monkeypatch.undo()
        assert app.bot_data[SERVICES_KEY] is services
        for _ in range(3):
            await tick(context)

    records = [r for r in caplog.records if r.name.startswith("bot")]
    unreachable_lines = [r for r in records if "unreachable" in r.getMessage()]
    back_lines = [r for r in records if "reachable again" in r.getMessage()]
    assert len(unreachable_lines) == 1 and len(back_lines) == 1
    assert all(r.exc_info is None for r in records)
    assert unreachable_lines[0].created <= back_lines[0].created


async def test_a_failure_while_the_database_answers_still_reaches_the_error_handler(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(services)
    context: Any = SimpleNamespace(application=app, job=None)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.pushes, "run_due", broken)
    with pytest.raises(RuntimeError):
        await PushTick()(context)


async def test_the_timer_sweep_and_the_summary_tick_share_the_outage_log(
    services: Services, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.chat import timers
    from bot.chat.handlers.progress import SummaryTick

    app = _app(services)
    context: Any = SimpleNamespace(application=app, job=None)

    async def down(*_args: object, **_kwargs: object) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    async def unreachable() -> bool:
        return False

    caplog.set_level(logging.DEBUG, logger="bot")
    monkeypatch.setattr(services, "db_ok", unreachable)
    monkeypatch.setattr(services.player, "pending_timers", down)
    monkeypatch.setattr(services.weekly, "enrol", down)
    monkeypatch.setattr(services.weekly, "claim", down)
    async with asyncio.timeout(20):
        for _ in range(3):
            await timers._sweep_job(context)
            await SummaryTick()(context)
    records = [r for r in caplog.records if r.name.startswith("bot")]
    assert len([r for r in records if "unreachable" in r.getMessage()]) == 1
    assert all(r.exc_info is None for r in records)

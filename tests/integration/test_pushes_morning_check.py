"""When the morning push first asks "How is your back this morning?" (needs_morning_check)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pushes_kit import (
    Recorder,
    add_ready_user,
    unpaced,  # noqa: F401  (autouse fixture)
    utc,
)

from bot.db.tables import ExerciseRecord, MorningPain, PlayedRoutine
from bot.services import Services
from bot.services.clock import FrozenClock

pytestmark = pytest.mark.db

YESTERDAY_EVENING = utc(2026, 11, 20, 19)
SIGNED_UP = utc(2026, 11, 1, 9)


async def played(
    services: Services, *, end_pain: int | None, hurt: bool = False, ended: datetime
) -> None:
    """A routine user 1 played and finished (as the routine player stores it)."""
    async with services.sessions.begin() as s:
        routine = PlayedRoutine(
            user_id=1,
            chat_id=1,
            local_date=ended.date(),
            status="done",
            phase="ended",
            minutes_planned=15,
            pain_used=2,
            items=[],
            created_at=ended,
            started_at=ended,
            ended_at=ended,
            updated_at=ended,
            end_pain=end_pain,
        )
        s.add(routine)
        await s.flush()
        s.add(
            ExerciseRecord(
                routine_id=routine.id,
                idx=0,
                user_id=1,
                local_date=ended.date(),
                exercise_id="bridge",
                dose={},
                outcome="hurt" if hurt else "done",
            )
        )


async def asked(services: Services, clock: FrozenClock, day: int = 21) -> bool:
    """Whether this morning's push opens with the pain question."""
    recorder = Recorder()
    clock.set(utc(2026, 11, day, 7))
    await services.pushes.run_due(recorder)
    [job] = recorder.jobs
    return job.ask_pain


@pytest.mark.parametrize(
    ("end_pain", "hurt", "expected"),
    [(5, False, True), (4, False, True), (3, False, False), (None, True, True), (1, True, True)],
)
async def test_the_last_routine_decides(
    services: Services,
    clock: FrozenClock,
    end_pain: int | None,
    hurt: bool,
    expected: bool,
) -> None:
    await add_ready_user(services, 1, baseline_pain=2, onboarded_at=SIGNED_UP)
    await played(services, end_pain=end_pain, hurt=hurt, ended=YESTERDAY_EVENING)
    assert await asked(services, clock) is expected


async def test_a_settled_routine_outweighs_a_sore_start(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1, baseline_pain=7, onboarded_at=SIGNED_UP)
    await played(services, end_pain=1, ended=YESTERDAY_EVENING)
    assert not await asked(services, clock)


async def test_sore_at_onboarding_and_nothing_since_asks(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1, baseline_pain=6, onboarded_at=SIGNED_UP)
    assert await asked(services, clock)


async def test_a_settled_morning_after_a_sore_routine_stops_the_question(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1, baseline_pain=2, onboarded_at=SIGNED_UP)
    await played(services, end_pain=6, ended=YESTERDAY_EVENING)
    assert await asked(services, clock, day=21)
    async with services.sessions.begin() as s:
        today = date(2026, 11, 21)
        s.add(MorningPain(user_id=1, local_date=today, pain=2, at=utc(2026, 11, 21, 7)))
    assert not await asked(services, clock, day=22)

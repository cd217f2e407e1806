"""When the morning push first asks "How is your back this morning?" (needs_morning_check).

After every routine, until a morning answer follows it (issue 14: the next morning judges
every routine, and no answer is not "settled"); otherwise when the newest report is 4+.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from pushes_kit import (
    Recorder,
    add_ready_user,
    unpaced,  # noqa: F401  (autouse fixture)
    utc,
)

from bot.db.tables import ExerciseRecord, PlayedRoutine
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
    ("end_pain", "hurt"),
    # A calm end (3, 0) asks too: before issue 14 it was taken as settled by silence.
    [(5, False), (4, False), (3, False), (0, False), (None, False), (None, True), (1, True)],
)
async def test_every_routine_is_asked_about_the_next_morning(
    services: Services, clock: FrozenClock, end_pain: int | None, hurt: bool
) -> None:
    await add_ready_user(services, 1, baseline_pain=2, onboarded_at=SIGNED_UP)
    await played(services, end_pain=end_pain, hurt=hurt, ended=YESTERDAY_EVENING)
    assert await asked(services, clock)


async def test_with_no_routine_since_the_last_answer_the_newest_report_decides(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1, baseline_pain=7, onboarded_at=SIGNED_UP)
    await played(services, end_pain=1, ended=YESTERDAY_EVENING)
    assert await asked(services, clock, day=21)
    assert await services.pushes.typed_morning_pain(1, 2) is not None  # settled, after it
    assert not await asked(services, clock, day=22)  # a sore start no longer speaks


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
    assert await services.pushes.typed_morning_pain(1, 2) is not None
    assert not await asked(services, clock, day=22)


async def test_a_sore_answer_asks_again_the_next_morning(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1, baseline_pain=2, onboarded_at=SIGNED_UP)
    await played(services, end_pain=2, ended=YESTERDAY_EVENING)
    assert await asked(services, clock, day=21)
    assert await services.pushes.typed_morning_pain(1, 5) is not None
    assert await asked(services, clock, day=22)

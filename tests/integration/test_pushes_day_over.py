"""The day is over once its routine is behind the person: checked again when pushes are claimed.

The player moves the next push on when it closes a routine; these tests store the routine as
another path (or an older version of the bot) left it, with the user still due today, and show
that the tick records that day's push or reminder as cancelled instead of sending it.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from pushes_kit import (
    Recorder,
    add_ready_user,
    pushes_of,
    unpaced,  # noqa: F401  (autouse fixture)
    user_row,
    utc,
)
from sqlalchemy import update

from bot.db.tables import PlayedRoutine, User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.pushes import Action, Reply

pytestmark = pytest.mark.db

SAT, SUN = date(2026, 11, 21), date(2026, 11, 22)


async def tick(services: Services, recorder: Recorder, at: datetime, clock: FrozenClock) -> int:
    """Move the clock to `at`, run the push tick, and say how many messages went out."""
    clock.set(at)
    return (await services.pushes.run_due(recorder)).sent


async def routine_row(services: Services, day: date, status: str, at: datetime) -> None:
    """A routine of user 1 on local date `day`, ended as `status`, stored without the player."""
    async with services.sessions.begin() as s:
        s.add(
            PlayedRoutine(
                user_id=1,
                chat_id=1,
                local_date=day,
                status=status,
                phase="ended",
                minutes_planned=15,
                pain_used=2,
                items=[],
                created_at=at,
                started_at=at,
                ended_at=at,
                updated_at=at,
            )
        )


@pytest.mark.parametrize(
    ("status", "over"),
    [("done", True), ("stopped", True), ("declined", True), ("safety", False)],
)
async def test_a_morning_whose_routine_is_behind_is_recorded_cancelled_not_sent(
    services: Services, clock: FrozenClock, status: str, over: bool
) -> None:
    await add_ready_user(services, 1)
    await routine_row(services, SAT, status, utc(2026, 11, 21, 6, 30))
    assert (await user_row(services, 1)).next_due_date == SAT  # as an older bot left it
    recorder = Recorder()
    assert await tick(services, recorder, utc(2026, 11, 21, 7), clock) == (0 if over else 1)
    assert await tick(services, recorder, utc(2026, 11, 21, 9), clock) == 0
    [row] = await pushes_of(services, 1)
    assert (row.local_date, row.kind, row.status) == (
        SAT,
        "morning",
        "cancelled" if over else "sent",
    )
    assert (await user_row(services, 1)).next_due_at == utc(2026, 11, 22, 7)
    assert await tick(services, recorder, utc(2026, 11, 22, 7), clock) == 1
    assert recorder.days(1) == ([SUN] if over else [SAT, SUN])


async def test_yesterdays_routine_leaves_todays_push_alone(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    await routine_row(services, date(2026, 11, 20), "done", utc(2026, 11, 20, 18))
    assert await tick(services, Recorder(), utc(2026, 11, 21, 7), clock) == 1


async def test_a_late_push_for_an_earlier_day_is_not_sent_once_today_is_over(
    services: Services, clock: FrozenClock
) -> None:
    # Pushes at 23:00; the bot is down from Saturday 22:00 to Sunday 01:00, still inside
    # Saturday's window, but at 00:30 on Sunday Ann did Sunday's routine.
    clock.set(utc(2026, 11, 21, 22))
    await add_ready_user(services, 1, at=time(23))
    await routine_row(services, SUN, "done", utc(2026, 11, 22, 0, 30))
    assert await tick(services, Recorder(), utc(2026, 11, 22, 1), clock) == 0
    assert [(r.local_date, r.status) for r in await pushes_of(services, 1)] == [(SAT, "cancelled")]
    assert (await user_row(services, 1)).next_due_at == utc(2026, 11, 23, 23)


async def test_a_reminder_whose_day_is_over_is_cancelled_at_its_time(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    clock.set(utc(2026, 11, 21, 7, 5))
    await services.pushes.answer(1, recorder.jobs[0].push_id, Action.SNOOZE_30)
    await routine_row(services, SAT, "stopped", utc(2026, 11, 21, 7, 20))
    assert await tick(services, recorder, utc(2026, 11, 21, 7, 35), clock) == 0
    assert [(r.kind, r.status) for r in await pushes_of(services, 1)] == [
        ("morning", "sent"),
        ("reminder", "cancelled"),
    ]


async def test_a_snooze_tapped_after_the_routine_brings_no_reminder(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    clock.set(utc(2026, 11, 21, 7, 5))
    await services.player.done_alone(1, 1)
    # The morning message's buttons are still there; a snooze tapped now finds the day over.
    clock.set(utc(2026, 11, 21, 7, 10))
    answer = await services.pushes.answer(1, recorder.jobs[0].push_id, Action.SNOOZE_30)
    assert answer.reply is Reply.SNOOZED
    assert await tick(services, recorder, utc(2026, 11, 21, 7, 40), clock) == 0
    assert recorder.per_user("reminder")[1] == 0


async def test_a_new_time_later_today_waits_for_tomorrow_once_today_is_over(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    clock.set(utc(2026, 11, 21, 6, 30))
    await services.player.done_alone(1, 1)
    assert (await user_row(services, 1)).next_due_at == utc(2026, 11, 22, 7)
    # /settings moves the time to 08:00: today is still over.
    async with services.sessions.begin() as s:
        await s.execute(update(User).where(User.id == 1).values(push_time=time(8)))
    await services.pushes.refresh(1)
    assert (await user_row(services, 1)).next_due_at == utc(2026, 11, 22, 8)
    state = await services.pushes.resume(1)
    assert state.next_push is not None and state.next_push.date() == SUN

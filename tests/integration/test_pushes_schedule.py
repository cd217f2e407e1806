"""When pushes go out, through the service and the database: weekdays, zones, pauses, snoozes."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

import pytest
from pushes_kit import (
    EVERY_DAY,
    Recorder,
    add_ready_user,
    add_ready_users,
    pushes_of,
    unpaced,  # noqa: F401  (autouse fixture)
    user_row,
    utc,
)
from sqlalchemy import update

from bot.db.tables import User
from bot.domain.schedule import PauseChoice
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.pushes import Action, Reply, refresh_next_due

pytestmark = pytest.mark.db

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


async def tick(services: Services, recorder: Recorder, at: datetime, clock: FrozenClock) -> int:
    """Move the clock to `at`, run the push tick, and say how many messages went out."""
    clock.set(at)
    report = await services.pushes.run_due(recorder)
    return report.sent


@pytest.mark.parametrize(
    ("zone", "days", "at", "start", "expected"),
    [
        pytest.param(
            "Europe/London",
            {MON, WED, FRI},
            time(7, 0),
            utc(2026, 11, 21, 6),
            [utc(2026, 11, 23, 7), utc(2026, 11, 25, 7), utc(2026, 11, 27, 7)],
            id="london-mon-wed-fri",
        ),
        pytest.param(
            "America/New_York",
            EVERY_DAY,
            time(2, 30),
            utc(2027, 3, 13, 0),
            # 02:30 does not exist on 14 March: it fires when the clocks jump, at 03:00 EDT.
            [utc(2027, 3, 13, 7, 30), utc(2027, 3, 14, 7), utc(2027, 3, 15, 6, 30)],
            id="new-york-spring-gap",
        ),
        pytest.param(
            "Europe/London",
            EVERY_DAY,
            time(1, 30),
            utc(2027, 10, 30, 0),
            # 01:30 happens twice on 31 October: the first one counts, once.
            [utc(2027, 10, 30, 0, 30), utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)],
            id="london-autumn-twice",
        ),
        pytest.param(
            "Asia/Kolkata",
            {SAT, SUN},
            time(6, 45),
            utc(2026, 11, 21, 6),
            [utc(2026, 11, 22, 1, 15), utc(2026, 11, 28, 1, 15), utc(2026, 11, 29, 1, 15)],
            id="kolkata-weekends",
        ),
        pytest.param(
            "Australia/Sydney",
            {MON},
            time(6, 0),
            utc(2027, 3, 28, 0),
            # Monday morning in Sydney is Sunday in UTC; summer time ends on 4 April.
            [utc(2027, 3, 28, 19), utc(2027, 4, 4, 20), utc(2027, 4, 11, 20)],
            id="sydney-mondays-dst-end",
        ),
    ],
)
async def test_pushes_come_on_the_chosen_days_at_the_local_time(
    services: Services,
    clock: FrozenClock,
    zone: str,
    days: set[int],
    at: time,
    start: datetime,
    expected: list[datetime],
) -> None:
    clock.set(start)
    await add_ready_user(services, 1, tz=zone, days=days, at=at)
    recorder = Recorder()
    fired = []
    for _ in expected:
        due = (await user_row(services, 1)).next_due_at
        assert due is not None
        assert await tick(services, recorder, due - timedelta(minutes=1), clock) == 0
        assert await tick(services, recorder, due, clock) == 1
        assert await tick(services, recorder, due + timedelta(minutes=5), clock) == 0
        fired.append(due)
    assert fired == expected
    assert all(day.weekday() in days for day in recorder.days(1))


async def test_a_time_that_happens_twice_fires_once(services: Services, clock: FrozenClock) -> None:
    clock.set(utc(2027, 10, 31, 0))
    await add_ready_user(services, 1, at=time(1, 30))
    recorder = Recorder()
    assert await tick(services, recorder, utc(2027, 10, 31, 0, 30), clock) == 1  # 01:30 BST
    assert await tick(services, recorder, utc(2027, 10, 31, 1, 30), clock) == 0  # 01:30 GMT
    assert recorder.days(1) == [date(2027, 10, 31)]


async def test_three_day_pause_skips_exactly_those_mornings(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)  # every day at 07:00, London (UTC in November)
    state = await services.pushes.pause(1, PauseChoice.THREE_DAYS)  # Saturday 06:00
    assert state.paused and state.until is not None
    assert state.until.replace(tzinfo=None) == datetime(2026, 11, 24, 6, 0)
    recorder = Recorder()
    for day in range(21, 27):
        await tick(services, recorder, utc(2026, 11, day, 7), clock)
    assert recorder.days(1) == [date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)]


async def test_pause_for_a_day_after_todays_push_skips_tomorrow(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    clock.set(utc(2026, 11, 21, 8))
    await services.pushes.pause(1, PauseChoice.DAY)
    for day in (22, 23):
        await tick(services, recorder, utc(2026, 11, day, 7), clock)
    assert recorder.days(1) == [date(2026, 11, 21), date(2026, 11, 23)]


async def test_paused_until_resume_gets_nothing_then_resumes_next_morning(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    state = await services.pushes.pause(1, PauseChoice.INDEFINITE)
    assert state.paused and state.until is None
    assert (await user_row(services, 1)).next_due_at is None
    recorder = Recorder()
    for day in (21, 22, 23):
        await tick(services, recorder, utc(2026, 11, day, 7), clock)
    assert recorder.jobs == []
    clock.set(utc(2026, 11, 23, 9))
    state = await services.pushes.resume(1)
    assert state.was_paused and not state.paused
    assert state.next_push is not None
    assert state.next_push.replace(tzinfo=None) == datetime(2026, 11, 24, 7)
    await tick(services, recorder, utc(2026, 11, 24, 7), clock)
    assert recorder.days(1) == [date(2026, 11, 24)]


async def test_snooze_sends_exactly_one_reminder_at_the_new_time(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    morning = recorder.jobs[0]
    clock.set(utc(2026, 11, 21, 7, 2))
    answer = await services.pushes.answer(1, morning.push_id, Action.SNOOZE_30)
    assert answer.reply is Reply.SNOOZED
    assert answer.remind_at is not None and f"{answer.remind_at:%H:%M}" == "07:32"
    assert await tick(services, recorder, utc(2026, 11, 21, 7, 31), clock) == 0
    assert await tick(services, recorder, utc(2026, 11, 21, 7, 32), clock) == 1
    assert await tick(services, recorder, utc(2026, 11, 21, 8, 40), clock) == 0
    reminder = recorder.jobs[-1]
    assert reminder.kind == "reminder" and reminder.morning_id == morning.push_id
    again = await services.pushes.answer(1, morning.push_id, Action.SNOOZE_60)
    assert again.reply is Reply.ALREADY_REMINDED
    assert await tick(services, recorder, utc(2026, 11, 21, 10), clock) == 0
    assert recorder.per_user("reminder")[1] == 1


async def test_snoozing_again_moves_the_one_reminder(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    push_id = recorder.jobs[0].push_id
    await services.pushes.answer(1, push_id, Action.SNOOZE_30)
    await services.pushes.answer(1, push_id, Action.SNOOZE_60)
    assert await tick(services, recorder, utc(2026, 11, 21, 7, 30), clock) == 0
    assert await tick(services, recorder, utc(2026, 11, 21, 8), clock) == 1
    assert recorder.per_user("reminder")[1] == 1


async def test_skip_is_recorded_and_cancels_a_pending_reminder(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    push_id = recorder.jobs[0].push_id
    await services.pushes.answer(1, push_id, Action.SNOOZE_30)
    assert (await services.pushes.answer(1, push_id, Action.SKIP)).reply is Reply.SKIPPED
    assert await tick(services, recorder, utc(2026, 11, 21, 8), clock) == 0
    rows = await pushes_of(services, 1)
    assert [(r.kind, r.status, r.response) for r in rows] == [
        ("morning", "sent", "skipped"),
        ("reminder", "cancelled", None),
    ]
    # Skipping today leaves tomorrow alone.
    assert await tick(services, recorder, utc(2026, 11, 22, 7), clock) == 1


async def test_pausing_drops_a_pending_reminder(services: Services, clock: FrozenClock) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    await services.pushes.answer(1, recorder.jobs[0].push_id, Action.SNOOZE_60)
    await services.pushes.pause(1, PauseChoice.DAY)
    assert await tick(services, recorder, utc(2026, 11, 21, 8, 30), clock) == 0


async def test_buttons_of_an_earlier_day_or_another_user_do_nothing(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_users(services, [1, 2])
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    mine = next(j.push_id for j in recorder.jobs if j.user_id == 1)
    assert (await services.pushes.answer(2, mine, Action.SKIP)).reply is Reply.NOT_FOUND
    clock.set(utc(2026, 11, 22, 6))
    assert (await services.pushes.answer(1, mine, Action.SNOOZE_30)).reply is Reply.STALE
    assert await tick(services, recorder, utc(2026, 11, 22, 6, 30), clock) == 0


async def test_push_late_within_the_window_is_sent(services: Services, clock: FrozenClock) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    assert await tick(services, recorder, utc(2026, 11, 21, 9, 59), clock) == 1
    [row] = await pushes_of(services, 1)
    assert row.due_at == utc(2026, 11, 21, 7) and row.claimed_at == utc(2026, 11, 21, 9, 59)


async def test_push_later_than_the_window_is_dropped_and_logged(
    services: Services, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    with caplog.at_level(logging.WARNING, logger="bot.services.pushes"):
        assert await tick(services, recorder, utc(2026, 11, 21, 10, 1), clock) == 0
    assert "dropped" in caplog.text
    [row] = await pushes_of(services, 1)
    assert row.status == "dropped"
    assert (await user_row(services, 1)).next_due_at == utc(2026, 11, 22, 7)


async def test_after_days_down_only_the_morning_still_in_its_window_is_sent(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    # Down from Saturday before 07:00 until Monday 08:00.
    assert await tick(services, recorder, utc(2026, 11, 23, 8), clock) == 1
    assert recorder.days(1) == [date(2026, 11, 23)]
    assert [(r.local_date, r.status) for r in await pushes_of(services, 1)] == [
        (date(2026, 11, 21), "dropped"),
        (date(2026, 11, 23), "sent"),
    ]


async def test_only_consenting_onboarded_clear_reachable_unpaused_users_get_pushes(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    await add_ready_user(services, 2, consent_at=None)
    await add_ready_user(services, 3, onboarded_at=None)
    await add_ready_user(services, 4, safety="doctor")
    await add_ready_user(services, 5, active=False)
    await add_ready_user(services, 6, paused_indefinitely=True)
    await add_ready_user(services, 7, safety="pending")
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    assert set(recorder.per_user()) == {1}
    # Coming back (unblocking) needs no reschedule: the next chosen morning just works.
    await services.users.set_active(5, True)
    await tick(services, recorder, utc(2026, 11, 22, 7), clock)
    assert set(recorder.per_user()) == {1, 5}


async def test_a_blocked_user_is_marked_inactive_and_others_still_get_theirs(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_users(services, [1, 2, 3])
    recorder = Recorder(blocked={2})
    clock.set(utc(2026, 11, 21, 7))
    report = await services.pushes.run_due(recorder)
    assert (report.sent, report.blocked) == (2, 1)
    assert not (await user_row(services, 2)).active
    recorder.blocked.clear()
    await tick(services, recorder, utc(2026, 11, 22, 7), clock)
    assert recorder.per_user()[2] == 0
    await services.users.set_active(2, True)
    await tick(services, recorder, utc(2026, 11, 23, 7), clock)
    assert recorder.days(2) == [date(2026, 11, 23)]


async def test_refresh_never_schedules_a_day_already_pushed(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1)
    recorder = Recorder()
    await tick(services, recorder, utc(2026, 11, 21, 7), clock)
    clock.set(utc(2026, 11, 21, 8))
    # Later the same day the user moves the time to 09:00, and then to another zone.
    for change in ({"push_time": time(9, 0)}, {"tz": "America/New_York"}):
        async with services.sessions.begin() as s:
            user = await s.get(User, 1)
            assert user is not None
            for name, value in change.items():
                setattr(user, name, value)
            await refresh_next_due(s, user, clock.now())
        assert (await user_row(services, 1)).next_due_date == date(2026, 11, 22)
    for hour in (9, 12, 14):
        await tick(services, recorder, utc(2026, 11, 21, hour), clock)
    assert recorder.days(1) == [date(2026, 11, 21)]


@pytest.mark.parametrize(
    ("now", "new_time", "expected"),
    [
        (utc(2026, 11, 21, 6), time(6, 30), utc(2026, 11, 21, 6, 30)),
        (utc(2026, 11, 21, 6, 40), time(6, 30), utc(2026, 11, 22, 6, 30)),
        (utc(2026, 11, 21, 6, 40), time(23, 59), utc(2026, 11, 21, 23, 59)),
    ],
)
async def test_refresh_picks_the_next_occurrence_after_now(
    services: Services, clock: FrozenClock, now: datetime, new_time: time, expected: datetime
) -> None:
    await add_ready_user(services, 1)
    clock.set(now)
    async with services.sessions.begin() as s:
        await s.execute(update(User).where(User.id == 1).values(push_time=new_time))
        user = await s.get(User, 1)
        assert user is not None
        await refresh_next_due(s, user, now)
    assert (await user_row(services, 1)).next_due_at == expected


async def test_no_days_chosen_means_nothing_scheduled(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, 1, days=())
    assert (await user_row(services, 1)).next_due_at is None

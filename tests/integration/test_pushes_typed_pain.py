"""A typed answer ("4") to "How is your back this morning?", at the service level.

Ann is asked every day at 07:00 (London, on UTC in November); the clock starts on Saturday
21 November at 06:00 UTC. Her onboarding pain of 6 makes the morning push ask first.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pushes_kit import (
    Recorder,
    add_ready_user,
    morning_answers,
    pushes_of,
    unpaced,  # noqa: F401  (autouse fixture)
    utc,
)

from bot.db.tables import User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.morning_check import plan_check
from bot.services.pushes import Card, Outcome, PushJob, Rested, SendResult, TypedPain

pytestmark = pytest.mark.db

USER = 1
SATURDAY = date(2026, 11, 21)
SATURDAY_0700 = utc(2026, 11, 21, 7)
MONDAY = 0


async def sore_ann(services: Services, **kwargs: object) -> None:
    """Ann, onboarded with pain 6: her morning push asks about her back."""
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=6, **kwargs)


async def tick(services: Services, clock: FrozenClock, at: datetime) -> Recorder:
    """The push tick at `at`, every send delivered."""
    clock.set(at)
    recorder = Recorder()
    await services.pushes.run_due(recorder)
    return recorder


async def queue_rest_day_check(services: Services, after: date) -> None:
    """A sore routine on local date `after`: the next morning, a rest day, asks (kind "check")."""
    async with services.sessions.begin() as s:
        user = await s.get(User, USER)
        assert user is not None
        await plan_check(s, user, after=after, now=services.clock.now())


async def test_a_typed_answer_to_the_morning_question_is_recorded_and_opens_the_card(
    services: Services, clock: FrozenClock
) -> None:
    await sore_ann(services)
    [job] = (await tick(services, clock, SATURDAY_0700)).jobs
    assert job.ask_pain
    clock.set(utc(2026, 11, 21, 7, 10))
    typed = await services.pushes.typed_morning_pain(USER, 4)
    assert isinstance(typed, TypedPain)
    [push] = await pushes_of(services, USER)
    assert typed.message_id == push.message_id == 1
    assert isinstance(typed.result, Card)
    assert (typed.result.push_id, typed.result.first_name, typed.result.pain) == (push.id, "Ann", 4)
    assert typed.result.preview is not None
    assert await morning_answers(services, USER) == [(SATURDAY, 4)]
    # The same message delivered again (a webhook retry) finds the question answered.
    assert await services.pushes.typed_morning_pain(USER, 4) is None
    assert await morning_answers(services, USER) == [(SATURDAY, 4)]


async def test_a_typed_answer_to_a_rest_day_check_is_recorded_and_rests(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER, first_name="Ann", days=(MONDAY,), baseline_pain=2)
    await queue_rest_day_check(services, after=date(2026, 11, 20))
    [job] = (await tick(services, clock, SATURDAY_0700)).jobs
    assert job.kind == "check"
    typed = await services.pushes.typed_morning_pain(USER, 3)
    assert typed is not None and isinstance(typed.result, Rested)
    assert typed.result.pain == 3
    assert typed.result.next_push == datetime(2026, 11, 23, 7, tzinfo=ZoneInfo("Europe/London"))
    [check] = await pushes_of(services, USER)
    assert typed.message_id == check.message_id
    assert check.response == "answered"
    assert await morning_answers(services, USER) == [(SATURDAY, 3)]


async def test_no_push_today_means_no_question(services: Services, clock: FrozenClock) -> None:
    await sore_ann(services)
    assert await services.pushes.typed_morning_pain(USER, 4) is None
    assert await services.pushes.typed_morning_pain(2, 4) is None  # not a user at all
    assert await morning_answers(services, USER) == []


async def test_a_morning_push_that_did_not_ask_takes_no_number(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=2)
    [job] = (await tick(services, clock, SATURDAY_0700)).jobs
    assert not job.ask_pain
    assert await services.pushes.typed_morning_pain(USER, 4) is None
    assert await morning_answers(services, USER) == []


async def test_yesterdays_question_is_closed(services: Services, clock: FrozenClock) -> None:
    await sore_ann(services)
    await tick(services, clock, SATURDAY_0700)
    clock.set(utc(2026, 11, 22, 6))  # Sunday, before Sunday's push
    assert await services.pushes.typed_morning_pain(USER, 4) is None
    assert await morning_answers(services, USER) == []


async def test_today_is_the_users_local_day(services: Services, clock: FrozenClock) -> None:
    # New York: Saturday 07:00 is 12:00 UTC, and Saturday 20:00 is already Sunday in UTC.
    await sore_ann(services, tz="America/New_York", at=time(7, 0))
    await tick(services, clock, utc(2026, 11, 21, 12))
    clock.set(utc(2026, 11, 22, 1))
    typed = await services.pushes.typed_morning_pain(USER, 5)
    assert typed is not None and isinstance(typed.result, Card)
    assert await morning_answers(services, USER) == [(SATURDAY, 5)]


async def test_a_button_answer_came_first(services: Services, clock: FrozenClock) -> None:
    await sore_ann(services)
    await tick(services, clock, SATURDAY_0700)
    [push] = await pushes_of(services, USER)
    assert isinstance(await services.pushes.morning_pain(USER, push.id, 5), Card)
    assert await services.pushes.typed_morning_pain(USER, 2) is None
    assert await morning_answers(services, USER) == [(SATURDAY, 5)]


async def test_a_check_not_yet_sent_is_not_a_question(
    services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER, first_name="Ann", days=(MONDAY,), baseline_pain=2)
    await queue_rest_day_check(services, after=date(2026, 11, 20))
    clock.set(utc(2026, 11, 21, 6, 30))
    assert [(p.kind, p.status) for p in await pushes_of(services, USER)] == [("check", "pending")]
    assert await services.pushes.typed_morning_pain(USER, 4) is None
    assert await morning_answers(services, USER) == []


async def test_a_push_still_being_sent_is_not_a_question(
    services: Services, clock: FrozenClock
) -> None:
    await sore_ann(services)
    clock.set(SATURDAY_0700)
    [job] = await services.pushes.claim(10)  # claimed; Telegram has not answered yet
    assert job.ask_pain
    assert await services.pushes.typed_morning_pain(USER, 4) is None
    assert await morning_answers(services, USER) == []


async def test_a_push_that_may_have_arrived_takes_the_answer(
    services: Services, clock: FrozenClock
) -> None:
    async def no_answer(_job: PushJob) -> SendResult:
        return SendResult(Outcome.UNKNOWN, error="timed out")

    await sore_ann(services)
    clock.set(SATURDAY_0700)
    await services.pushes.run_due(no_answer)
    typed = await services.pushes.typed_morning_pain(USER, 3)
    assert typed is not None and typed.message_id is None  # nothing to edit: send anew
    assert await morning_answers(services, USER) == [(SATURDAY, 3)]


@pytest.mark.parametrize("pain", [-1, 11])
async def test_out_of_scale_is_refused(services: Services, pain: int) -> None:
    with pytest.raises(ValueError, match="pain must be"):
        await services.pushes.typed_morning_pain(USER, pain)

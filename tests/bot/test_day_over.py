"""The day is over once today's routine is behind the person, as they see it.

Ann's mornings are every day at 07:00 (London, on UTC in November); the clock starts on
Saturday 21 November at 06:00. A routine she finishes, stops or declines before her push takes
that day's push and reminder with it, and "Next routine" names a later day.
"""

from __future__ import annotations

from datetime import datetime, time

import pytest
from pushes_kit import add_ready_user, pushes_of, unpaced, utc  # noqa: F401  (autouse fixture)

from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.transports.shell import Conversation
from bot.services import Services
from bot.services.clock import FrozenClock

pytestmark = pytest.mark.db

USER = 1001
SAT_0600, SAT_0700 = utc(2026, 11, 21, 6), utc(2026, 11, 21, 7)
SUN_0700 = utc(2026, 11, 22, 7)
TOMORROW = "Next routine: Sun 22 Nov at 07:00."
TODAY = "Sat 21 Nov"


async def tick(app: App, clock: FrozenClock, at: datetime) -> int:
    """The push job's tick at `at`: how many messages went out."""
    clock.set(at)
    return (await run_pushes(app)).sent


async def finish(chat: Conversation, how: str) -> str:
    """Open today's routine and end it: "done" (every exercise), "stopped" or "declined"."""
    await chat.say("/routine")
    if how == "declined":
        await chat.press("Not today")
        return chat.last_text()
    await chat.press("▶️ Start")
    if how == "stopped":
        await chat.press("⏹ Stop")
    while chat.last_text().startswith("Exercise "):
        await chat.press("✅ Done")
    assert chat.last_text().startswith("How is your back right now")
    await chat.press("2")
    return chat.last_text()


@pytest.fixture
async def ann(services: Services, chat: Conversation, clock: FrozenClock) -> Conversation:
    """Ann finished onboarding: every day at 07:00, pain 2; it is Saturday 06:00."""
    clock.set(SAT_0600)
    await add_ready_user(services, USER, first_name="Ann")
    return chat


@pytest.mark.parametrize("how", ["done", "stopped", "declined"])
async def test_a_routine_behind_her_before_the_push_time_takes_that_mornings_push(
    app: App, clock: FrozenClock, ann: Conversation, services: Services, how: str
) -> None:
    end = await finish(ann, how)
    assert TOMORROW in end and TODAY not in end
    seen = len(ann.messages())
    for at in (SAT_0700, utc(2026, 11, 21, 9), utc(2026, 11, 21, 23)):
        assert await tick(app, clock, at) == 0
    assert ann.messages()[seen:] == []
    # Sunday is a new day: its push comes as usual.
    assert await tick(app, clock, SUN_0700) == 1
    assert [(p.local_date.day, p.status) for p in await pushes_of(services, USER)] == [(22, "sent")]


async def test_asking_again_after_the_routine_names_tomorrow_not_todays_push(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    await finish(ann, "done")
    clock.set(utc(2026, 11, 21, 6, 40))
    await ann.say("/routine")
    assert ann.last_text().startswith("You've had today's routine already")
    assert TOMORROW in ann.last_text()


async def test_declining_leaves_the_routine_open_to_a_change_of_mind(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    await finish(ann, "declined")
    await ann.say("/routine")
    assert "already" not in ann.last_text()
    assert "▶️ Start" in [label for label, _ in ann.api.buttons(ann.messages()[-1])]


@pytest.mark.parametrize("how", ["done", "stopped", "declined"])
async def test_a_snoozed_reminder_is_dropped_when_the_routine_is_behind_her(
    app: App, clock: FrozenClock, ann: Conversation, services: Services, how: str
) -> None:
    assert await tick(app, clock, SAT_0700) == 1
    clock.set(utc(2026, 11, 21, 7, 5))
    await ann.press("In 30 minutes")
    clock.set(utc(2026, 11, 21, 7, 10))
    end = await finish(ann, how)
    assert TOMORROW in end
    seen = len(ann.messages())
    assert await tick(app, clock, utc(2026, 11, 21, 7, 35)) == 0
    assert await tick(app, clock, utc(2026, 11, 21, 9)) == 0
    assert ann.messages()[seen:] == []
    kinds = [(p.kind, p.status) for p in await pushes_of(services, USER)]
    assert kinds == [("morning", "sent"), ("reminder", "cancelled")]


async def test_a_routine_on_a_rest_day_takes_that_mornings_question(
    app: App, clock: FrozenClock, chat: Conversation, services: Services
) -> None:
    # Saturday and Monday only; a sore Saturday asks about Sunday morning, a rest day.
    clock.set(utc(2026, 11, 21, 18))
    await add_ready_user(services, USER, first_name="Ann", days=(0, 5), at=time(7, 30))
    await chat.say("/routine")
    await chat.press("▶️ Start")
    while chat.last_text().startswith("Exercise "):
        await chat.press("✅ Done")
    await chat.press("5")
    assert [(p.kind, p.status) for p in await pushes_of(services, USER)] == [("check", "pending")]
    # Sunday 06:00: she plays again before the question; the day is behind her.
    clock.set(SAT_0600.replace(day=22))
    await finish(chat, "done")
    seen = len(chat.messages())
    assert await tick(app, clock, utc(2026, 11, 22, 7, 30)) == 0
    assert chat.messages()[seen:] == []
    assert [(p.kind, p.status) for p in await pushes_of(services, USER)] == [("check", "cancelled")]


async def test_start_on_this_mornings_push_after_the_routine_names_tomorrow(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    assert await tick(app, clock, SAT_0700) == 1
    clock.set(utc(2026, 11, 21, 7, 10))
    await finish(ann, "done")  # by /routine, the push's buttons left as they were
    await ann.press("Easy")  # "How did that feel?" under the summary: its buttons go
    await ann.press("Start now")
    assert ann.last_text().startswith("You've had today's routine already")
    assert TOMORROW in ann.last_text()

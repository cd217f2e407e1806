"""Morning pushes as the user sees them: the message, its buttons, the pain check, pausing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from fakes.waiting import until
from pushes_kit import (
    add_ready_user,
    add_ready_users,
    morning_answers,
    pushes_of,
    unpaced,  # noqa: F401  (autouse fixture)
    utc,
)
from telegram import Update

from bot.app import build_application
from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.transports.shell import Conversation
from bot.services import Services
from bot.services.clock import FrozenClock

pytestmark = pytest.mark.db

USER = 1001
ACTIONS = ["▶️ Start now", "⏰ In 30 minutes", "⏰ In an hour", "Skip today"]


async def tick(app: App, clock: FrozenClock, at: datetime) -> int:
    """The scheduler's tick at `at`: how many messages it sent."""
    clock.set(at)
    return (await run_pushes(app)).sent


def labels(message: dict[str, Any]) -> list[str]:
    """The button labels of a message."""
    return [label for label, _ in MemoryBotApi.buttons(message)]


async def press_data(chat: Conversation, message: dict[str, Any], data: str) -> None:
    """Press the button with this callback data on `message`."""
    update = chat.api.user_presses(chat.user_id, message["message_id"], data)
    await chat.app.process_update(Update.de_json(update, chat.app.bot))


def alerts(api: MemoryBotApi) -> list[str]:
    """Texts of the pop-up notices the bot showed."""
    return [c.params["text"] for c in api.calls("answerCallbackQuery") if c.params.get("text")]


@pytest.fixture
async def ann(services: Services, chat: Conversation) -> Conversation:
    """Ann has finished onboarding: every day at 07:00, London, pain 2."""
    await add_ready_user(services, USER, first_name="Ann")
    return chat


async def test_the_morning_push_shows_todays_routine_with_four_choices(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    assert await tick(app, clock, utc(2026, 11, 21, 6, 59)) == 0
    assert ann.messages() == []
    assert await tick(app, clock, utc(2026, 11, 21, 7)) == 1
    [push] = ann.messages()
    assert push["text"].startswith("Good morning, Ann!")
    assert "15-minute routine" in push["text"] and "Easy walk" in push["text"]
    assert labels(push) == ACTIONS
    assert await tick(app, clock, utc(2026, 11, 21, 7, 5)) == 0


async def test_start_now_points_to_the_routine_and_clears_the_buttons(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await tick(app, clock, utc(2026, 11, 21, 7))
    await ann.press("Start now")
    # The routine opens (or, without the player, the answer says how to open it).
    assert "routine" in ann.last_text().lower()
    assert labels(ann.messages()[0]) == []
    [row] = await pushes_of(services, USER)
    assert row.response == "started"


async def test_snooze_nudges_once_more_at_the_new_time(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    await tick(app, clock, utc(2026, 11, 21, 7))
    clock.set(utc(2026, 11, 21, 7, 5))
    await ann.press("In 30 minutes")
    assert "07:35" in ann.last_text()
    assert await tick(app, clock, utc(2026, 11, 21, 7, 34)) == 0
    assert await tick(app, clock, utc(2026, 11, 21, 7, 35)) == 1
    reminder = ann.messages()[-1]
    assert "nudge" in reminder["text"].lower()
    assert labels(reminder) == ["▶️ Start now", "Skip today"]
    assert await tick(app, clock, utc(2026, 11, 21, 9)) == 0
    await ann.press("Start now")
    assert "routine" in ann.last_text().lower()


async def test_skip_today_is_recorded_and_tomorrow_comes_as_usual(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await tick(app, clock, utc(2026, 11, 21, 7))
    await ann.press("Skip today")
    assert "rest today" in ann.last_text()
    [row] = await pushes_of(services, USER)
    assert row.response == "skipped"
    assert await tick(app, clock, utc(2026, 11, 22, 7)) == 1


async def test_after_a_painful_report_the_push_asks_about_the_back_first(
    app: App, clock: FrozenClock, chat: Conversation, services: Services
) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=6)
    await tick(app, clock, utc(2026, 11, 21, 7))
    [push] = chat.messages()
    assert "How is your back this morning?" in push["text"]
    assert labels(push) == [str(n) for n in range(11)]
    await press_data(chat, push, MemoryBotApi.buttons(push)[5][1])
    assert await morning_answers(services, USER) == [(date(2026, 11, 21), 5)]
    [card] = chat.messages()
    assert "stop anything that feels sharp" in card["text"] and "routine" in card["text"]
    assert labels(card) == ACTIONS
    # Still sore: asked again the next morning; settled: not asked the morning after.
    await tick(app, clock, utc(2026, 11, 22, 7))
    second = chat.messages()[-1]
    assert "How is your back" in second["text"]
    await press_data(chat, second, MemoryBotApi.buttons(second)[2][1])
    await tick(app, clock, utc(2026, 11, 23, 7))
    assert "How is your back" not in chat.last_text()
    assert await morning_answers(services, USER) == [
        (date(2026, 11, 21), 5),
        (date(2026, 11, 22), 2),
    ]


async def test_a_very_sore_morning_gets_a_gentle_day(
    app: App, clock: FrozenClock, chat: Conversation, services: Services
) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=8)
    await tick(app, clock, utc(2026, 11, 21, 7))
    push = chat.messages()[0]
    await press_data(chat, push, MemoryBotApi.buttons(push)[8][1])
    text = chat.last_text()
    assert "sore" in text and "gentle" in text


async def test_pause_for_a_week_then_resume_early(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    await ann.say("/pause")
    assert labels(ann.messages()[-1]) == ["A day", "Three days", "A week", "Until I resume"]
    await ann.press("A week")
    assert "Paused until Sat 28 Nov at 06:00" in ann.last_text()
    for day in (21, 22, 23):
        assert await tick(app, clock, utc(2026, 11, day, 7)) == 0
    clock.set(utc(2026, 11, 23, 12))
    await ann.say("/resume")
    assert "Welcome back" in ann.last_text() and "Tue 24 Nov at 07:00" in ann.last_text()
    assert await tick(app, clock, utc(2026, 11, 24, 7)) == 1


async def test_pause_until_resume_stays_quiet(
    app: App, clock: FrozenClock, ann: Conversation
) -> None:
    await ann.say("/pause")
    await ann.press("Until I resume")
    assert "/resume" in ann.last_text()
    for day in range(21, 29):
        assert await tick(app, clock, utc(2026, 11, day, 7)) == 0


async def test_resume_without_a_pause_says_when_the_next_push_comes(
    ann: Conversation,
) -> None:
    await ann.say("/resume")
    assert "not paused" in ann.last_text() and "Sat 21 Nov at 07:00" in ann.last_text()


async def test_pause_before_onboarding_explains_what_it_is_for(chat: Conversation) -> None:
    await chat.say("/pause")
    assert "/start" in chat.last_text()
    await chat.say("/resume")
    assert "/start" in chat.last_text()


async def test_yesterdays_buttons_only_say_so(
    app: App, clock: FrozenClock, ann: Conversation, api: MemoryBotApi
) -> None:
    await tick(app, clock, utc(2026, 11, 21, 7))
    clock.set(utc(2026, 11, 22, 6))
    await ann.press("Skip today")
    assert any("earlier day" in text for text in alerts(api))
    assert labels(ann.messages()[0]) == []


async def test_a_user_who_blocked_the_bot_is_skipped_and_others_still_get_theirs(
    app: App, clock: FrozenClock, ann: Conversation, api: MemoryBotApi, services: Services
) -> None:
    api.add_user(2, first_name="Bo")
    await add_ready_user(services, 2, first_name="Bo")
    api.chat_member_update(2, "kicked")
    clock.set(utc(2026, 11, 21, 7))
    report = await run_pushes(app)
    assert (report.sent, report.blocked) == (1, 1)
    user = await services.users.get(2)
    assert user is not None and not user.active
    assert len(ann.messages()) == 1


async def test_one_periodic_job_sends_due_pushes_on_its_own(
    services: Services, api: MemoryBotApi, clock: FrozenClock
) -> None:
    for user_id in range(1, 11):
        api.add_user(user_id)
    await add_ready_users(services, range(1, 11))
    clock.set(utc(2026, 11, 21, 7))
    services.settings = services.settings.model_copy(update={"tick_seconds": 0.05})
    app = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    assert app.job_queue is not None
    # One job for everyone: the scheduler's size does not grow with the users.
    assert [job.name for job in app.job_queue.jobs()].count("pushes") == 1
    assert len(app.job_queue.jobs()) < 10
    async with app:
        await app.start()
        try:
            await until(lambda: len(api.calls("sendMessage")) >= 10)
        finally:
            await app.stop()
    assert sorted(c.params["chat_id"] for c in api.calls("sendMessage")) == list(range(1, 11))


async def test_the_morning_preview_is_the_routine_the_plan_makes(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    # Saturday's routine, done alone; then hip circles (in Sunday's first three) hurt sharply.
    clock.set(utc(2026, 11, 21, 9))
    await ann.say("done")
    await ann.press("Yes, I did it")
    await ann.say("it hurt")
    await ann.press("Hip circles")
    await ann.press("Sharp")
    await ann.press("6")
    # The sharp pain brings the red-flag questions back first; Ann answers them.
    for _ in range(7):
        await ann.press("No")
    # Sunday: asked first (a hurt yesterday), then the card names today's routine.
    await tick(app, clock, utc(2026, 11, 22, 7))
    assert "How is your back this morning?" in ann.last_text()
    await ann.press("2")
    card = ann.last_text()
    assert "First up:" in card
    assert "Hip circles" not in card  # the plan rests it for a week
    await ann.press("Start now")
    await ann.say("/routine")
    intro = ann.last_text()
    opened = await services.player.current(USER)
    assert opened is not None
    first = [item.exercise.name for item in opened.items[:3]]
    assert f"First up: {', '.join(first)}." in card
    assert f"{opened.minutes}-minute" in card
    # The preview read the plan without taking the change from the routine's own card.
    assert "Hip circles" in intro and "sharp or shooting" in intro

"""/privacy, /export and /delete through the real Application, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from test_onboarding import FULL, answer_all
from test_player import advance, fixed_routine

from bot.chat import timers
from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import Base
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.privacy import EXPORT_SCHEMA

USER = 1001
# Monday 23 Nov 2026, the first chosen morning after onboarding (07:30 in London).
FIRST_PUSH = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


async def onboarded(chat: Conversation) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])


async def nothing_left(services: Services) -> None:
    """Only one user ever wrote here: after the erasure every table is empty."""
    async with services.sessions.begin() as s:
        for table in Base.metadata.sorted_tables:
            assert (await s.execute(table.select())).first() is None, table.name


async def test_privacy_says_what_why_how_long_and_how_to_leave(chat: Conversation) -> None:
    await chat.say("/privacy")
    text = chat.last_text()
    for words in ("pain scores", "Why", "How long", "/export", "/delete"):
        assert words in text


async def test_export_sends_everything_as_a_json_file(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await onboarded(chat)
    await chat.say("/export")
    sent = api.calls("sendDocument")
    assert len(sent) == 1
    upload = sent[0].params["document"]
    assert upload.filename.endswith(".json")
    document = json.loads(upload.content)
    assert document["schema"] == EXPORT_SCHEMA and document["user_id"] == USER
    user = document["tables"]["users"][0]
    assert user["tz"] == "Europe/London" and user["push_time"] == "07:30:00"
    assert user["baseline_pain"] == 4
    (screen,) = document["tables"]["safety_screens"]
    assert screen["verdict"] == "clear" and len(screen["answers"]) == 7
    assert "JSON" in chat.last_text()


async def test_export_before_start_says_nothing_is_stored(
    chat: Conversation, api: MemoryBotApi
) -> None:
    await chat.say("/export")
    assert api.calls("sendDocument") == []
    assert "nothing" in chat.last_text()


async def test_delete_asks_first_and_keeps_everything_on_no(
    chat: Conversation, services: Services
) -> None:
    await onboarded(chat)
    await chat.say("/delete")
    assert "can't be undone" in chat.last_text()
    await chat.press("No, keep it")
    assert "nothing erased" in chat.last_text()
    assert await services.users.get(USER) is not None


async def test_delete_erases_every_table_cancels_pushes_and_timers_and_start_is_new(
    app: App, chat: Conversation, api: MemoryBotApi, services: Services, clock: FrozenClock
) -> None:
    services.player.builder = fixed_routine(("front_plank", None))  # a 15 s hold
    await onboarded(chat)
    clock.set(FIRST_PUSH)
    await run_pushes(app)
    await chat.press("2")  # the morning pain check, stored in morning_pain
    await chat.press("In 30 minutes")  # a pending reminder
    assert "nudge you again" in chat.last_text()
    await chat.say("/routine")
    await chat.press("▶️ Start")
    await chat.press("▶️ Start timer")  # a pending timer with its job, a live countdown
    runtime = timers.runtime(app)
    (job,) = runtime.scheduled.values()
    assert runtime.editor.cards

    await chat.say("/delete")
    await chat.press("Yes, erase everything")

    assert "erased" in chat.last_text()
    await nothing_left(services)
    assert job.removed and not runtime.scheduled and not runtime.editor.cards
    calls = len(api.calls())
    await advance(app, clock, 20)  # the hold would have ended
    clock.advance(timedelta(minutes=31))  # the reminder would have come
    await run_pushes(app)
    clock.set(FIRST_PUSH + timedelta(days=2))  # and the next morning
    await run_pushes(app)
    assert len(api.calls()) == calls  # not a word more

    await chat.say("/start")
    assert "Hi Ann" in chat.messages()[-2]["text"]  # greeted as someone new
    assert "I coach you" in chat.last_text()  # and asked for consent again


async def test_a_second_confirmation_finds_nothing(chat: Conversation, services: Services) -> None:
    await onboarded(chat)
    await chat.say("/delete")
    await chat.say("/delete")
    await chat.press("Yes, erase everything")  # the newer question
    await chat.press("Yes, erase everything")  # the older one, still showing its buttons
    assert "nothing of yours" in chat.last_text()
    await nothing_left(services)


async def test_withdrawing_consent_in_settings_leads_to_the_same_erasure(
    chat: Conversation, services: Services
) -> None:
    await onboarded(chat)
    await chat.say("/settings")
    await chat.press("Withdraw consent")
    assert "can't be undone" in chat.last_text()
    await chat.press("Yes, erase everything")
    assert "erased" in chat.last_text()
    await nothing_left(services)


async def test_withdraw_then_no_keeps_the_profile_and_closes_settings(
    chat: Conversation, services: Services
) -> None:
    await onboarded(chat)
    await chat.say("/settings")
    await chat.press("Withdraw consent")
    await chat.press("No, keep it")
    user = await services.users.get(USER)
    assert user is not None and user.onboarded_at is not None
    await chat.say("hello")
    assert "/help" in chat.last_text()  # no settings question is waiting for an answer

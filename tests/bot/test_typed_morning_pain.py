"""Typing the answer to "How is your back this morning?" instead of pressing a number.

Ann is asked every day at 07:00 (London, on UTC in November): her onboarding pain of 6 makes
Saturday's push ask first. A typed answer turns the question into the routine card, exactly as
a button does, and is stored as that morning's answer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from pushes_kit import (
    add_ready_user,
    morning_answers,
    unpaced,  # noqa: F401  (autouse fixture)
    utc,
)

from bot.chat.context import App, Ctx
from bot.chat.handlers.pushes import answer_typed_pain
from bot.chat.jobs import run_pushes
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.morning_check import plan_check

pytestmark = pytest.mark.db

USER = 1001
BEA = 1002
SATURDAY = date(2026, 11, 21)
ACTIONS = ["▶️ Start now", "⏰ In 30 minutes", "⏰ In an hour", "Skip today"]
SCALE = [str(n) for n in range(11)]
SOME_PAIN_NOTE = "stop anything that feels sharp"


def labels(message: dict[str, Any]) -> list[str]:
    """The button labels of a message."""
    return [label for label, _ in MemoryBotApi.buttons(message)]


async def tick(app: App, clock: FrozenClock, at: datetime) -> int:
    """The push job's tick at `at`: how many messages went out."""
    clock.set(at)
    return (await run_pushes(app)).sent


@pytest.fixture
async def asked(
    app: App, clock: FrozenClock, chat: Conversation, services: Services
) -> dict[str, Any]:
    """Saturday's push, asking Ann about her back (the message as sent)."""
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=6)
    assert await tick(app, clock, utc(2026, 11, 21, 7)) == 1
    [push] = chat.messages()
    assert "How is your back this morning?" in push["text"] and labels(push) == SCALE
    clock.set(utc(2026, 11, 21, 7, 5))
    return push


# ------------------------------------------------------------- typed in the chat (the router)


@pytest.mark.parametrize("said", ["4/10", "about a 4", "four"])
async def test_a_typed_answer_turns_the_question_into_the_card(
    chat: Conversation, services: Services, asked: dict[str, Any], said: str
) -> None:
    await chat.say(said)
    card = next(m for m in chat.messages() if m["message_id"] == asked["message_id"])
    assert card["text"].startswith("Good morning, Ann!") and SOME_PAIN_NOTE in card["text"]
    assert labels(card) == ACTIONS
    assert await morning_answers(services, USER) == [(SATURDAY, 4)]


# ------------------------------------------------------------- the handler function itself


async def test_the_handler_edits_the_question_into_the_card(
    app: App, chat: Conversation, services: Services, asked: dict[str, Any]
) -> None:
    assert await answer_typed_pain(Ctx(app), USER, USER, 4)
    [card] = chat.messages()
    assert card["message_id"] == asked["message_id"]
    assert card["text"].startswith("Good morning, Ann!") and SOME_PAIN_NOTE in card["text"]
    assert labels(card) == ACTIONS
    assert await morning_answers(services, USER) == [(SATURDAY, 4)]
    # Said twice (or redelivered): the first answer stands and the chat is left alone.
    assert not await answer_typed_pain(Ctx(app), USER, USER, 7)
    assert chat.messages() == [card]
    assert await morning_answers(services, USER) == [(SATURDAY, 4)]


async def test_the_card_is_the_one_a_button_shows(
    app: App, chat: Conversation, services: Services, clock: FrozenClock, api: MemoryBotApi
) -> None:
    # Two people asked the same morning: Ann types "4", Bea presses the 4 button.
    bea = Conversation(app, api, BEA, first_name="Bea")
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=6)
    await add_ready_user(services, BEA, first_name="Ann", baseline_pain=6)
    assert await tick(app, clock, utc(2026, 11, 21, 7)) == 2
    assert await answer_typed_pain(Ctx(app), USER, USER, 4)
    await bea.press("4")
    [typed], [pressed] = chat.messages(), bea.messages()
    assert typed["text"] == pressed["text"] and labels(typed) == labels(pressed) == ACTIONS


async def test_nothing_asked_leaves_the_number_to_someone_else(
    app: App, chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=6)
    clock.set(utc(2026, 11, 21, 6, 30))  # before the push
    assert not await answer_typed_pain(Ctx(app), USER, USER, 4)
    assert chat.messages() == []
    assert await morning_answers(services, USER) == []


async def test_a_question_that_cannot_be_edited_gets_its_answer_as_a_new_message(
    app: App, chat: Conversation, services: Services, asked: dict[str, Any]
) -> None:
    await app.bot.delete_message(USER, asked["message_id"])
    assert await answer_typed_pain(Ctx(app), USER, USER, 4)
    [card] = chat.messages()
    assert card["message_id"] != asked["message_id"]
    assert SOME_PAIN_NOTE in card["text"] and labels(card) == ACTIONS
    assert await morning_answers(services, USER) == [(SATURDAY, 4)]


async def test_a_rest_day_question_gets_the_rested_answer(
    app: App, chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER, first_name="Ann", days=(0,), baseline_pain=2)
    async with services.sessions.begin() as s:
        user = await s.get(User, USER)
        assert user is not None
        await plan_check(s, user, after=date(2026, 11, 20), now=clock.now())
    assert await tick(app, clock, utc(2026, 11, 21, 7)) == 1
    [question] = chat.messages()
    assert "rest day" in question["text"]
    assert await answer_typed_pain(Ctx(app), USER, USER, 3)
    [answered] = chat.messages()
    assert answered["message_id"] == question["message_id"]
    assert answered["text"].startswith("Thanks — 3/10 noted. Sounds settled.")
    assert "Your next routine comes Mon 23 Nov at 07:00." in answered["text"]
    assert labels(answered) == []
    assert await morning_answers(services, USER) == [(SATURDAY, 3)]

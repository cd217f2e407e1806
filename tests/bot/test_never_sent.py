"""Updates Telegram never sends are dropped before any flow: no reply, no ERROR, a DEBUG line."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from telegram import Update

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.services import Services

USER = 1001
SENDING = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery")


def sends(api: MemoryBotApi) -> int:
    return sum(len(api.calls(method)) for method in SENDING)


def assert_dropped_quietly(caplog: pytest.LogCaptureFixture, update_id: int) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any(
        r.levelno == logging.DEBUG and f"update {update_id} dropped" in r.getMessage()
        for r in caplog.records
    )


async def process(app: App, update: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(update, app.bot))


async def test_a_private_message_without_a_sender_is_dropped(
    app: App, api: MemoryBotApi, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    update = api.user_says(USER, "/start")
    del update["message"]["from"]
    caplog.set_level(logging.DEBUG)
    await process(app, update)
    assert api.sent_to(USER) == []
    assert await services.users.get(USER) is None
    assert_dropped_quietly(caplog, update["update_id"])


async def a_real_press(chat: Conversation) -> dict[str, Any]:
    """The update of a real press on the first onboarding button (consent)."""
    await chat.say("/start")
    message, data = chat.find_button("1")
    return chat.api.user_presses(chat.user_id, message["message_id"], data)


def without_data(press: dict[str, Any]) -> None:
    del press["callback_query"]["data"]
    press["callback_query"]["game_short_name"] = "backgame"


def on_users_message(press: dict[str, Any]) -> None:
    message = press["callback_query"]["message"]
    message["from"] = {"id": USER, "is_bot": False, "first_name": "Ann"}


def on_inaccessible_message(press: dict[str, Any]) -> None:
    message = press["callback_query"]["message"]
    press["callback_query"]["message"] = {
        "chat": message["chat"],
        "message_id": message["message_id"],
        "date": 0,
    }


def on_inline_message(press: dict[str, Any]) -> None:
    del press["callback_query"]["message"]
    press["callback_query"]["inline_message_id"] = "AAAA"


@pytest.mark.parametrize(
    "spoil", [without_data, on_users_message, on_inaccessible_message, on_inline_message]
)
async def test_a_press_telegram_would_never_send_is_dropped(
    spoil: Any,
    app: App,
    chat: Conversation,
    api: MemoryBotApi,
    services: Services,
    caplog: pytest.LogCaptureFixture,
) -> None:
    press = await a_real_press(chat)
    before = sends(api)
    spoiled = copy.deepcopy(press)
    spoil(spoiled)
    caplog.set_level(logging.DEBUG)
    await process(app, spoiled)
    assert sends(api) == before
    user = await services.users.get(USER)
    assert user is not None and user.consent_at is None
    assert_dropped_quietly(caplog, spoiled["update_id"])


async def test_a_real_press_still_works(
    app: App, chat: Conversation, api: MemoryBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    press = await a_real_press(chat)
    before = sends(api)
    caplog.set_level(logging.DEBUG)
    await process(app, press)
    assert sends(api) > before
    assert not any("dropped" in r.getMessage() for r in caplog.records)

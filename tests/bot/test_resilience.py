"""Telegram's faults inside handlers: cosmetic calls never end a flow, and no fault apologises.

The in-memory Bot API answers at once and the in-process request retries nothing, so each
injected fault reaches the bot as it is.
"""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import NetworkError

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.services import Services
from bot.texts import t

USER = 1001
TO_DAYS = ["/start", "[I agree]", *["[No]"] * 7, "[4]", "[Longer]", "[Some]"]


async def answer_all(chat: Conversation, steps: list[str]) -> None:
    """Press `[Label]` entries, type the rest."""
    for step in steps:
        if step.startswith("["):
            await chat.press(step[1:-1])
        else:
            await chat.say(step)


def apologised(chat: Conversation) -> bool:
    return any(t("core.error") in str(m.get("text", "")) for m in chat.messages())


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_press_whose_answer_fails_still_moves_the_flow_on(
    chat: Conversation, api: MemoryBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.say("/start")
    api.inject_fault("answerCallbackQuery", 500)
    await chat.press("I agree")
    assert "Safety question 1 of 7" in chat.last_text()
    assert [c.error_code for c in api.calls("answerCallbackQuery")] == [500]
    assert not apologised(chat) and not errors(caplog)


@pytest.mark.parametrize("fault", [502, 403, "network", 400])
async def test_old_buttons_that_stay_do_not_stop_the_flow(
    chat: Conversation, api: MemoryBotApi, caplog: pytest.LogCaptureFixture, fault: str | int
) -> None:
    await chat.say("/start")
    api.inject_fault("editMessageReplyMarkup", fault)  # type: ignore[arg-type]
    await chat.press("I agree")
    assert "Safety question 1 of 7" in chat.last_text()
    assert not apologised(chat) and not errors(caplog)


async def test_a_not_modified_edit_is_taken_as_done(
    chat: Conversation, api: MemoryBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    await answer_all(chat, [*TO_DAYS, "[Pick days]"])
    api.inject_fault("editMessageText", 400)  # Telegram: the message already shows it
    await chat.press("Mon")
    await chat.press("Tue")
    labels = [label for label, _ in api.buttons(api.last_message(USER))]
    assert labels[:2] == ["✅ Mon", "✅ Tue"]
    assert [c.error_code for c in api.calls("editMessageText")][-2:] == [400, None]
    assert not apologised(chat) and not errors(caplog)


async def test_a_telegram_fault_in_a_handler_is_one_warning_and_no_apology(
    chat: Conversation, api: MemoryBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.inject_fault("sendMessage", "network")  # the welcome never arrives
    await chat.say("/start")
    faults = [r for r in caplog.records if "Telegram fault" in r.getMessage()]
    assert len(faults) == 1 and faults[0].levelno == logging.WARNING
    assert faults[0].exc_info is None and "NetworkError" in faults[0].getMessage()
    assert not errors(caplog) and chat.messages() == []
    # The person asks again; the bot shows where they are: the consent question.
    await chat.say("/start")
    assert "Shall we start?" in chat.last_text()


async def test_a_bug_still_gets_its_traceback_and_the_apology(
    chat: Conversation,
    services: Services,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services.onboarding, "begin", broken)
    await chat.say("/start")
    (error,) = errors(caplog)
    assert error.exc_info is not None and "RuntimeError" in error.getMessage()
    assert apologised(chat)


async def test_the_calm_bot_keeps_only_the_cosmetic_failures_quiet(
    app: App, api: MemoryBotApi
) -> None:
    api.add_user(USER)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await app.bot.send_message(USER, "hi", reply_markup=markup)
    api.inject_fault("answerCallbackQuery", 403)
    assert await app.bot.answer_callback_query("nope") is False
    api.inject_fault("editMessageReplyMarkup", 500)
    assert await app.bot.edit_message_reply_markup(USER, sent.message_id) is False  # they stay
    removed = await app.bot.edit_message_reply_markup(USER, sent.message_id)
    assert isinstance(removed, Message)
    # Already without buttons: Telegram's "not modified", taken as done.
    assert await app.bot.edit_message_reply_markup(USER, sent.message_id) is True
    # New buttons, or new words, are content: their failure is the caller's to handle.
    api.inject_fault("editMessageReplyMarkup", 500)
    with pytest.raises(NetworkError):
        await app.bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=markup)
    api.inject_fault("editMessageText", 502)
    with pytest.raises(NetworkError):
        await app.bot.edit_message_text("new", chat_id=USER, message_id=sent.message_id)
    # Telegram's own "not modified", not an injected one.
    assert await app.bot.edit_message_text("hi", chat_id=USER, message_id=sent.message_id)

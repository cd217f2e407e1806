"""First behaviour through the real Application: help, hints, odd inputs, groups, blocking."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.services import Services

USER = 1001


async def test_help_lists_the_commands(chat: Conversation) -> None:
    await chat.say("/help")
    text = chat.last_text()
    for command in ("/start", "/settings", "/cancel", "/help"):
        assert command in text


async def test_start_creates_the_user_and_answers(chat: Conversation, services: Services) -> None:
    await chat.say("/start")
    assert await services.users.get(USER) is not None
    assert "BackCoach" in chat.messages()[0]["text"]


async def test_any_other_text_gets_a_friendly_hint(chat: Conversation) -> None:
    await chat.say("hello")
    assert "/help" in chat.last_text()


async def test_unknown_command_gets_a_hint(chat: Conversation) -> None:
    await chat.say("/frobnicate")
    assert "/help" in chat.last_text()


async def test_stickers_photos_and_voice_get_a_polite_answer(
    chat: Conversation, services: Services
) -> None:
    for kind in ("sticker", "photo", "voice"):
        await chat.send_media(kind)
        assert "text" in chat.last_text()
    assert await services.users.get(USER) is None


async def test_a_very_long_text_gets_a_polite_answer(chat: Conversation) -> None:
    await chat.say("/start")
    await chat.say("x" * 3000)
    assert "short" in chat.last_text()


async def test_group_chat_gets_one_message_and_nothing_is_stored(
    app: App, api: MemoryBotApi, services: Services
) -> None:
    update = api.user_says(USER, "/start", chat_id=-500, chat_type="group")
    await app.process_update(Update.de_json(update, app.bot))
    sent = api.sent_to(-500)
    assert len(sent) == 1 and "private" in sent[0]["text"]
    assert await services.users.get(USER) is None


async def test_blocking_and_unblocking_mark_the_user(
    app: App, api: MemoryBotApi, chat: Conversation, services: Services
) -> None:
    await chat.say("/start")
    await app.process_update(Update.de_json(api.chat_member_update(USER, "kicked"), app.bot))
    user = await services.users.get(USER)
    assert user is not None and not user.active
    await app.process_update(Update.de_json(api.chat_member_update(USER, "member"), app.bot))
    user = await services.users.get(USER)
    assert user is not None and user.active

"""A real `telegram.Bot` against `MemoryBotApi` through `MemoryRequest`: Telegram's semantics."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import telegram
from fakes.waiting import until
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.offline.wire import Upload

ANN = 42
# The smallest valid PNG header: 16x32 pixels.
PNG = (
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (16).to_bytes(4, "big") + (32).to_bytes(4, "big")
)


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


def memory_bot(api: MemoryBotApi, token: str | None = None, **kwargs: float) -> telegram.Bot:
    return telegram.Bot(
        token or api.token,
        request=MemoryRequest(api, **kwargs),
        get_updates_request=MemoryRequest(api, **kwargs),
    )


@pytest.fixture
def api() -> MemoryBotApi:
    return MemoryBotApi()


@pytest.fixture
async def bot(api: MemoryBotApi) -> AsyncIterator[telegram.Bot]:
    async with memory_bot(api) as bot:
        yield bot


async def test_get_me_is_the_bot_named_by_the_token(api: MemoryBotApi, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == int(api.token.split(":")[0])
    assert (me.username, me.first_name) == ("backcoach_bot", "BackCoach")


async def test_a_command_arrives_with_its_entity(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.user_says(ANN, "/start now", first_name="Ann")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.effective_chat is not None
    assert update.message.text == "/start now"
    assert update.message.parse_entities(["bot_command"]) == {update.message.entities[0]: "/start"}
    assert update.effective_chat.type == "private" and update.effective_chat.id == ANN
    assert update.message.from_user is not None and update.message.from_user.first_name == "Ann"


async def test_send_edit_delete_follow_telegram(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.user_says(ANN, "/start")
    sent = await bot.send_message(ANN, "Pain now?", reply_markup=keyboard("low", "high"))
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.chat.type == "private" and sent.message_id == 2  # ids are per chat, shared
    assert api.buttons(api.last_message(ANN)) == [("Low", "low"), ("High", "high")]

    edited = await bot.edit_message_text("Pain now? (0-10)", ANN, sent.message_id)
    assert isinstance(edited, telegram.Message) and edited.edit_date is not None
    # Leaving reply_markup out of an edit removes the buttons, as Telegram does.
    assert api.last_message(ANN)["text"] == "Pain now? (0-10)"
    assert api.buttons(api.last_message(ANN)) == []

    await bot.edit_message_reply_markup(ANN, sent.message_id, reply_markup=keyboard("ok"))
    assert api.buttons(api.last_message(ANN)) == [("Ok", "ok")]

    assert await bot.delete_message(ANN, sent.message_id) is True
    assert api.sent_to(ANN) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ANN, sent.message_id)


async def test_group_message_and_a_quoted_reply(api: MemoryBotApi, bot: telegram.Bot) -> None:
    said = api.group_message(ANN, -100123, "/start@backcoach_bot", title="Back club")
    (update,) = await bot.get_updates()
    assert update.effective_chat is not None and update.effective_chat.type == "supergroup"
    assert update.message is not None and update.message.entities[0].length == 20
    reply = await bot.send_message(
        -100123, "Hi all", reply_parameters=ReplyParameters(said["message"]["message_id"])
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "/start@backcoach_bot"
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(-100123, "Hi", reply_parameters=ReplyParameters(99))


async def test_unchanged_edit_is_a_400_not_modified(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.user_says(ANN, "/start")
    sent = await bot.send_message(ANN, "Hold", reply_markup=keyboard("stop"))
    with pytest.raises(BadRequest, match=r"(?i)is not modified"):
        await bot.edit_message_text("Hold", ANN, sent.message_id, reply_markup=keyboard("stop"))
    with pytest.raises(BadRequest, match=r"(?i)is not modified"):
        await bot.edit_message_reply_markup(ANN, sent.message_id, reply_markup=keyboard("stop"))
    assert [c.error_code for c in api.calls("editMessageText")] == [400]


async def test_unknown_chat_and_limits_are_400(api: MemoryBotApi, bot: telegram.Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(7, "hi")
    api.add_user(7)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(7, "hi", reply_markup=keyboard("x" * 65))
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(7, "x" * 4097)
    assert (await bot.send_message(7, "x" * 4096)).text == "x" * 4096


async def test_faults_raise_ptbs_real_exceptions(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.add_user(ANN)
    api.inject_fault("sendMessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(ANN, "a")
    assert flood.value.retry_after in (3, timedelta(seconds=3))

    api.inject_fault(None, 403)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(ANN, "b")

    api.inject_fault("sendMessage", 500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as server_error:
            await bot.send_message(ANN, "c")
        assert not isinstance(server_error.value, BadRequest)

    # Faults are consumed: the next call goes through and only it reached the chat.
    assert (await bot.send_message(ANN, "d")).text == "d"
    assert [m["text"] for m in api.sent_to(ANN)] == ["d"]
    assert [c.error_code for c in api.calls("sendMessage")] == [429, 403, 500, 500, None]


async def test_not_modified_fault_and_unknown_fault_target(api: MemoryBotApi) -> None:
    api.inject_fault("editMessageText", 400)
    response = await api.call("editMessageText", {"chat_id": ANN, "message_id": 1, "text": "x"})
    assert response.status == 400 and "not modified" in response.body["description"]
    with pytest.raises(ValueError, match=r"(?i)not a method"):
        api.inject_fault("sendMesage", 500)


async def test_slow_answer_past_the_read_timeout_is_timed_out_but_done(api: MemoryBotApi) -> None:
    api.add_user(ANN)
    api.inject_fault("sendMessage", "slow", delay=3)
    async with memory_bot(api, read_timeout=0.05) as bot:
        started = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(ANN, "late")
        assert time.monotonic() - started < 1.5
    # Telegram did send it: the classic duplicate-send risk of retrying after a timeout.
    assert [m["text"] for m in api.sent_to(ANN)] == ["late"]


async def test_a_blocked_user_gets_403_until_they_come_back(
    api: MemoryBotApi, bot: telegram.Bot
) -> None:
    api.user_says(ANN, "/start")
    update = api.chat_member_update(ANN, "kicked")
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(ANN, "Your routine is ready")
    api.chat_member_update(ANN, "member")
    assert (await bot.send_message(ANN, "Welcome back")).text == "Welcome back"
    changes = [u.my_chat_member for u in await bot.get_updates(offset=2)]
    assert [c.new_chat_member.status for c in changes if c] == ["kicked", "member"]


async def test_wrong_token_and_unknown_method(api: MemoryBotApi) -> None:
    async with memory_bot(api) as bot:
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy")
    with pytest.raises(InvalidToken):
        await memory_bot(api, token="1:not-the-token").get_me()
    assert api.calls()[-1].error_code == 404
    assert (await api.call("SENDMESSAGE", {"chat_id": 1})).status == 400  # case-insensitive


async def test_get_updates_offset_confirms_and_drops(api: MemoryBotApi, bot: telegram.Bot) -> None:
    ids = [api.user_says(ANN, f"m{i}")["update_id"] for i in range(4)]
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(offset=ids[2])] == ids[2:]
    assert [u["update_id"] for u in api.pending_updates()] == ids[2:]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[2:]  # gone
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[2:3]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[3:]
    assert await bot.get_updates(offset=ids[3] + 1) == ()
    assert api.pending_updates() == []


async def test_long_poll_waits_and_wakes_on_injection(api: MemoryBotApi, bot: telegram.Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=timedelta(milliseconds=100)) == ()
    assert 0.09 < time.monotonic() - started < 0.5

    asyncio.get_running_loop().call_later(0.05, api.user_says, ANN, "now")
    started = time.monotonic()
    (update,) = await bot.get_updates(timeout=5)
    assert update.message is not None and update.message.text == "now"
    assert time.monotonic() - started < 1


async def test_long_poll_wakes_on_injection_from_another_thread(
    api: MemoryBotApi, bot: telegram.Bot
) -> None:
    threading.Timer(0.05, api.user_says, args=(ANN, "from a thread")).start()
    started = time.monotonic()
    (update,) = await bot.get_updates(timeout=5)
    assert update.message is not None and update.message.text == "from a thread"
    assert time.monotonic() - started < 1


async def test_a_second_poller_terminates_the_first(api: MemoryBotApi, bot: telegram.Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await until(lambda: api.calls("getUpdates"))
    assert await bot.get_updates() == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await first


async def test_uploads_are_stored_and_downloadable(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.add_user(ANN)
    doc = await bot.send_document(ANN, b"%PDF-1.4 week", filename="week.pdf", caption="Your week")
    assert doc.document is not None and doc.caption == "Your week"
    assert (doc.document.file_name, doc.document.file_size) == ("week.pdf", 13)
    assert api.file(doc.document.file_id) == Upload("week.pdf", b"%PDF-1.4 week", "application/pdf")
    assert isinstance(api.calls("sendDocument")[0].params["document"], Upload)

    photo = await bot.send_photo(ANN, PNG)
    assert [(p.width, p.height) for p in photo.photo] == [(16, 32)]
    again = await bot.send_photo(ANN, photo.photo[-1].file_id)  # re-send by file_id
    assert again.photo[-1].file_id == photo.photo[-1].file_id

    voice = await bot.send_voice(ANN, b"OggS", duration=2)
    assert voice.voice is not None and voice.voice.duration in (2, timedelta(seconds=2))

    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 week"
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(ANN, "no-such-file")


async def test_user_media_and_location(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.user_sends(ANN, "voice", content=b"OggS voice", duration=4)
    api.user_sends(ANN, "photo", content=PNG, caption="my desk")
    api.user_sends(ANN, "sticker")
    api.user_location(ANN, 52.37, 4.9)
    voice, photo, sticker, place = [u.message for u in await bot.get_updates()]
    assert voice is not None and voice.voice is not None
    assert bytes(await (await voice.voice.get_file()).download_as_bytearray()) == b"OggS voice"
    assert photo is not None and photo.caption == "my desk" and photo.photo[-1].width == 16
    assert sticker is not None and sticker.sticker is not None
    assert place is not None and place.location is not None
    assert (place.location.latitude, place.location.longitude) == (52.37, 4.9)


async def test_button_press_and_answer(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.user_says(ANN, "/start")
    sent = await bot.send_message(ANN, "Ready?", reply_markup=keyboard("go"))
    with pytest.raises(LookupError):
        api.user_presses(ANN, sent.message_id, "stop")
    api.user_presses(ANN, sent.message_id, "go")
    query = (await bot.get_updates(offset=2))[0].callback_query
    assert query is not None and query.data == "go"
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await query.answer("Let's go") is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()


async def test_reply_keyboard_is_tracked(api: MemoryBotApi, bot: telegram.Bot) -> None:
    api.add_user(ANN)
    await bot.send_message(
        ANN, "How was it?", reply_markup=ReplyKeyboardMarkup([["Done", "It hurt"]])
    )
    assert api.reply_keyboard(ANN) == ["Done", "It hurt"]
    assert "reply_markup" not in api.last_message(ANN)  # Telegram echoes inline keyboards only
    await bot.send_message(ANN, "Noted", reply_markup=ReplyKeyboardRemove())
    assert api.reply_keyboard(ANN) == []


async def test_commands_per_scope(api: MemoryBotApi, bot: telegram.Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("stop", "Pause")])
    await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeChat(ANN))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "stop"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(ANN))] == [
        "help"
    ]
    assert await bot.delete_my_commands() is True
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "Begin")])


async def test_webhook_state_and_its_conflict_with_polling(
    api: MemoryBotApi, bot: telegram.Bot
) -> None:
    api.user_says(ANN, "hi")
    assert await bot.set_webhook("https://example.test/hook", secret_token="s3cret") is True
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == ("https://example.test/hook", 1)
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates() == ()
    assert await bot.close() is True and await bot.log_out() is True


async def test_the_call_log_has_decoded_params_and_times(
    api: MemoryBotApi, bot: telegram.Bot
) -> None:
    api.add_user(ANN)
    await bot.send_chat_action(ANN, "typing")
    await bot.send_message(ANN, "42", reply_markup=keyboard("a"))
    action, message = api.calls()[-2:]
    assert action.method == "sendChatAction" and action.result is True
    assert message.params["chat_id"] == ANN and message.params["text"] == "42"
    assert message.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert message.ok and action.at <= message.at <= time.monotonic()


async def test_a_ptb_application_polls_and_replies(api: MemoryBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome", reply_markup=keyboard("begin"))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer()
        await update.callback_query.edit_message_text("Starting")

    app = (
        ApplicationBuilder()
        .token(api.token)
        .request(MemoryRequest(api))
        .get_updates_request(MemoryRequest(api))
        .build()
    )
    app.add_handlers([CommandHandler("start", start), CallbackQueryHandler(pressed)])
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.user_says(ANN, "/start")
        welcome = await until(lambda: api.sent_to(ANN))
        api.user_presses(ANN, welcome[0]["message_id"], "begin")
        await until(lambda: api.last_message(ANN)["text"] == "Starting")
        await app.updater.stop()
        await app.stop()
    assert [c.method for c in api.calls() if c.method != "getUpdates"] == [
        "getMe",
        "deleteWebhook",
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
    ]
    assert api.pending_updates() == []

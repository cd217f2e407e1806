"""RetryingRequest: what is retried, what never is, the bound, and what the log says."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qsl

import httpx
import pytest
from fakes.http_botapi import running_botapi
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.chat.jobs import SendPolicy, send_push
from bot.chat.resilience import RetryingRequest, build_bot, surely_not_applied
from bot.services.pushes import Outcome, PushJob

TOKEN = "5550001234:resilience-test-token"
BASE = "https://api.telegram.test/bot"
SECRET_TEXT = "my back hurts since the fall"
Answer = Callable[[httpx.Request], httpx.Response]


def ok(result: object) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})


def message(request: httpx.Request) -> httpx.Response:
    """Telegram's answer: the bot for getMe, True for a press, else the message sent or edited."""
    method = request.url.path.rsplit("/", 1)[-1]
    if method == "getMe":
        return ok({"id": 5550001234, "is_bot": True, "first_name": "BackCoach", "username": "b"})
    if method == "answerCallbackQuery":
        return ok(True)
    body = dict(parse_qsl(request.content.decode()))  # PTB posts a form
    return ok(
        {
            "message_id": 5,
            "date": 0,
            "chat": {"id": 7, "type": "private"},
            "text": body.get("text", ""),
        }
    )


class Script:
    """A mock Telegram: each call but getMe takes the next of `answers`, then `message`."""

    def __init__(self, *answers: Answer | type[Exception] | int) -> None:
        self.answers = list(answers)
        self.methods: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.methods.append(request.url.path.rsplit("/", 1)[-1])
        scripted = self.answers and self.methods[-1] != "getMe"
        answer = self.answers.pop(0) if scripted else message
        if isinstance(answer, int):
            return httpx.Response(
                answer, json={"ok": False, "error_code": answer, "description": "x"}
            )
        if isinstance(answer, type):
            raise answer("scripted", request=request)
        return answer(request)

    def bot(self, attempts: int = 4) -> Bot:
        request = RetryingRequest(
            attempts=attempts, backoff=0.001, httpx_kwargs={"transport": httpx.MockTransport(self)}
        )
        return Bot(TOKEN, base_url=BASE, request=request)


def disconnected(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.")


async def test_a_5xx_is_retried_until_it_works() -> None:
    script = Script(500, 502)
    async with script.bot() as bot:
        sent = await bot.send_message(7, "hello")
    assert sent.text == "hello"
    assert script.methods.count("sendMessage") == 3


async def test_a_send_that_surely_never_left_is_retried() -> None:
    script = Script(httpx.ConnectError, disconnected, httpx.PoolTimeout)
    async with script.bot() as bot:
        await bot.send_message(7, "hello")
    assert script.methods.count("sendMessage") == 4


def broken_mid_way(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


@pytest.mark.parametrize(
    "fault", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, broken_mid_way]
)
async def test_a_send_whose_answer_was_lost_is_never_sent_again(
    fault: Answer | type[Exception],
) -> None:
    script = Script(fault)
    async with script.bot() as bot:
        with pytest.raises(NetworkError):
            await bot.send_message(7, "maybe delivered")
    assert script.methods.count("sendMessage") == 1


async def test_an_edit_after_a_read_timeout_is_retried() -> None:
    script = Script(httpx.ReadTimeout, httpx.ReadError)
    async with script.bot() as bot:
        edited = await bot.edit_message_text("new", chat_id=7, message_id=5)
        assert not isinstance(edited, bool) and edited.text == "new"
        await bot.answer_callback_query("q1")
    edits = ["editMessageText"] * 3  # the read timeout, the broken read, the answer
    assert script.methods == ["getMe", *edits, "answerCallbackQuery"]


async def test_it_gives_up_after_the_bound_with_one_warning_and_no_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.chat.resilience")
    script = Script(*[503] * 10)
    async with script.bot(attempts=3) as bot:
        caplog.clear()
        with pytest.raises(NetworkError):
            await bot.send_message(7, SECRET_TEXT)
    assert script.methods.count("sendMessage") == 3
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "sendMessage" in warnings[0].getMessage() and warnings[0].exc_info is None
    assert SECRET_TEXT not in caplog.text and TOKEN not in caplog.text
    assert "resilience-test-token" not in caplog.text


async def test_a_gateway_page_that_is_not_json_stays_a_quiet_network_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    page = "<html><body>502 Bad Gateway</body></html>"
    script = Script(*[lambda _r: httpx.Response(502, text=page)] * 4)
    async with script.bot() as bot:
        caplog.clear()
        with pytest.raises(NetworkError) as raised:
            await bot.send_message(7, "hello")
    assert not isinstance(raised.value, BadRequest)
    assert page not in caplog.text and not [r for r in caplog.records if r.exc_info]


async def test_4xx_answers_are_never_retried() -> None:
    script = Script(400, 403)
    async with script.bot() as bot:
        with pytest.raises(BadRequest):
            await bot.edit_message_text("same", chat_id=7, message_id=5)
    assert script.methods.count("editMessageText") == 1


def test_what_surely_was_not_applied() -> None:
    def wrapped(cause: Exception) -> NetworkError:
        error = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("x")
        error.__cause__ = cause
        return error

    request = httpx.Request("POST", BASE)
    assert surely_not_applied(wrapped(httpx.ConnectError("no", request=request)))
    assert surely_not_applied(wrapped(httpx.PoolTimeout("busy", request=request)))
    assert surely_not_applied(NetworkError("Bad Gateway"))  # an error status, no cause
    assert not surely_not_applied(wrapped(httpx.ReadTimeout("late", request=request)))
    assert not surely_not_applied(wrapped(httpx.ReadError("reset", request=request)))
    assert not surely_not_applied(TimedOut())  # a read timeout of the in-memory request


async def test_over_http_a_dropped_connection_is_retried_and_delivered_once() -> None:
    async with running_botapi() as server:
        api = server.api
        api.add_user(7)
        api.inject_fault("sendMessage", "network", times=2)
        api.inject_fault("editMessageText", "slow", delay=0.6)
        request = RetryingRequest(backoff=0.001, read_timeout=0.3)
        async with build_bot(api.token, request=request, base_url=server.base_url) as bot:
            sent = await bot.send_message(7, "once")
            # Made, but answered after the read timeout: retried, and Telegram says "not
            # modified", which the calm bot takes as done.
            assert await bot.edit_message_text("twice?", chat_id=7, message_id=sent.message_id)
    assert [m["text"] for m in api.sent_to(7)] == ["twice?"]
    assert [c.error_code for c in api.calls("sendMessage")] == [0, 0, None]
    assert [c.error_code for c in api.calls("editMessageText")] == [None, 400]


def push_job() -> PushJob:
    return PushJob(
        push_id=1,
        morning_id=1,
        user_id=7,
        chat_id=7,
        first_name="Ann",
        local_date=date(2026, 11, 23),
        kind="check",  # the pain question alone: no routine preview needed
        ask_pain=True,
        preview=None,
    )


async def test_a_push_whose_answer_was_lost_is_sent_once_by_both_retry_layers() -> None:
    script = Script(httpx.ReadTimeout)
    async with script.bot() as bot:
        result = await send_push(bot, push_job(), SendPolicy(attempts=4, backoff=0.001))
    assert result.outcome is Outcome.UNKNOWN
    assert script.methods.count("sendMessage") == 1


async def test_a_push_refused_with_5xx_is_retried_by_the_client_then_the_push_policy() -> None:
    script = Script(*[500] * 5)  # the client gives up after 4; the push policy tries again
    async with script.bot() as bot:
        result = await send_push(bot, push_job(), SendPolicy(attempts=2, backoff=0.001))
    assert (result.outcome, result.attempts) == (Outcome.SENT, 2)
    assert script.methods.count("sendMessage") == 6

"""A real `telegram.Bot` (httpx) against the HTTP Bot API fake on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import telegram
import uvicorn
from fakes.http_botapi import (
    SECRET_HEADER,
    BotApiServer,
    listening_socket,
    running_botapi,
    serve_botapi,
)
from fakes.waiting import until, until_sync
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.chat.offline.wire import Upload

pytestmark = pytest.mark.e2e

ANN = 42


def http_bot(srv: BotApiServer, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(
        token or srv.api.token, base_url=srv.base_url, base_file_url=srv.base_file_url
    )


@pytest.fixture(scope="module")
def shared_server() -> Iterator[BotApiServer]:
    # One server thread for the module: starting and stopping uvicorn costs ~0.2 s.
    with serve_botapi(webhook_max_attempts=3) as server:
        yield server


@pytest.fixture
def srv(shared_server: BotApiServer) -> BotApiServer:
    shared_server.api.reset()
    shared_server.deliveries.clear()
    return shared_server


@pytest.fixture
async def bot(srv: BotApiServer) -> AsyncIterator[telegram.Bot]:
    async with http_bot(srv) as bot:
        yield bot


@dataclass
class Receiver:
    """A webhook endpoint that answers with scripted statuses, then 200."""

    url: str
    statuses: list[int]
    received: list[tuple[int, str | None]] = field(default_factory=list)


@asynccontextmanager
async def webhook_receiver(*statuses: int) -> AsyncIterator[Receiver]:
    sock = listening_socket()
    receiver = Receiver(f"http://127.0.0.1:{sock.getsockname()[1]}/hook", list(statuses))

    async def hook(request: Request) -> Response:
        update = await request.json()
        receiver.received.append((update["update_id"], request.headers.get(SECRET_HEADER)))
        return Response(status_code=receiver.statuses.pop(0) if receiver.statuses else 200)

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


async def test_get_me_send_edit_delete_over_http(srv: BotApiServer, bot: telegram.Bot) -> None:
    assert bot.username == "backcoach_bot"
    srv.api.user_says(ANN, "/start")
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="done")]])
    sent = await bot.send_message(ANN, "Bridge: 10 reps", reply_markup=buttons)
    assert srv.api.buttons(srv.api.last_message(ANN)) == [("Done", "done")]
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Bridge: 10 reps", ANN, sent.message_id, reply_markup=buttons)
    await bot.edit_message_text("Bridge: done", ANN, sent.message_id)
    assert srv.api.last_message(ANN)["text"] == "Bridge: done"
    assert await bot.delete_message(ANN, sent.message_id) is True
    assert srv.api.sent_to(ANN) == []


async def test_wrong_token_is_invalid_token(srv: BotApiServer) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with http_bot(srv, token="1:wrong"):
            pass
    assert srv.api.calls() == []


async def test_faults_over_http(srv: BotApiServer, bot: telegram.Bot) -> None:
    srv.api.add_user(ANN)
    srv.api.inject_fault("sendMessage", 429, retry_after=7)
    srv.api.inject_fault("sendMessage", 403)
    srv.api.inject_fault("sendMessage", 500)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(ANN, "a")
    assert flood.value.retry_after in (7, timedelta(seconds=7))
    with pytest.raises(Forbidden):
        await bot.send_message(ANN, "b")
    with pytest.raises(NetworkError):
        await bot.send_message(ANN, "c")
    await bot.send_message(ANN, "d")
    assert [m["text"] for m in srv.api.sent_to(ANN)] == ["d"]


async def test_multipart_uploads_and_downloads(srv: BotApiServer, bot: telegram.Bot) -> None:
    srv.api.add_user(ANN)
    # Bytes that would trip a careless multipart parser: CRLFs and a fake boundary.
    content = b"line\r\n--boundary\r\n\r\n\x00\xff"
    doc = await bot.send_document(ANN, content, filename="plan.bin", caption="Plan")
    assert doc.document is not None and doc.caption == "Plan"
    assert srv.api.file(doc.document.file_id) == Upload(
        "plan.bin", content, "application/octet-stream"
    )
    photo = await bot.send_photo(ANN, b"\x89PNG\r\n\x1a\n" + bytes(16), filename="chart.png")
    assert srv.api.file(photo.photo[-1].file_id).filename == "chart.png"
    file = await bot.get_file(doc.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content


async def test_long_poll_wakes_without_blocking_the_server(
    srv: BotApiServer, bot: telegram.Bot
) -> None:
    srv.api.add_user(ANN)
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await until(lambda: srv.api.calls("getUpdates"))
    # While the long poll is open, other calls are answered at once.
    started = time.monotonic()
    await bot.send_message(ANN, "still serving")
    assert time.monotonic() - started < 0.5
    assert not poll.done()
    srv.api.user_says(ANN, "wake up")
    (update,) = await asyncio.wait_for(poll, 1)
    assert update.message is not None and update.message.text == "wake up"


def test_every_body_encoding(srv: BotApiServer) -> None:
    with httpx.Client(base_url=srv.base_url + srv.api.token) as http:
        srv.api.add_user(ANN)
        assert http.get("/getMe").json()["result"]["is_bot"] is True
        assert http.get("/sendMessage", params={"chat_id": ANN, "text": "q"}).json()["ok"]
        assert http.post("/sendMessage", data={"chat_id": str(ANN), "text": "f"}).json()["ok"]
        assert http.post("/sendMessage", json={"chat_id": ANN, "text": "j"}).json()["ok"]
        assert [m["text"] for m in srv.api.sent_to(ANN)] == ["q", "f", "j"]
        assert http.post("/sendTelepathy").json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }
        assert httpx.get(f"http://127.0.0.1:{srv.port}/favicon.ico").status_code == 404


def test_long_poll_wakes_on_injection_from_another_thread(srv: BotApiServer) -> None:
    with httpx.Client(base_url=srv.base_url + srv.api.token) as http:
        threading.Timer(0.05, srv.api.user_says, args=(ANN, "hello")).start()
        started = time.monotonic()
        answer = http.post("/getUpdates", json={"timeout": 5}, timeout=10).json()
        assert time.monotonic() - started < 1
        assert [u["message"]["text"] for u in answer["result"]] == ["hello"]


def test_stopping_the_server_ends_an_open_long_poll_at_once() -> None:
    outcome: list[int] = []
    started = time.monotonic()
    with serve_botapi() as srv:
        url = srv.base_url + srv.api.token + "/getUpdates"

        def poll() -> None:
            try:
                outcome.append(httpx.post(url, json={"timeout": 30}, timeout=10).status_code)
            except httpx.HTTPError:
                outcome.append(0)

        poller = threading.Thread(target=poll)
        poller.start()
        until_sync(lambda: srv.api.calls("getUpdates"))
    poller.join(5)
    assert outcome == [200]
    assert time.monotonic() - started < 2


async def test_webhook_delivery_with_secret_and_retry(srv: BotApiServer) -> None:
    async with webhook_receiver(500, 502) as hook:
        async with http_bot(srv) as bot:
            await bot.set_webhook(hook.url, secret_token="s3cret")
        first = srv.api.user_says(ANN, "one")["update_id"]
        second = srv.api.user_says(ANN, "two")["update_id"]
        await until(lambda: not srv.api.pending_updates())
        assert hook.received == [
            (first, "s3cret"),
            (first, "s3cret"),
            (first, "s3cret"),
            (second, "s3cret"),
        ]
        assert [d.status for d in srv.deliveries] == [500, 502, 200, 200]
        async with http_bot(srv) as bot:
            info = await bot.get_webhook_info()
        assert info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 502 Bad Gateway"


async def test_webhook_gives_up_after_bounded_attempts(srv: BotApiServer) -> None:
    async with webhook_receiver(500, 500, 500, 500) as hook:
        srv.api.add_user(ANN)
        await srv.api.call("setWebhook", {"url": hook.url})
        srv.api.user_says(ANN, "lost")
        await until(lambda: not srv.api.pending_updates())
        assert len(hook.received) == 3 and not any(d.ok for d in srv.deliveries)


async def test_ptb_webhook_transport_end_to_end() -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome")

    probe = listening_socket()
    port = probe.getsockname()[1]
    probe.close()
    async with running_botapi() as srv:
        app = (
            ApplicationBuilder()
            .token(srv.api.token)
            .base_url(srv.base_url)
            .base_file_url(srv.base_file_url)
            .build()
        )
        app.add_handler(CommandHandler("start", start))
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_webhook(
                listen="127.0.0.1",
                port=port,
                url_path="hook",
                webhook_url=f"http://127.0.0.1:{port}/hook",
                secret_token="s3cret",
            )
            assert srv.api.webhook is not None and srv.api.webhook.secret_token == "s3cret"
            srv.api.user_says(ANN, "/start")
            await until(lambda: srv.api.sent_to(ANN))
            await app.updater.stop()
            await app.stop()
        assert srv.api.last_message(ANN)["text"] == "Welcome"
        assert [d.status for d in srv.deliveries] == [200]
        assert srv.api.calls("setWebhook")[0].params["url"] == f"http://127.0.0.1:{port}/hook"

"""The Bot API over real HTTP on 127.0.0.1, served from a `MemoryBotApi`.

Routes follow Telegram's URL shapes: ``/bot<TOKEN>/<method>`` (GET or POST; query string,
JSON, form-urlencoded or multipart bodies) and ``/file/bot<TOKEN>/<path>`` for downloads.
Once the bot calls setWebhook, queued updates are POSTed to its URL with the secret-token
header; a failed delivery is retried after a short delay, a bounded number of times.

Sync tests::

    with serve_botapi() as srv:
        bot = telegram.Bot(srv.api.token, base_url=srv.base_url)

Async tests::

    async with running_botapi() as srv:
        srv.api.user_says(42, "/start")
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.offline.wire import NOT_FOUND, URL_PATH, ApiError, ConnectionDropped, Upload

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
_DROP: Final = "backcoach.drop_connection"  # scope key: closes the request's connection unanswered


class DroppableConnections:
    """The outermost ASGI layer: lets the endpoint drop its connection without an answer.

    Only here is `send` uvicorn's own (its request-response cycle, which holds the
    transport); Starlette's layers wrap it. Aborting the transport makes the client see the
    connection closed with no response, as when a network path or a proxy fails.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cycle: Any = getattr(send, "__self__", None)
            if cycle is not None:
                scope[_DROP] = cycle.transport.abort
        await self.app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One attempt to POST an update to the bot's webhook."""

    update_id: int
    url: str
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        """Whether the webhook answered 2xx."""
        return self.error is None


def _header_params(value: str, header: str) -> Message:
    """A header value parsed the way the email package parses MIME parameters."""
    message = Message()
    message[header] = value
    return message


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    """Split a multipart/form-data body into plain fields and file uploads."""
    boundary = _header_params(content_type, "content-type").get_param("boundary")
    if not isinstance(boundary, str):
        raise ApiError(400, "Bad Request: multipart boundary is missing")
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        # The CRLF before the next delimiter belongs to the delimiter, not the content.
        content = content.removesuffix(b"\r\n")
        headers = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = headers.get_filename()
        if filename is None:
            fields[name] = content.decode()
        else:
            files[name] = Upload(filename, content, headers.get_content_type())
    return fields, files


async def read_params(request: Request) -> tuple[dict[str, object], dict[str, Upload]]:
    """Parameters from the query string and the body, whatever its content type."""
    params: dict[str, object] = dict(request.query_params)
    files: dict[str, Upload] = {}
    content_type = request.headers.get("content-type", "")
    body = await request.body()
    if not body:
        return params, files
    if content_type.startswith("application/json"):
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ApiError(400, "Bad Request: the JSON body must be an object")
        params.update(decoded)
    elif content_type.startswith("multipart/form-data"):
        fields, files = parse_multipart(content_type, body)
        params.update(fields)
    else:
        params.update(parse_qsl(body.decode()))
    return params, files


class BotApiServer:
    """Serves a `MemoryBotApi` over HTTP and delivers its updates to a webhook when set."""

    def __init__(
        self,
        api: MemoryBotApi,
        sock: socket.socket,
        *,
        webhook_retry_delay: float = 0.05,
        webhook_max_attempts: int = 5,
        webhook_timeout: float = 5.0,
    ) -> None:
        self.api = api
        self.port: int = sock.getsockname()[1]
        self.deliveries: list[WebhookDelivery] = []
        self._sock = sock
        self._retry_delay = webhook_retry_delay
        self._max_attempts = webhook_max_attempts
        self._webhook_timeout = webhook_timeout
        app = DroppableConnections(
            Starlette(routes=[Route("/{path:path}", self._endpoint, methods=["GET", "POST"])])
        )
        # No access log: its lines would carry the bot token.
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self._uvicorn = uvicorn.Server(config)

    @property
    def base_url(self) -> str:
        """PTB's `base_url` for this server (the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """PTB's `base_file_url` for this server."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _endpoint(self, request: Request) -> Response:
        match = URL_PATH.search(request.url.path)
        if match is None:
            return Response(NOT_FOUND.payload, NOT_FOUND.status, media_type="application/json")
        if match["file"]:
            content = self.api.file_content(match["rest"])
            if match["token"] != self.api.token or content is None:
                return Response(NOT_FOUND.payload, NOT_FOUND.status, media_type="application/json")
            return Response(content, media_type="application/octet-stream")
        try:
            params, files = await read_params(request)
        except (ApiError, ValueError) as exc:
            error = exc if isinstance(exc, ApiError) else ApiError(400, "Bad Request: bad body")
            answer = error.response()
        else:
            try:
                answer = await self.api.handle(match["token"], match["rest"], params, files)
            except ConnectionDropped:
                request.scope[_DROP]()
                # Let uvicorn see the connection gone: what follows is then never sent.
                await asyncio.sleep(0)
                return Response(status_code=500)
        return Response(answer.payload, answer.status, media_type="application/json")

    async def serve(self) -> None:
        """Run uvicorn and webhook delivery until `request_stop`."""
        delivery = asyncio.create_task(self._deliver_webhooks())
        try:
            await self._uvicorn.serve(sockets=[self._sock])
        finally:
            delivery.cancel()
            await asyncio.gather(delivery, return_exceptions=True)

    def request_stop(self) -> None:
        """Ask the server to stop; safe from any thread."""
        self._uvicorn.should_exit = True
        # Open long polls would hold the graceful shutdown for their whole timeout.
        self.api.interrupt_long_polls()

    async def _deliver_webhooks(self) -> None:
        attempts: dict[int, int] = {}
        async with httpx.AsyncClient(timeout=self._webhook_timeout) as client:
            while True:
                found = await self.api.next_webhook_update(within=1.0)
                if found is None:
                    continue
                webhook, update = found
                update_id = update["update_id"]
                headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
                status: int | None = None
                try:
                    response = await client.post(webhook.url, json=update, headers=headers)
                except httpx.TimeoutException:
                    error: str | None = "Read timeout expired"
                except httpx.HTTPError:
                    error = "Connection refused"
                else:
                    status = response.status_code
                    error = None
                    if not response.is_success:
                        error = (
                            f"Wrong response from the webhook: {status} {response.reason_phrase}"
                        )
                self.deliveries.append(WebhookDelivery(update_id, webhook.url, status, error))
                if error is None:
                    attempts.pop(update_id, None)
                    self.api.ack_webhook_update(update_id)
                    continue
                self.api.note_webhook_error(error)
                attempts[update_id] = attempts.get(update_id, 0) + 1
                if attempts[update_id] >= self._max_attempts:
                    # Telegram, too, gives up on an update after repeated failures.
                    self.api.ack_webhook_update(update_id)
                else:
                    await asyncio.sleep(self._retry_delay)


def listening_socket() -> socket.socket:
    """A TCP socket listening on a free port of 127.0.0.1."""
    # proto=IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so,
    # and without it every keep-alive answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Port 0: the kernel picks a free port. Listening now lets clients connect at once.
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def serve_botapi(
    api: MemoryBotApi | None = None,
    *,
    webhook_retry_delay: float = 0.05,
    webhook_max_attempts: int = 5,
) -> Iterator[BotApiServer]:
    """Run the HTTP Bot API in a background thread (with its own event loop)."""
    server = BotApiServer(
        api or MemoryBotApi(),
        listening_socket(),
        webhook_retry_delay=webhook_retry_delay,
        webhook_max_attempts=webhook_max_attempts,
    )
    thread = threading.Thread(
        target=asyncio.run, args=(server.serve(),), name="botapi-http", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        while thread.is_alive():
            server.request_stop()
            thread.join(0.05)


@asynccontextmanager
async def running_botapi(
    api: MemoryBotApi | None = None,
    *,
    webhook_retry_delay: float = 0.05,
    webhook_max_attempts: int = 5,
) -> AsyncIterator[BotApiServer]:
    """Run the HTTP Bot API as a task on the current event loop."""
    server = BotApiServer(
        api or MemoryBotApi(),
        listening_socket(),
        webhook_retry_delay=webhook_retry_delay,
        webhook_max_attempts=webhook_max_attempts,
    )
    task = asyncio.create_task(server.serve())
    try:
        yield server
    finally:
        while not task.done():
            server.request_stop()
            await asyncio.wait((task,), timeout=0.05)
        await task

"""Webhook mode: Starlette + uvicorn; an update is processed before Telegram gets its 200."""

from __future__ import annotations

import hmac
import json
import logging
from types import FrameType
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Update

from bot.app import build_application, on_startup
from bot.chat.context import App
from bot.chat.metrics import metrics_of
from bot.services import Services
from bot.services.chat_order import ChatBusy, ChatOrder, LocalChatOrder, build_chat_order

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; anything this large is not one of them.
MAX_BODY = 1 << 20


class _TooLarge(Exception):
    """The request body is over MAX_BODY."""


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it is known to be over MAX_BODY (never read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _update_of(payload: dict[str, object], app: App) -> Update | None:
    """The Update in a JSON object, or None when it is not one Telegram would send."""
    update_id = payload.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    try:
        return Update.de_json(payload, app.bot)
    # PTB raises whatever the malformed shape trips over (AttributeError, KeyError, ...).
    except Exception:
        return None


class _Server(uvicorn.Server):
    """uvicorn, minus re-raising SIGTERM after its graceful stop: the bot still has to stop
    its Application and database, and then exit 0 like the polling mode does."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def webhook_path(url: str) -> str:
    """The local route for the public webhook URL (its path, or /telegram)."""
    return urlsplit(url).path or "/telegram"


def build_web_app(
    app: App, services: Services, secret: str, path: str, order: ChatOrder | None = None
) -> Starlette:
    """The ASGI app: the webhook route, /healthz and /metrics."""
    expected = secret.encode()
    chats = order or LocalChatOrder()
    metrics = metrics_of(app.bot_data)

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        # Constant time, so the secret cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(given, expected):
            return PlainTextResponse("forbidden", status_code=403)
        try:
            payload = json.loads(await _read_body(request))
        except _TooLarge:
            return PlainTextResponse("too large", status_code=413)
        except ValueError:  # malformed JSON or not UTF-8
            return PlainTextResponse("bad update", status_code=400)
        if not isinstance(payload, dict):
            return PlainTextResponse("bad update", status_code=400)
        update = _update_of(payload, app)
        if update is None:
            # A 200, or Telegram would resend it forever; the payload is not logged (user text).
            log.debug("dropped an object that is not a valid update")
            return Response(status_code=200)
        chat = update.effective_chat
        # Processed before answering: if the process dies here, Telegram sends it again.
        # One update per chat at a time, across every worker (see bot.services.chat_order).
        try:
            async with chats.hold(chat.id if chat is not None else None):
                await metrics.timed(update, app.process_update(update))
        except ChatBusy as exc:
            log.warning("update %s not handled now: %s", update.update_id, exc)
            return PlainTextResponse("busy", status_code=503)
        return Response(status_code=200)

    async def healthz(_request: Request) -> Response:
        ok = await services.db_ok()
        return JSONResponse({"database": "ok" if ok else "down"}, status_code=200 if ok else 503)

    async def metrics_text(_request: Request) -> Response:
        return Response(metrics.text(), media_type=metrics.content_type)

    return Starlette(
        routes=[
            Route(path, telegram, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_text, methods=["GET"]),
        ]
    )


async def serve_webhook(services: Services, token: str) -> None:
    """Register the webhook with Telegram and serve it until SIGINT or SIGTERM."""
    settings = services.settings
    url, secret = settings.require_webhook()
    app = build_application(services, token, base_url=settings.api_base_url)
    order = build_chat_order(settings.database_url)
    web = build_web_app(app, services, secret, webhook_path(url), order)
    server = _Server(
        uvicorn.Config(
            web,
            host=settings.webhook_listen,
            port=settings.webhook_port,
            log_level="warning",
            access_log=False,  # access lines would carry nothing useful and cost a write each
        )
    )
    try:
        async with app:
            await on_startup(app)
            await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
            await app.start()
            log.info("webhook listening on %s:%s", settings.webhook_listen, settings.webhook_port)
            await server.serve()
            await app.stop()
    finally:
        await order.close()
        await services.close()

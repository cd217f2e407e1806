"""How the bot lives through Telegram's faults without breaking the conversation.

Three layers, each doing one thing:

* `RetryingRequest` (the HTTP client): a 5xx answer, or a request that surely never reached
  Telegram, is tried again a bounded number of times with backoff. Methods that change nothing
  when repeated (everything but send*/copy*/forward*) are also retried after a timeout or a
  broken connection. A send whose answer was lost is never sent again: it may have arrived,
  and a double message is worse than a lost one (the person's next message shows their step).
* `CalmBot` (the bot): cosmetic calls never end a handler. Answering a button press and taking
  buttons off an old message may fail quietly, and an edit Telegram calls "not modified" has
  already the content it asked for. 429s still reach the rate limiter first, which waits and
  retries (see `bot.chat.rate_limit`); only what is left after that is swallowed here.
* `telegram_fault`: the error handler's question. A Telegram fault that still ends a handler
  is one WARNING line, and nothing is said to the person (their next message shows the step);
  anything else is a bug, with its traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any, Final, TypeGuard

import httpx
from telegram import Message
from telegram._utils.types import ODVInput
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import BaseRateLimiter, ExtBot
from telegram.request import BaseRequest, HTTPXRequest, RequestData

log = logging.getLogger(__name__)

ATTEMPTS: Final = 4
BACKOFF: Final = 0.2  # seconds before the first retry, doubled each time: 0.2, 0.4, 0.8
# Methods that may deliver something twice if repeated; every other method is idempotent.
_SENDS: Final = ("send", "copy", "forward")
# httpx failures that happen before a request leaves: sending again cannot duplicate.
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# h11's words when a kept-alive connection was closed by the server as the request went out.
_NO_RESPONSE: Final = "without sending a response"
_NOT_MODIFIED: Final = "not modified"
# What a Telegram fault is, for the error handler (BadRequest and TimedOut are NetworkErrors).
_FAULTS: Final = (NetworkError, RetryAfter, Forbidden, ChatMigrated)


def surely_not_applied(exc: BaseException) -> bool:
    """Whether Telegram surely did not carry out the request that failed with `exc`.

    True when no request left (connect and pool errors), when the server closed the connection
    without an answer as the request went out (the keep-alive race), and for an error status:
    Telegram answered that it did not do it. A timeout or a connection broken mid-way may
    hide a request that was applied.
    """
    cause = exc.__cause__ if isinstance(exc, TelegramError) else exc
    if isinstance(cause, _NOT_SENT):
        return True
    if isinstance(cause, httpx.RemoteProtocolError):
        return _NO_RESPONSE in str(cause)
    # An error status (5xx, 4xx) carries no cause. A TimedOut without one is a read timeout
    # of a request that is not HTTP (the in-memory one): it may have been applied.
    return isinstance(exc, TelegramError) and cause is None and not isinstance(exc, TimedOut)


def is_send(method: str) -> bool:
    """Whether repeating this Bot API method may deliver something twice."""
    return method.startswith(_SENDS)


def telegram_fault(exc: BaseException | None) -> TypeGuard[TelegramError]:
    """Whether an error is Telegram's (network, 5xx, 429, 403, 400) rather than a bug of ours."""
    return isinstance(exc, _FAULTS)


def describe(exc: BaseException) -> str:
    """A one-line description of a fault for the logs: never a URL, a token or a user's text."""
    name = type(exc).__name__
    if isinstance(exc, RetryAfter):
        return f"{name} ({exc.retry_after})"
    if isinstance(exc, BadRequest | Forbidden | ChatMigrated):
        return f"{name}: {exc.message}"  # Telegram's own description
    if exc.__cause__ is not None:
        return f"{name} ({type(exc.__cause__).__name__})"
    return f"{name}: {exc}" if isinstance(exc, TelegramError) else name


class RetryingRequest(HTTPXRequest):
    """PTB's HTTP client, retrying what is safe to retry (see the module's description)."""

    __slots__ = ("attempts", "backoff")

    def __init__(
        self, *args: Any, attempts: int = ATTEMPTS, backoff: float = BACKOFF, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.attempts = attempts
        self.backoff = backoff

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One Bot API call, tried up to `attempts` times while that cannot do harm."""
        name = url.rsplit("/", 1)[-1]  # the method; the rest of the URL holds the token
        attempt = 1
        while True:
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout,
                    write_timeout,
                    connect_timeout,
                    pool_timeout,
                )
            except NetworkError as exc:  # TimedOut included; nothing else comes from httpx
                if is_send(name) and not surely_not_applied(exc):
                    raise  # a send that may have arrived: never twice
                if attempt >= self.attempts:
                    log.warning("%s: gave up after %s attempts (%s)", name, attempt, describe(exc))
                    raise
                reason = describe(exc)
            else:
                if code < 500:
                    return code, payload
                if attempt >= self.attempts:
                    log.warning("%s: gave up after %s attempts (HTTP %s)", name, attempt, code)
                    return code, _envelope(code, payload)
                reason = f"HTTP {code}"
            delay = self.backoff * 2 ** (attempt - 1)
            log.debug("%s: %s, attempt %s; again in %.1f s", name, reason, attempt, delay)
            await asyncio.sleep(delay)
            attempt += 1


def _envelope(code: int, payload: bytes) -> bytes:
    """Telegram's error envelope for a 5xx whose body is not one (a proxy's HTML page).

    PTB logs an unparsable error body with its traceback and its whole text; this keeps a
    gateway's error page a plain NetworkError.
    """
    try:
        if isinstance(json.loads(payload), dict):
            return payload
    except ValueError:
        pass
    return json.dumps({"ok": False, "error_code": code, "description": f"HTTP {code}"}).encode()


class CalmBot(ExtBot[Any]):
    """PTB's ExtBot whose cosmetic calls never end a handler (see the module's description)."""

    async def answer_callback_query(self, *args: Any, **kwargs: Any) -> bool:
        """Stop the button's spinner; a failure only means the spinner runs a little longer."""
        try:
            return await super().answer_callback_query(*args, **kwargs)
        except TelegramError as exc:
            log.info("button press not answered: %s", describe(exc))
            return False

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Change a message's buttons; taking them off an old message may fail quietly.

        Returns the edited message; True when Telegram found it as asked already ("not
        modified"); False when buttons could not be taken off (they stay, harmlessly).
        """
        removing = kwargs.get("reply_markup", args[3] if len(args) > 3 else None) is None
        try:
            return await super().edit_message_reply_markup(*args, **kwargs)
        except TelegramError as exc:
            if isinstance(exc, BadRequest) and _not_modified(exc):
                log.debug("buttons already as asked")
                return True
            if not removing:
                raise
            log.info("old buttons not removed: %s", describe(exc))
            return False

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Edit a message's text; "not modified" means it already reads so."""
        return await _already_so(super().edit_message_text(*args, **kwargs))

    async def edit_message_caption(self, *args: Any, **kwargs: Any) -> Message | bool:
        """Edit a caption; "not modified" means it already reads so."""
        return await _already_so(super().edit_message_caption(*args, **kwargs))


async def _already_so(edit: Awaitable[Message | bool]) -> Message | bool:
    """The edit's result; True when Telegram says the message shows it already."""
    try:
        return await edit
    except BadRequest as exc:
        if not _not_modified(exc):
            raise
        log.debug("edit not needed: the message shows it already")
        return True


def _not_modified(exc: BadRequest) -> bool:
    return _NOT_MODIFIED in exc.message.lower()


def build_bot(
    token: str,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    base_url: str | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
) -> CalmBot:
    """The calm bot, with a retrying HTTP client unless a request is given (tests give one).

    As PTB's builder does, getUpdates gets a client of its own: a long poll must not wait for
    a free connection behind the sends, and its read timeout is the client's plus the poll's
    (5 s more than the poll's wait). It is not retried here: the poller retries a failed poll.
    """
    if request is None:
        request = RetryingRequest()
        updates_request = updates_request or HTTPXRequest(connection_pool_size=1)
    kwargs: dict[str, Any] = {"base_url": base_url} if base_url is not None else {}
    return CalmBot(
        token,
        request=request,
        get_updates_request=updates_request or request,
        rate_limiter=rate_limiter,
        **kwargs,
    )

"""Long polling that confirms an update to Telegram only once it is handled.

PTB's Updater confirms a batch (the next getUpdates offset) as soon as it has queued it, before
any handler ran: a crash then loses every update of the batch. This loop keeps PTB's
Application, handlers and JobQueue and replaces only the Updater: it hands each update to
`Application.process_update` and waits for it, and only then moves the offset past it. A crash
at any moment leaves the update unconfirmed, so Telegram sends it again after the restart; the
services store each answer with its update id, and `handlers.delivery` drops or completes a
repeat, so it is applied and answered once.

This is the simplest safe choice: no inbox table (Telegram's own queue is the inbox, kept for
a day), no second copy of the update, and no change to the order of one person's messages.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.app import build_application, on_startup
from bot.chat.context import App
from bot.chat.metrics import metrics_of
from bot.services import Services

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds a getUpdates call waits for news (Telegram allows up to 50)
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)  # pauses after consecutive failed polls


class ConfirmingPoller:
    """getUpdates → handle each update → confirm it with the next offset; until stopped."""

    def __init__(
        self,
        app: App,
        *,
        poll_timeout: float = POLL_TIMEOUT,
        allowed_updates: Sequence[str] = Update.ALL_TYPES,
    ) -> None:
        self.app = app
        self.poll_timeout = poll_timeout
        self.allowed_updates = list(allowed_updates)
        self.offset = 0  # Telegram's offset: every update below it is confirmed
        self.stopping = asyncio.Event()
        self._failures = 0

    def stop(self) -> None:
        """Finish the update in hand, then return from `run` (safe from a signal handler)."""
        self.stopping.set()

    async def run(self) -> None:
        """Poll until `stop`; the updates handled by then are confirmed before returning."""
        await self._until_done(self.app.bot.delete_webhook, "delete the webhook")
        metrics = metrics_of(self.app.bot_data)
        while not self.stopping.is_set():
            updates = await self._poll()
            for update in updates:
                if self.stopping.is_set():
                    break  # not handled, so not confirmed: Telegram keeps it for the next run
                await metrics.timed(update, self._handle(update))
                self.offset = update.update_id + 1
        if self.offset:
            # Confirm what was handled, without waiting for news.
            await self._quietly(self.app.bot.get_updates(offset=self.offset, timeout=0))

    async def _handle(self, update: Update) -> None:
        try:
            await self.app.process_update(update)
        except Exception:
            # PTB hands handler errors to the error handler; anything reaching here is a bug
            # in an error handler. Logged without the update (it holds what people wrote).
            log.exception("update %s could not be handled", update.update_id)

    async def _poll(self) -> list[Update]:
        """The next batch, or [] after a failure (having waited a little) or on stop."""
        call = asyncio.ensure_future(
            self.app.bot.get_updates(
                offset=self.offset,
                timeout=int(self.poll_timeout),
                allowed_updates=self.allowed_updates,
            )
        )
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            await asyncio.wait((call, stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not call.done():
            call.cancel()  # stopping: whatever it would bring stays unconfirmed
            await asyncio.gather(call, return_exceptions=True)
            return []
        try:
            updates = call.result()
        except RetryAfter as exc:
            await self._pause(_seconds(exc.retry_after), "Telegram asked to wait")
            return []
        except InvalidToken:
            raise  # nothing to retry: the operator must fix the token
        except TelegramError as exc:
            self._failures += 1
            pause = BACKOFF[min(self._failures, len(BACKOFF)) - 1]
            if self._failures == 1 or isinstance(exc, Conflict):
                log.warning("getUpdates failed (%s); retrying", type(exc).__name__)
            await self._pause(pause, "")
            return []
        if self._failures:
            log.info("getUpdates works again after %s failed attempts", self._failures)
            self._failures = 0
        return list(updates)

    async def _pause(self, seconds: float, why: str) -> None:
        if why:
            log.warning("%s: pausing %.1f s", why, seconds)
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
        except TimeoutError:
            return

    async def _until_done(self, action: Callable[[], Awaitable[object]], what: str) -> None:
        """Run a start-up call until it works (Telegram may be briefly unreachable)."""
        for attempt in range(len(BACKOFF) + 1):
            try:
                await action()
                return
            except InvalidToken:
                raise
            except TelegramError as exc:
                if attempt == len(BACKOFF):
                    raise
                log.warning("could not %s (%s); retrying", what, type(exc).__name__)
                await self._pause(BACKOFF[attempt], "")

    @staticmethod
    async def _quietly(call: Awaitable[object]) -> None:
        try:
            await call
        except TelegramError as exc:
            log.warning("could not confirm the last updates (%s)", type(exc).__name__)


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


async def serve_polling(services: Services, token: str) -> None:
    """Poll Telegram until SIGINT or SIGTERM, then stop the jobs and close the database."""
    app = build_application(services, token, base_url=services.settings.api_base_url)
    poller = ConfirmingPoller(app)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, poller.stop)
    try:
        async with app:
            await on_startup(app)
            await app.start()
            log.info("polling for updates")
            await poller.run()
            await app.stop()
    finally:
        await services.close()


def run_polling(services: Services, token: str) -> None:
    """The blocking entry point for `backcoach run`."""
    asyncio.run(serve_polling(services, token))

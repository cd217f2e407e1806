"""Long polling: the simplest way to run, no public address needed."""

from __future__ import annotations

import signal

from telegram import Update

from bot.app import build_application
from bot.services import Services


def run_polling(services: Services, token: str) -> None:
    """Poll Telegram until SIGINT or SIGTERM, then shut down cleanly."""

    async def _close(_app: object) -> None:
        await services.close()

    app = build_application(services, token, base_url=services.settings.api_base_url)
    app.post_shutdown = _close
    app.run_polling(
        allowed_updates=Update.ALL_TYPES,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        drop_pending_updates=False,
    )

"""Answering button presses without letting an expired query end the handler."""

from __future__ import annotations

import logging

from telegram import CallbackQuery
from telegram.error import BadRequest

log = logging.getLogger(__name__)


async def acknowledge(
    query: CallbackQuery, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press (with an optional notice); an expired one is only logged.

    Telegram refuses answers after about 15 seconds, and a press redelivered after a crash
    was already answered. Neither may stop the handler from doing the rest of its work.
    """
    try:
        await query.answer(text, show_alert=alert)
    except BadRequest as exc:
        if "query is too old" not in exc.message.lower() and "query id is invalid" not in (
            exc.message.lower()
        ):
            raise
        log.info("button press %s answered too late", query.id)

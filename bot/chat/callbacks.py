"""Answering button presses: once, quietly when a press repeats one already answered.

Three kinds of press, one rule each, so a double tap, ten impatient taps or a second phone give
one effect and one reply:

* An answer that sets something (a pause length, a day, a pain score) **replaces its question
  in place** (`edit_in_place`): a repeat makes the same edit, which Telegram calls "not
  modified" and which is taken as done.
* A press with a one-time effect asks its service, whose stored state says whether the effect
  is new; when it is not, `settle` tells a repeat on the same message (quiet) from a first
  press on another question (answered): a question's buttons are Telegram's own record that
  it is still open, shared by every worker.
* A press that only says something (no effect) speaks only when `settle` finds it first.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError

log = logging.getLogger(__name__)

_NOT_MODIFIED = "not modified"


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


async def settle(query: CallbackQuery) -> bool:
    """Take the buttons off the pressed message; False when an earlier press already had.

    True also when the message cannot be edited any more (deleted, too old): the press is
    then taken as a first one, and its answer comes as a new message.
    """
    try:
        edited = await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        if _not_modified(exc):
            return False
        log.debug("buttons of a pressed message not removed: %s", exc.message)
        return True
    except TelegramError as exc:
        log.debug("buttons of a pressed message not removed: %s", type(exc).__name__)
        return True
    # The calm bot (chat.resilience) answers True for "not modified" (an earlier press took
    # them off) and False when they could not be removed; the edited message otherwise.
    return edited is not True


async def edit_in_place(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Turn the pressed message into this text (and buttons); a repeat finds it so already."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if not _not_modified(exc):
            raise


def _not_modified(exc: BadRequest) -> bool:
    return _NOT_MODIFIED in exc.message.lower()

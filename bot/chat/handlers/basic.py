"""First contact, help, odd inputs, group chats, blocking — the handlers every flow relies on."""

from __future__ import annotations

import logging

from telegram import Bot, ChatMember, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler

from bot.chat.commands import help_text
from bot.chat.context import Ctx
from bot.chat.resilience import describe, telegram_fault
from bot.texts import t

log = logging.getLogger(__name__)

MAX_TEXT = 500


def never_sent(update: Update, bot_id: int) -> str | None:
    """Why Telegram would never send this update to this bot, or None if it could."""
    chat = update.effective_chat
    if chat is not None and chat.type == ChatType.PRIVATE and update.effective_user is None:
        return "private update without a sender"
    query = update.callback_query
    if query is None:
        return None
    if query.data is None:
        return "press without data"
    message = query.message
    if not isinstance(message, Message):  # absent (inline) or InaccessibleMessage
        return "press on an inaccessible message"
    if message.from_user is None or message.from_user.id != bot_id:
        return "press on a message that is not the bot's"
    return None


class NeverSent(BaseHandler[Update, Ctx, None]):
    """Drops updates Telegram never sends, before any flow (or the error handler) sees them."""

    def __init__(self, bot: Bot) -> None:
        super().__init__(self._drop)
        self._bot = bot  # its id is known once the Application is initialised

    def check_update(self, update: object) -> str | None:
        """The reason to drop the update, or None to let the other handlers have it."""
        if not isinstance(update, Update):
            return None
        return never_sent(update, self._bot.id)

    async def _drop(self, update: Update, context: Ctx) -> None:
        log.debug("update %s dropped: %s", update.update_id, never_sent(update, self._bot.id))
        raise ApplicationHandlerStop


async def on_help(update: Update, context: Ctx) -> None:
    """List the commands."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(help_text())


async def on_unknown_text(update: Update, context: Ctx) -> None:
    """Any text no flow understood."""
    message = update.effective_message
    assert message is not None
    too_long = message.text is not None and len(message.text) > MAX_TEXT
    await message.reply_text(t("core.too_long" if too_long else "core.hint"))


async def on_media(update: Update, context: Ctx) -> None:
    """Stickers, photos, voice and the like: a polite word, nothing stored."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(t("core.unsupported_media"))


async def on_group(update: Update, context: Ctx) -> None:
    """Anything in a group: point to the private chat, store nothing."""
    message = update.effective_message
    if message is not None and (message.text or "").startswith("/"):
        await message.reply_text(t("core.group_only_private"))


async def on_my_chat_member(update: Update, context: Ctx) -> None:
    """The user blocked or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    active = status not in (ChatMember.BANNED, ChatMember.LEFT)
    changed = await context.services.users.set_active(change.from_user.id, active)
    log.info("user %s %s the bot", change.from_user.id, "unblocked" if active else "blocked")
    if not changed:
        log.debug("chat member change for unknown user %s", change.from_user.id)


async def on_error(update: object, context: Ctx) -> None:
    """Log the failure without message text; tell the user only about a bug of ours.

    A Telegram fault (the network, a 5xx, a 429, a block, a refused call) that still ended a
    handler after the retries is one WARNING line: there is no one to tell in a chat that does
    not answer, and the person's next message (or /start) shows the step they are on.
    """
    update_id = update.update_id if isinstance(update, Update) else None
    if telegram_fault(context.error):
        log.warning("update %s: Telegram fault: %s", update_id, describe(context.error))
        return
    log.error(
        "update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, t("core.error"))
        except Exception:
            log.warning("could not tell chat about the failure", exc_info=False)

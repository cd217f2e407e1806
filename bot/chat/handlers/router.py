"""Free text and locations go to whichever conversation the user is in, else a hint."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import Ctx
from bot.chat.handlers import basic, player, profile


async def on_text(update: Update, context: Ctx) -> None:
    """Route a typed message or a shared location."""
    message = update.effective_message
    assert message is not None
    if message.text is not None and len(message.text) > basic.MAX_TEXT:
        await basic.on_unknown_text(update, context)
        return
    if await profile.on_text(update, context):
        return
    if await player.on_text(update, context):
        return
    await basic.on_unknown_text(update, context)

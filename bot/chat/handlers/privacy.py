"""/privacy, /export and /delete (also reached from /settings as "withdraw consent")."""

from __future__ import annotations

import logging
from typing import cast

from telegram import CallbackQuery, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.chat import timers
from bot.chat.callbacks import acknowledge, settle
from bot.chat.context import App, Ctx
from bot.chat.dates import day_text
from bot.chat.keyboards import keyboard
from bot.texts import t

log = logging.getLogger(__name__)

PREFIX = "prv"
ASK, ERASE, KEEP = "ask", "erase", "keep"


def add_to_settings(menu: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """The /settings menu with a "withdraw consent" button (leading to /delete) above Close."""
    rows = list(menu.inline_keyboard)
    withdraw = keyboard([[(t("privacy.btn_withdraw"), f"{PREFIX}:{ASK}")]]).inline_keyboard
    return InlineKeyboardMarkup([*rows[:-1], *withdraw, *rows[-1:]])


async def on_privacy(update: Update, context: Ctx) -> None:
    """/privacy: what is stored, why, for how long, and how to export or erase it."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    text = t("privacy.about")
    cleared = await context.services.onboarding.clearance(user.id)
    if cleared is not None:
        text = f"{text}\n\n{t('privacy.clearance', date=day_text(cleared.date()))}"
    await message.reply_text(text)


async def on_export(update: Update, context: Ctx) -> None:
    """/export: everything stored about the user, as a JSON document."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    export = await context.services.privacy.export(user.id)
    if export is None:
        await message.reply_text(t("privacy.export_nothing"))
        return
    document = InputFile(export.to_bytes(), filename=export.filename)
    await message.reply_document(document, caption=t("privacy.export_caption"))


async def on_delete(update: Update, context: Ctx) -> None:
    """/delete: ask first; nothing happens until the user confirms."""
    assert update.effective_message is not None
    await _ask(update.effective_message)


async def _ask(message: Message) -> None:
    buttons = [
        [(t("privacy.btn_delete_yes"), f"{PREFIX}:{ERASE}")],
        [(t("privacy.btn_delete_no"), f"{PREFIX}:{KEEP}")],
    ]
    await message.reply_text(t("privacy.delete_ask"), reply_markup=keyboard(buttons))


async def on_button(update: Update, context: Ctx) -> None:
    """The withdraw button in /settings, and the answer to the /delete question."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    # Only in the presser's own private chat: nobody erases someone else from a group.
    if not isinstance(message, Message) or message.chat.id != query.from_user.id:
        await acknowledge(query)
        return
    await acknowledge(query)
    action = query.data.partition(":")[2]
    if action == ERASE:
        await _erase(query, message, context)
        return
    if action == ASK:
        # The settings menu stays open no longer: its buttons would act on erased data.
        await context.services.onboarding.cancel(query.from_user.id)
    # Nothing is stored by these two: only the first press on the message answers.
    if not await settle(query):
        return
    if action == ASK:
        await _ask(message)
    elif action == KEEP:
        await message.reply_text(t("privacy.delete_kept"))


async def _erase(query: CallbackQuery, message: Message, context: Ctx) -> None:
    user_id = query.from_user.id
    erasure = await context.services.privacy.delete(user_id)
    first = await settle(query)
    if not erasure.removed:
        # Erased already: by an earlier tap on this question (quiet), or from another one.
        if first:
            await message.reply_text(t("privacy.delete_nothing"))
        return
    # The rows are gone; stop what this process still holds in memory for them.
    app = cast(App, context.application)
    editor = timers.runtime(app).editor
    for routine_id in erasure.routines:
        editor.forget(routine_id)
    for timer_id in erasure.timers:
        timers.unschedule(app, timer_id)
    log.info("user %s erased: %s rows", user_id, sum(erasure.removed.values()))
    await message.reply_text(t("privacy.deleted"))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    """The privacy handlers, to sit in the main group before the catch-all text handlers."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("privacy", on_privacy, filters=private),
        CommandHandler("export", on_export, filters=private),
        CommandHandler("delete", on_delete, filters=private),
        CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:"),
    ]

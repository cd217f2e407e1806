"""Push buttons (start, snooze, skip, the morning pain scale), /pause and /resume."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.chat import render_pushes as render
from bot.chat.callbacks import acknowledge, edit_in_place, settle
from bot.chat.context import Ctx
from bot.services.pushes import Card, Reply, Rested
from bot.texts import t


async def on_push_button(update: Update, context: Ctx) -> None:
    """A button under a morning push or reminder."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    parsed = render.parse_push_callback(query.data)
    if parsed is None:
        await acknowledge(query)
        return
    push_id, value = parsed
    pushes = context.services.pushes
    result = (
        await pushes.morning_pain(user.id, push_id, value)
        if isinstance(value, int)
        else await pushes.answer(user.id, push_id, value)
    )
    if isinstance(result, Card | Rested):
        await acknowledge(query)
        # The first answer counts: a second tap draws the same card, which changes nothing.
        await edit_in_place(query, *_answered(result))
        return
    if result.reply in _NOTICES:
        await acknowledge(query, render.answer(result), alert=True)
        if result.reply is not Reply.ALREADY_REMINDED:
            await settle(query)
        return
    await acknowledge(query)
    # The choice is made: the buttons go, and the answer stays in the chat as a message,
    # once: a second tap on the same button finds the buttons gone and says nothing.
    if await settle(query) or not result.repeated:
        await context.bot.send_message(user.id, render.answer(result))


_NOTICES = frozenset({Reply.ALREADY_REMINDED, Reply.STALE, Reply.NOT_FOUND})


async def answer_typed_pain(context: Ctx, chat_id: int, user_id: int, pain: int) -> bool:
    """A typed 0–10 answer to today's morning question; False if no question is open."""
    typed = await context.services.pushes.typed_morning_pain(user_id, pain)
    if typed is None:
        return False
    text, markup = _answered(typed.result)
    if typed.message_id is not None:
        try:
            # The question turns into the answer, as after a button, and its scale goes.
            await context.bot.edit_message_text(
                text, chat_id=chat_id, message_id=typed.message_id, reply_markup=markup
            )
            return True
        except BadRequest:
            pass  # too old to edit, or deleted: the answer comes as a new message
    await context.bot.send_message(chat_id, text, reply_markup=markup)
    return True


def _answered(result: Card | Rested) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the pain question becomes once answered: the routine card or the rest-day reply."""
    if isinstance(result, Card):
        return render.card(result)
    return render.rested(result), None


async def on_pause(update: Update, context: Ctx) -> None:
    """/pause: ask for how long."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    stored = await context.services.users.get(user.id)
    if stored is None or stored.onboarded_at is None:
        await message.reply_text(t("pushes.not_set_up"))
        return
    text, markup = render.pause_menu()
    await message.reply_text(text, reply_markup=markup)


async def on_pause_choice(update: Update, context: Ctx) -> None:
    """A /pause length was chosen."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    choice = render.parse_pause_callback(query.data)
    await acknowledge(query)
    if choice is None:
        return
    state = await context.services.pushes.pause(user.id, choice)
    # The menu becomes the answer; a second tap on it makes the same edit, which is no change.
    await edit_in_place(query, render.paused(state))


async def on_resume(update: Update, context: Ctx) -> None:
    """/resume: end the pause and say when the next push comes."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    state = await context.services.pushes.resume(user.id)
    await message.reply_text(render.resumed(state))


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    """The push handlers, to sit in the main group before the catch-all text handlers."""
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("pause", on_pause, filters=private),
        CommandHandler("resume", on_resume, filters=private),
        CallbackQueryHandler(on_push_button, pattern=rf"^{render.PUSH_PREFIX}:"),
        CallbackQueryHandler(on_pause_choice, pattern=rf"^{render.PAUSE_PREFIX}:"),
    ]

"""Routine player handlers: /routine, the morning Start button, card buttons and typed words."""

from __future__ import annotations

from typing import cast

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.chat import render_player as render
from bot.chat import render_pushes, timers
from bot.chat.callbacks import acknowledge, settle
from bot.chat.context import App, Ctx
from bot.chat.handlers import feel, profile
from bot.domain import player as pl
from bot.domain.understanding import Understanding
from bot.services.player import FEEL_ENDS, Reply, Result, Snapshot
from bot.services.pushes import Action as PushAction
from bot.services.pushes import Reply as PushReply
from bot.texts import t


def _app(context: Ctx) -> App:
    # Ctx is the context type this Application was built with (see bot.app).
    return cast(App, context.application)


async def on_routine(update: Update, context: Ctx) -> None:
    """/routine: today's intro, or the routine where the user left it."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    await open_routine(context, user.id, message.chat_id, message)


async def open_routine(context: Ctx, user_id: int, chat_id: int, message: Message) -> None:
    """Open (or resume) today's routine and show it."""
    result = await context.services.player.open(user_id, chat_id)
    await present(context, result, chat_id=chat_id, message=message)


async def on_push_start(update: Update, context: Ctx) -> None:
    """The morning message's Start button: recorded as the push's answer, then the intro."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = render_pushes.parse_push_callback(query.data)
    if parsed is None or not _own_chat(query) or not isinstance(query.message, Message):
        await acknowledge(query, t("player.ended"))
        return
    push_id, _value = parsed
    answer = await context.services.pushes.answer(query.from_user.id, push_id, PushAction.START)
    if answer.reply is not PushReply.STARTED:
        await acknowledge(query, render_pushes.answer(answer), alert=True)
        return
    await acknowledge(query)
    user_id, chat_id = query.from_user.id, query.message.chat_id
    if answer.repeated and (await context.services.users.place(user_id)).phase is not None:
        # Started already: an earlier tap opened the routine (ten taps, one card).
        await settle(query)
        return
    # The routine opens before the buttons go: a tap that dies in between leaves them, and
    # the next tap opens it (the push's answer alone is no routine).
    await open_routine(context, user_id, chat_id, query.message)
    await settle(query)


def _own_chat(query: CallbackQuery) -> bool:
    """Player buttons act only in the presser's own private chat (whose id is theirs)."""
    message = query.message
    return message is not None and message.chat.id == query.from_user.id


async def on_button(update: Update, context: Ctx) -> None:
    """A player button: acts once, only at its own step of the presser's open routine."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = render.parse_callback(query.data)
    message = query.message
    if parsed is None or not _own_chat(query) or not isinstance(message, Message):
        await acknowledge(query, t("player.ended"))
        return
    routine_id, position, screen, action, value = parsed
    result = await context.services.player.press(
        query.from_user.id,
        routine_id,
        position,
        screen,
        action,
        value,
        message_id=message.message_id,
    )
    if result.reply is Reply.ENDED:
        await acknowledge(query, t("player.ended"))
        await settle(query)
        return
    if result.reply is Reply.STALE:
        await acknowledge(query, t("player.stale"))
        snap = result.snapshot
        if snap is not None and snap.lost:
            # The live card was never delivered (a crash right after the change): resend it.
            await timers.send_view(_app(context), snap)
        return
    await acknowledge(query)
    await present(context, result, chat_id=message.chat_id, message=message)


async def typed(
    context: Ctx, message: Message, user_id: int, update_id: int, heard: Understanding, text: str
) -> Result:
    """Give an understood message to the open routine; shows what it changed.

    NONE (no routine) and HINT (not this phase's answer) show nothing: the one way in
    (`router`) passes the message on.
    """
    result = await context.services.player.typed(user_id, heard, text, update_id=update_id)
    if result.reply in (Reply.NONE, Reply.HINT):
        return result
    if result.reply is Reply.STALE:
        if result.snapshot is not None and result.snapshot.lost:
            await timers.send_view(_app(context), result.snapshot)
        return result
    await present(context, result, chat_id=message.chat_id, message=message)
    return result


def hint(snap: Snapshot) -> str:
    """The words that work at the routine's current step."""
    item = snap.item
    timed = item is not None and pl.has_timer(item.segments)
    return render.hint(snap.state.phase, timed=timed)


async def stopped(context: Ctx, result: Result, chat_id: int) -> None:
    """A routine stopped for safety: its live card loses its buttons, its timer stops."""
    app = _app(context)
    if result.snapshot is not None:
        timers.runtime(app).editor.forget(result.snapshot.routine_id)
    if result.cancelled_timer is not None:
        timers.unschedule(app, result.cancelled_timer)
    if result.previous_message_id is not None:
        await timers.strip(app, chat_id, result.previous_message_id)


async def present(context: Ctx, result: Result, *, chat_id: int, message: Message) -> None:
    """Show what a use case changed: a new message, an edit in place, or the end."""
    app, bot = _app(context), context.bot
    editor = timers.runtime(app).editor
    if result.reply is Reply.BLOCKED:
        assert result.blocked is not None
        if result.snapshot is not None:
            editor.forget(result.snapshot.routine_id)
            if result.previous_message_id is not None:
                await timers.strip(app, chat_id, result.previous_message_id)
            await bot.send_message(chat_id, t("player.safety_stopped"))
        text, markup = render.blocked(result.blocked)
        await bot.send_message(chat_id, text, reply_markup=markup)
        return
    if result.reply is Reply.ALREADY:
        assert result.summary is not None
        next_at = render.next_routine(result.summary.next_at)
        await bot.send_message(chat_id, t("player.already", next=next_at))
        return
    if result.reply is not Reply.OK or result.snapshot is None:
        return
    snap, step, previous = result.snapshot, result.step, result.previous_message_id
    if result.cancelled_timer is not None:
        timers.unschedule(app, result.cancelled_timer)
    # This update redraws the card itself; the countdown picks it up again if it runs.
    editor.forget(snap.routine_id)
    if step is None:
        if previous is not None:
            await timers.strip(app, chat_id, previous)
        if result.resumed:
            editor.sent(chat_id)
            await bot.send_message(chat_id, t("player.resumed"))
        await timers.send_view(app, snap)
        if snap.timer is not None:
            timers.schedule(app, snap.timer)
        return
    if step.end is not None:
        await _ended(context, result, step.end, chat_id, message)
        return
    if step.new_card:
        if previous is not None:
            if step.report is not None and step.outcome is None:
                # A mild ache: the question becomes the reassurance; the card comes back.
                await _replace(app, chat_id, previous, render.hurt_note())
            else:
                await timers.strip(app, chat_id, previous)
        await timers.send_view(app, snap, step)
    elif previous is None:
        await timers.send_view(app, snap, step)
    else:
        text, markup = render.view(snap, context.services.clock.now(), step)
        await editor.edit_now(snap, previous, text, markup)
    if step.timer_ms is not None and snap.timer is not None:
        timers.schedule(app, snap.timer)


async def _ended(context: Ctx, result: Result, end: pl.End, chat_id: int, message: Message) -> None:
    app = _app(context)
    previous = result.previous_message_id
    summary = result.summary
    assert summary is not None
    if end is pl.End.DECLINED:
        text = t("player.not_today", next=render.next_routine(summary.next_at))
    elif end is pl.End.SAFETY:
        text = t("player.leg_end")
    else:
        text = render.summary(summary)
    markup = None
    if end in FEEL_ENDS and not summary.rescreen and result.snapshot is not None:
        # Progress is asked for, not guessed: one tap under the summary, after the end pain.
        text, markup = feel.asked(text, result.snapshot.routine_id)
    if previous is not None:
        await _replace(app, chat_id, previous, text, markup)
    else:
        timers.runtime(app).editor.sent(chat_id)
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    if end is pl.End.SAFETY or summary.rescreen:
        assert result.snapshot is not None
        user_id = result.snapshot.user_id
        reason = "leg_symptoms" if end is pl.End.SAFETY else "sharp_pain"
        if summary.rescreen:
            await context.bot.send_message(chat_id, t("player.sharp_rescreen"))
        view = await context.services.onboarding.rescreen(user_id, reason)
        await profile.show(message, view, context, name=summary.first_name)


async def _replace(
    app: App,
    chat_id: int,
    message_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Turn a message into this text, without buttons unless given (quietly: it may be gone)."""
    timers.runtime(app).editor.budget.spend()
    try:
        await app.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except TelegramError:
        timers.runtime(app).editor.sent(chat_id)
        await app.bot.send_message(chat_id, text, reply_markup=markup)


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    """The player's handlers; they sit before the push handlers (the Start button is ours)."""
    return [
        CommandHandler("routine", on_routine, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_push_start, pattern=r"^push:\d+:start$"),
        CallbackQueryHandler(on_button, pattern=rf"^{render.PREFIX}:"),
    ]

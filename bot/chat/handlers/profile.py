"""Onboarding and /settings handlers: parse the update, call the service, render the view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Message, Update

from bot.chat import render_profile as render
from bot.chat.callbacks import acknowledge, edit_in_place
from bot.chat.context import Ctx
from bot.chat.handlers import privacy, progress, pushes
from bot.domain import onboarding as ob
from bot.services.onboarding import Heard, View
from bot.texts import t


async def on_start(update: Update, context: Ctx) -> None:
    """/start: a new user meets the bot; a known one resumes or is welcomed back."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    view = await context.services.onboarding.begin(user.id, message.chat_id, user.first_name)
    if view.is_new:
        await message.reply_text(t("core.start_new", name=user.first_name))
    elif view.resumed:
        await message.reply_text(t("onboarding.resumed"))
    elif view.user is not None and view.user.safety in {"doctor", "emergency"}:
        view = View(user=view.user, end=ob.End(view.user.safety))
    elif view.step is None and (await context.services.users.place(user.id)).phase is not None:
        # In the middle of a routine: /start brings its card back, where they left it.
        from bot.chat.handlers.player import open_routine  # the player imports this module

        await open_routine(context, user.id, message.chat_id, message)
        return
    await show(message, view, context, name=user.first_name)


async def on_settings(update: Update, context: Ctx) -> None:
    """/settings: the menu of what can be changed."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    view = await context.services.onboarding.open_settings(user.id)
    if view.step is None:
        await message.reply_text(t("onboarding.settings_first"))
        return
    await show(message, view, context, name=user.first_name)


async def on_cancel(update: Update, context: Ctx) -> None:
    """/cancel: leave the current question; what was answered stays."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    view = await context.services.onboarding.cancel(user.id)
    if view.end is None:
        await message.reply_text(t("onboarding.nothing_to_cancel"))
    elif view.user is not None and view.user.onboarded_at is not None:
        await message.reply_text(t("onboarding.cancelled_settings"))
    else:
        await message.reply_text(t("onboarding.cancelled"))


async def on_button(update: Update, context: Ctx) -> None:
    """A profile button: apply it once, whatever the number of taps or devices."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = render.parse_callback(query.data)
    if parsed is None:
        await acknowledge(query)
        return
    version, value = parsed
    if not _own_chat(query):
        await acknowledge(query, t("onboarding.stale"))
        return
    view = await context.services.onboarding.answer(query.from_user.id, ob.Press(value), version)
    await _after_press(query, view, context)
    if view.end == ob.End.START_NOW and isinstance(query.message, Message):
        # The player imports this module (for the safety screen), hence the late import.
        from bot.chat.handlers.player import open_routine

        await open_routine(context, query.from_user.id, query.message.chat_id, query.message)
    # Pausing and resuming belong to the morning messages; settings only lead there.
    if view.action == "pause":
        await pushes.on_pause(update, context)
    elif view.action == "resume":
        await pushes.on_resume(update, context)


def _own_chat(query: CallbackQuery) -> bool:
    """Profile buttons act only in the presser's own private chat (whose id is theirs)."""
    message = query.message
    return message is not None and message.chat.id == query.from_user.id


async def on_clearance(update: Update, context: Ctx) -> None:
    """The all-clear button under a red-flag message: a clinician has checked them."""
    await _safety_button(update, context, context.services.onboarding.ask_clearance)


async def on_rescreen(update: Update, context: Ctx) -> None:
    """'Take the safety check' under a message that holds routines for it."""
    onboarding = context.services.onboarding

    async def retake(user_id: int) -> View:
        return await onboarding.rescreen(user_id, "retake")

    await _safety_button(update, context, retake)


async def _safety_button(
    update: Update, context: Ctx, use_case: Callable[[int], Awaitable[View]]
) -> None:
    """A safety button (not tied to one question): run its use case and show what it says."""
    query = update.callback_query
    assert query is not None
    if not _own_chat(query):
        await acknowledge(query, t("onboarding.stale"))
        return
    await acknowledge(query)
    view = await use_case(query.from_user.id)
    if view.repeated:
        return  # its question stands open already, asked by an earlier tap
    if isinstance(query.message, Message) and not view.stale and (view.step or view.end):
        await show(query.message, view, context, name=query.from_user.first_name)


async def on_text(update: Update, context: Ctx) -> bool:
    """Typed answer to the current question; False when no question is open."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    event: ob.Event
    if message.location is not None:
        event = ob.Location(message.location.latitude, message.location.longitude)
    elif message.text is not None:
        event = ob.Text(message.text)
    else:
        return False
    if await context.services.onboarding.current(user.id) is None:
        return False
    view = await context.services.onboarding.answer(user.id, event, update_id=update.update_id)
    await show(message, view, context, name=user.first_name)
    return True


async def _after_press(query: CallbackQuery, view: View, context: Ctx) -> None:
    if view.stale:
        await acknowledge(query, t("onboarding.stale"))
        return
    await acknowledge(query)
    message = query.message
    if not isinstance(message, Message):
        return
    if view.step == ob.Step.DAYS_PICK:
        # The picker is redrawn in place, with the hint above it when Done came too soon:
        # a repeated tap draws what is there already, which Telegram leaves as it is.
        text, markup = render.question(view, context.services.clock.now())
        if view.hint is not None:
            text = f"{render.hint(view.hint)}\n\n{text}"
        await edit_in_place(query, text, markup)
        return
    if view.hint is None:
        await message.edit_reply_markup(reply_markup=None)
    if view.action is None:
        await show(message, view, context, name=query.from_user.first_name)


async def show(message: Message, view: View, context: Ctx, *, name: str) -> None:
    """Send what the view asks for: a hint with the same question, the next one, or an end."""
    chat_id = message.chat_id
    bot = context.bot
    if view.note is not None:
        await bot.send_message(chat_id, t(f"onboarding.{view.note}"))
    if view.heard == Heard.CLEARED:
        await bot.send_message(chat_id, t("safety.clearance_noted"))
    if view.step is not None:
        text, markup = render.question(view, context.services.clock.now())
        if view.step == ob.Step.SETTINGS and markup is not None:
            markup = privacy.add_to_settings(progress.add_to_settings(markup))
        if view.hint is not None:
            # Long questions are not repeated word for word: the hint and the buttons suffice.
            short = t("onboarding.consent_short") if view.step == ob.Step.CONSENT else text
            text = f"{render.hint(view.hint)}\n\n{short}"
        await bot.send_message(chat_id, text, reply_markup=markup)
        return
    text, end_markup = render.ending(view, name=name)
    await bot.send_message(chat_id, text, reply_markup=end_markup)

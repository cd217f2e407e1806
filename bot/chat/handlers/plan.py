"""/plan: the current exercises and doses, and the last changes with their reasons."""

from __future__ import annotations

from telegram import Update

from bot.chat import render_plan
from bot.chat.callbacks import acknowledge
from bot.chat.context import Ctx
from bot.services.plans import OfferReply
from bot.texts import t


async def on_plan(update: Update, context: Ctx) -> None:
    """Show the plan as it stands today."""
    user, message = update.effective_user, update.effective_message
    assert user is not None and message is not None
    services = context.services
    view = await services.plans.view(user.id)
    if view is None:
        await message.reply_text(t("plan.not_set_up"))
        return
    library = services.plans.library
    await message.reply_text(
        render_plan.plan_text(view, library),
        reply_markup=render_plan.offers_keyboard(view, library),
    )


async def on_offer(update: Update, context: Ctx) -> None:
    """A swap or level-up suggestion was answered."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = render_plan.parse_offer_callback(query.data)
    message = query.message
    if parsed is None or message is None or message.chat.id != query.from_user.id:
        await acknowledge(query, t("plan.offer_stale"))
        return
    services = context.services
    answer = await services.plans.answer_offer(query.from_user.id, *parsed)
    if answer.reply is OfferReply.STALE:
        await acknowledge(query, t("plan.offer_stale"))
        return
    await acknowledge(query)
    if answer.change is not None:
        line = render_plan.change_line(answer.change, services.plans.library)
        text = t("plan.offer_taken", change=line)
    else:
        text = t("plan.offer_declined")
    await context.bot.send_message(message.chat.id, text)

"""/plan: the current exercises and doses, and the last changes with their reasons."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update

from bot.chat import render_plan
from bot.chat.context import Ctx
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
    stored = await services.users.get(user.id)
    zone = ZoneInfo(stored.tz) if stored is not None and stored.tz else None
    today = services.clock.now().astimezone(zone).date()
    await message.reply_text(render_plan.plan_text(view, services.plans.library, today))

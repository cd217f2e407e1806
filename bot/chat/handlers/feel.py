""" "How did that feel?" after a routine: one tap (or a typed word) stored for the plan.

Buttons carry the routine they are about, so no conversation state is kept. A typed answer
("easy", "about right", "too hard": `bot.domain.feel.parse_feel`) goes to `answer_typed`.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackQueryHandler

from bot.chat.callbacks import acknowledge, edit_in_place, settle
from bot.chat.context import Ctx
from bot.chat.keyboards import keyboard
from bot.domain.feel import Feel
from bot.services.player import FeelAnswer
from bot.texts import t

PREFIX = "fl"
_CODES = {"e": Feel.EASY, "r": Feel.RIGHT, "h": Feel.HARD}


def asked(text: str, routine_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """A message (the routine's summary) with the question under it, one button per answer."""
    row = [
        (t(f"player.btn_feel_{feel.value}"), f"{PREFIX}:{routine_id}:{code}")
        for code, feel in _CODES.items()
    ]
    return f"{text}\n\n{t('player.feel_ask')}", keyboard([row])


def answered(text: str, note: str) -> str:
    """The message that asked, with the question turned into what was noted."""
    question = t("player.feel_ask")
    kept = text.removesuffix(question).rstrip() if text.endswith(question) else text
    return f"{kept}\n\n{note}" if kept else note


def noted(answer: FeelAnswer, feel: Feel) -> str:
    """What the person reads back after answering."""
    if answer is FeelAnswer.RECORDED:
        return t(f"player.feel_noted_{feel.value}")
    if answer is FeelAnswer.ALREADY:
        return t("player.feel_stale")
    return t("player.feel_gone")


async def on_button(update: Update, context: Ctx) -> None:
    """An answer button: stored once; the question under the summary turns into the thanks."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    message = query.message
    if (
        len(parts) != 3
        or not parts[1].isdigit()
        or parts[2] not in _CODES
        or not isinstance(message, Message)
        or message.chat.id != query.from_user.id
    ):
        await acknowledge(query, t("player.feel_stale"))
        return
    feel = _CODES[parts[2]]
    answer = await context.services.player.feel(query.from_user.id, feel, int(parts[1]))
    if answer is FeelAnswer.ALREADY:
        # A second tap, or a typed answer came first: the thanks (if here) stays as it was.
        await acknowledge(query, noted(answer, feel))
        await settle(query)
        return
    await acknowledge(query)
    await edit_in_place(query, answered(message.text or "", noted(answer, feel)))


async def answer_typed(context: Ctx, message: Message, user_id: int, feel: Feel) -> bool:
    """A typed answer to today's open question; False (nothing said) when none is open."""
    if not await context.services.player.feel_open(user_id):
        return False
    answer = await context.services.player.feel(user_id, feel)
    await message.reply_text(noted(answer, feel))
    return True


def handlers() -> list[CallbackQueryHandler[Ctx, None]]:
    """The answer buttons."""
    return [CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:")]

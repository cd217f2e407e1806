""" "done" and "it hurt" told when no routine is open: recorded for the plan all the same.

Buttons carry everything they need (routine, exercise, kind), so no conversation state is kept.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update
from telegram.ext import CallbackQueryHandler

from bot.chat import render_player as render
from bot.chat.callbacks import acknowledge, edit_in_place, settle
from bot.chat.context import Ctx
from bot.chat.handlers import profile
from bot.chat.keyboards import Button, chunked, keyboard
from bot.domain.dialog import Step
from bot.domain.player import LEG_KINDS
from bot.domain.safety import PainKind, needs_rescreen
from bot.services.onboarding import View
from bot.services.player import Afterwards
from bot.texts import t
from content.library import load_library

PREFIX = render.AFTER_PREFIX
_KINDS = {"s": PainKind.SHARP, "l": PainKind.RADIATING, "a": PainKind.ACHE}
_KIND_LABELS = {
    "s": "player.btn_kind_sharp",
    "l": "player.btn_kind_leg",
    "a": "player.btn_kind_ache",
}


async def ask_done(message: Message) -> None:
    """ "done" with no routine open: did they do it on their own?"""
    rows: list[list[Button]] = [
        [(t("player.btn_did_it"), f"{PREFIX}:d:yes"), (t("player.btn_not_yet"), f"{PREFIX}:d:no")]
    ]
    await message.reply_text(t("player.done_alone_ask"), reply_markup=keyboard(rows))


async def ask_which(message: Message, user_id: int, context: Ctx, *, kind: str = "") -> None:
    """ "it hurt" with no routine open: which exercise of the last routine?

    With the kind already said ("s": a sharp pain), the buttons skip the question about it.
    """
    last = await context.services.player.last_routine(user_id)
    if last is None or not last.exercises:
        await message.reply_text(t("player.hurt_later_nothing"))
        return
    library = load_library()
    suffix = f":{kind}" if kind in _KINDS else ""
    buttons = [
        (library.get(eid).name, f"{PREFIX}:h:{last.routine_id}:{idx}{suffix}")
        for idx, eid in last.exercises
    ]
    day = f"{last.local_date.day} {last.local_date:%b}"
    await message.reply_text(
        t("player.hurt_later_which", day=day), reply_markup=keyboard(chunked(buttons, 2))
    )


async def on_button(update: Update, context: Ctx) -> None:
    """The answers: did it / not yet; which exercise; what kind; how strong."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    if not isinstance(message, Message) or message.chat.id != query.from_user.id:
        await acknowledge(query, t("player.after_stale"))
        return
    parts = query.data.split(":")[1:]
    after, user_id = context.services.player, query.from_user.id
    if parts[:1] == ["d"]:
        await acknowledge(query)
        if parts[1:] != ["yes"]:
            # "Not yet" stores nothing: only the first press on the question answers.
            if await settle(query):
                await message.reply_text(t("player.done_alone_not_yet"))
            return
        outcome = await after.done_alone(user_id, message.chat.id)
        if not await _first(query, outcome):
            return
        stored = await context.services.users.get(user_id)
        nxt = render.next_routine(stored.next_due_at if stored else None)
        key = {
            Afterwards.RECORDED: "player.done_alone_recorded",
            Afterwards.ALREADY: "player.already",
        }.get(outcome, "player.hurt_later_nothing")
        await message.reply_text(t(key, next=nxt))
        return
    if parts[:1] != ["h"] or len(parts) < 3 or not all(p.isdigit() for p in parts[1:3]):
        await acknowledge(query, t("player.after_stale"))
        return
    routine_id, idx = int(parts[1]), int(parts[2])
    await acknowledge(query)
    # Which exercise, then what kind: each answer turns the question into the next one.
    if len(parts) == 3:
        rows = [[(t(_KIND_LABELS[k]), f"{query.data}:{k}")] for k in _KINDS]
        await edit_in_place(query, t("player.hurt_kind"), keyboard(rows))
        return
    if len(parts) == 4 and _KINDS.get(parts[3]) is PainKind.RADIATING:
        # Into the leg: recorded now, whatever comes next; the safety questions follow.
        await _record_hurt(query, message, context, routine_id, idx, PainKind.RADIATING, None)
        return
    if len(parts) == 4 and parts[3] in _KINDS:
        await edit_in_place(query, *render.hurt_later_score(routine_id, idx, parts[3]))
        # A typed "about a 5" answers it too (see the router's dialog stage).
        about = {"routine": routine_id, "idx": idx, "kind": parts[3]}
        await context.services.onboarding.ask_score(query.from_user.id, about)
        return
    if len(parts) == 5 and parts[3] in _KINDS and parts[4].isdigit() and int(parts[4]) <= 10:
        kind = _KINDS[parts[3]]
        await _record_hurt(query, message, context, routine_id, idx, kind, int(parts[4]))


async def record_typed_score(message: Message, context: Ctx, user_id: int, about: View) -> None:
    """A typed answer to the score question kept open by `ask_score`."""
    data = about.data
    kind = _KINDS.get(str(data.get("kind")), PainKind.ACHE)
    outcome = await context.services.player.hurt_later(
        user_id, int(data["routine"]), int(data["idx"]), kind, int(data["pain"])
    )
    key = "player.after_stale" if outcome is Afterwards.ALREADY else "player.hurt_later_recorded"
    await message.reply_text(t(key))
    if outcome is Afterwards.RECORDED:
        await _rescreen(message, context, user_id, kind, message.chat.first_name or "")


async def _record_hurt(
    query: CallbackQuery,
    message: Message,
    context: Ctx,
    routine_id: int,
    idx: int,
    kind: PainKind,
    pain: int | None,
) -> None:
    user_id = query.from_user.id
    await context.services.onboarding.close(user_id, Step.HURT_SCORE)
    outcome = await context.services.player.hurt_later(user_id, routine_id, idx, kind, pain)
    if not await _first(query, outcome):
        return
    if outcome is Afterwards.ALREADY:
        await message.reply_text(t("player.after_stale"))
        return
    await message.reply_text(t("player.hurt_later_recorded"))
    if outcome is Afterwards.RECORDED:
        await _rescreen(message, context, user_id, kind, query.from_user.first_name)


async def _first(query: CallbackQuery, outcome: Afterwards) -> bool:
    """Take the question's buttons off; whether to answer (False: a repeat, quiet).

    Recorded now: always. On record already (or nothing to record): only if this press
    found the question still open; a second tap on it was answered by the first.
    """
    return await settle(query) or outcome is Afterwards.RECORDED


async def _rescreen(
    message: Message, context: Ctx, user_id: int, kind: PainKind, name: str
) -> None:
    """Leg symptoms or a sharp pain: the red-flag questions come back before any routine."""
    if not needs_rescreen(kind):
        return
    reason = "leg_symptoms" if kind in LEG_KINDS else "sharp_pain"
    view = await context.services.onboarding.rescreen(user_id, reason)
    await profile.show(message, view, context, name=name)


def handlers() -> list[CallbackQueryHandler[Ctx, None]]:
    """The buttons of these reports."""
    return [CallbackQueryHandler(on_button, pattern=rf"^{PREFIX}:")]

"""The one way in for every typed message (and photo caption): understand, then the stages.

The order is decided in one place, `bot.domain.listening.plan`: a safety signal is acted on
whatever the step; then the step the person is on takes its expected answer; then a global
intent; then a hint naming what works here. Each stage below either takes the message
(True) or passes it on (False).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Message, Update

from bot.chat.context import Ctx
from bot.chat.handlers import afterwards, basic, player, profile, pushes
from bot.chat.handlers import feel as feel_answers
from bot.domain import onboarding as ob
from bot.domain.listening import Place, Stage, plan
from bot.domain.pain import SEVERE_PAIN
from bot.domain.parsing import Intent
from bot.domain.player import Phase
from bot.domain.player_text import MILD
from bot.domain.safety import PainKind
from bot.domain.understanding import Understanding, understand
from bot.services.onboarding import Heard, View
from bot.services.player import Reply, Snapshot
from bot.texts import t

MAX_READ = 4096  # Telegram's own limit: every message is read in full
_EXERCISE = frozenset({Phase.CARD, Phase.RUNNING, Phase.PAUSED, Phase.REPS, Phase.COMPLETE})
_HURT_PHASES = _EXERCISE | {Phase.HURT_KIND, Phase.HURT_PAIN}
_MENUS = frozenset({ob.Step.SETTINGS, ob.Step.CHANGE})  # button menus: closed, not kept
_NOT_IN_ROUTINE = frozenset(
    {Intent.SKIP, Intent.STOP, Intent.PAUSE, Intent.RESUME, Intent.NOT_TODAY, Intent.LATER}
)
_ROUTINE_WORDS = frozenset({Intent.DONE, Intent.HURT})  # about a routine: the open one's
_ROUTINE_INTENTS = _ROUTINE_WORDS | {Intent.START} | _NOT_IN_ROUTINE
_ELSEWHERE = frozenset({Stage.ROUTINE, Stage.FEEL, Stage.MORNING, Stage.PAIN, Stage.INTENT})
_HEARD_LINES = {
    Heard.FLAG: "safety.asked_back",
    Heard.LEG: "safety.leg_heard",
    Heard.LATER: "safety.asked_later",
    Heard.NO_CONSENT: "safety.before_consent",
}


@dataclass
class Turn:
    """One message on its way in, and what the stages learned about it."""

    update: Update
    context: Ctx
    message: Message
    user_id: int
    name: str
    text: str
    heard: Understanding
    place: Place
    dialog_hint: View | None = None  # the open question, when it did not take the words
    routine_hint: Snapshot | None = None
    taken_by: list[Stage] = field(default_factory=list)


async def on_text(update: Update, context: Ctx) -> None:
    """Route a typed message, a caption or a shared location."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if message.location is not None:
        if not await profile.on_text(update, context):
            await message.reply_text(t("core.hint"))
        return
    text = message.text if message.text is not None else message.caption
    if text is None:
        await basic.on_media(update, context)
        return
    heard = understand(text[:MAX_READ])
    place = await context.services.users.place(user.id)
    turn = Turn(update, context, message, user.id, user.first_name, text, heard, place)
    stages = plan(place, heard)
    if message.text is None:
        # A caption: its safety words count; otherwise a photo is still a photo.
        stages = (*(s for s in stages if s is Stage.SAFETY), Stage.HINT)
    for stage in stages:
        if await _STAGES[stage](turn):
            turn.taken_by.append(stage)
            break
    if place.dialog in _MENUS and turn.taken_by and turn.taken_by[0] in _ELSEWHERE:
        # A settings menu left open yields to what the person is doing, and closes.
        await context.services.onboarding.cancel(user.id)


# --------------------------------------------------------------------------- safety


async def _safety(turn: Turn) -> bool:
    heard, services = turn.heard, turn.context.services
    flags = [flag.value for flag in heard.flags]
    leg = heard.leg
    if flags:
        sure_leg = leg.kind if leg is not None and leg.sure else None
        await _halt(turn, sure_leg, with_update=sure_leg is not None)
        view = await services.onboarding.ask_back(
            turn.user_id, flags, update_id=None if sure_leg else turn.update.update_id
        )
        await _show_heard(turn, view)
        return True
    if leg is not None and leg.sure:
        await _leg(turn, leg.kind or PainKind.RADIATING, resume=None)
        return True
    if leg is not None:
        view = await services.onboarding.ask_back(
            turn.user_id, [ob.LEG], update_id=turn.update.update_id
        )
        await _show_heard(turn, view)
        return True
    if turn.place.phase in _HURT_PHASES or turn.place.dialog is ob.Step.HURT_SCORE:
        return False  # sharp pain in an exercise, or its score asked: the step's own flow
    # Sharp pain outside an exercise: noted against the exercise the person names.
    last = await services.player.last_routine(turn.user_id)
    if last is None or not last.exercises:
        await turn.message.reply_text(t("safety.sharp_nothing"))
    else:
        await afterwards.ask_which(turn.message, turn.user_id, turn.context, kind="s")
    return True


async def _halt(turn: Turn, leg: PainKind | None, *, with_update: bool) -> Reply:
    """Stop the open routine (recording leg symptoms, if any); say so if one was stopped."""
    result = await turn.context.services.player.halt(
        turn.user_id, leg, update_id=turn.update.update_id if with_update else None
    )
    if result.reply is Reply.OK:
        await player.stopped(turn.context, result, turn.message.chat_id)
        await turn.message.reply_text(t("safety.routine_stopped"))
    return result.reply


async def _leg(
    turn: Turn, kind: PainKind, *, resume: dict[str, object] | None, dedupe: bool = True
) -> None:
    """Leg symptoms: recorded now, the routine stops, the screen comes back."""
    if await _halt(turn, kind, with_update=dedupe) is Reply.STALE:
        return  # a redelivery: this was done the first time
    view = await turn.context.services.onboarding.rescreen(
        turn.user_id, "leg_symptoms", resume=dict(resume) if resume else None
    )
    await _show_heard(turn, view)


async def _show_heard(turn: Turn, view: View) -> None:
    """The one line that says why a safety question comes now, then the question."""
    # A redelivery whose reply was lost shows the question again, without the line before it.
    line = None if view.repeated else _HEARD_LINES.get(view.heard or "")
    if line is not None:
        await turn.message.reply_text(t(line))
    if view.heard == Heard.NO_CONSENT:
        return  # the consent question stands just above, unchanged
    if view.step is not None or view.end is not None:
        await profile.show(turn.message, view, turn.context, name=turn.name)


# --------------------------------------------------------------------------- steps


async def _dialog(turn: Turn) -> bool:
    services = turn.context.services
    view = await services.onboarding.answer(
        turn.user_id, ob.Text(turn.text), update_id=turn.update.update_id
    )
    if view.stale:
        return False
    if view.hint is not None:
        turn.dialog_hint = view
        return False
    if view.repeated:
        # Delivered again with its reply lost (see handlers.delivery): the question where the
        # conversation stands, once more.
        await profile.show(turn.message, view, turn.context, name=turn.name)
        return True
    if view.action == ob.LEG_ACTION:
        resume = view.data.get("resume")
        # The answer's own update was recorded with it; the leg record follows from it.
        await _leg(
            turn,
            PainKind.RADIATING,
            resume=resume if isinstance(resume, dict) else None,
            dedupe=False,
        )
        return True
    if view.action == ob.HURT_SCORE_ACTION:
        await afterwards.record_typed_score(turn.message, turn.context, turn.user_id, view)
        return True
    await profile.show(turn.message, view, turn.context, name=turn.name)
    if view.end == ob.End.START_NOW:
        # "start now" typed does what the button does.
        await player.open_routine(turn.context, turn.user_id, turn.message.chat_id, turn.message)
    return True


async def _routine(turn: Turn) -> bool:
    result = await player.typed(
        turn.context,
        turn.message,
        turn.user_id,
        turn.update.update_id,
        turn.heard,
        turn.text,
    )
    if result.reply is Reply.HINT:
        turn.routine_hint = result.snapshot
        return False
    return result.reply is not Reply.NONE


async def _morning(turn: Turn) -> bool:
    pain = turn.heard.pain
    assert pain is not None
    return await pushes.answer_typed_pain(
        turn.context, turn.message.chat_id, turn.user_id, pain.value
    )


async def _feel(turn: Turn) -> bool:
    feel = turn.heard.feel
    assert feel is not None
    return await feel_answers.answer_typed(turn.context, turn.message, turn.user_id, feel)


async def _pain(turn: Turn) -> bool:
    """A score with no question open: kept in the pain stream, and said back."""
    pain = turn.heard.pain
    assert pain is not None
    if turn.routine_hint is not None:
        return False  # mid-exercise: the routine's own hint answers it ("a 2 is fine")
    stored = await turn.context.services.pain.typed(
        turn.user_id, pain.value, pain.when, update_id=turn.update.update_id
    )
    if stored is None:
        return False
    key = "core.pain_noted_high" if pain.value >= SEVERE_PAIN else "core.pain_noted"
    await turn.message.reply_text(t(key, pain=pain.value))
    return True


async def _intent(turn: Turn) -> bool:
    intent, message, context = turn.heard.intent, turn.message, turn.context
    if turn.place.phase is not None and intent in _ROUTINE_WORDS:
        return False  # the open routine did not take it here: its hint says what does
    asking = turn.dialog_hint.user if turn.dialog_hint is not None else None
    if asking is not None and asking.onboarded_at is None and intent in _ROUTINE_INTENTS:
        return False  # no routine before the set-up is done: the open question comes again
    if intent is Intent.START:
        await player.open_routine(context, turn.user_id, message.chat_id, message)
    elif intent is Intent.DONE:
        await afterwards.ask_done(message)
    elif intent is Intent.HURT:
        await afterwards.ask_which(message, turn.user_id, context)
    elif intent is Intent.HELP:
        await basic.on_help(turn.update, context)
    elif intent in _NOT_IN_ROUTINE and turn.place.phase is None:
        await message.reply_text(t("player.no_routine"))
    else:
        return False
    return True


async def _hint(turn: Turn) -> bool:
    """Nothing took the message: say what works here, never silently nothing."""
    message, pain = turn.message, turn.heard.pain
    if len(turn.text) > basic.MAX_TEXT:
        await basic.on_unknown_text(turn.update, turn.context)
    elif turn.routine_hint is not None:
        lines = [player.hint(turn.routine_hint)]
        if pain is not None and pain.value <= MILD and turn.place.phase in _EXERCISE:
            lines.insert(0, t("player.mild_ok", pain=pain.value))
        await message.reply_text("\n".join(lines))
    elif turn.dialog_hint is not None:
        await profile.show(message, turn.dialog_hint, turn.context, name=turn.name)
    elif turn.message.text is None:
        await basic.on_media(turn.update, turn.context)
    elif pain is not None:
        await message.reply_text(t("core.pain_heard", pain=pain.value))
    else:
        await basic.on_unknown_text(turn.update, turn.context)
    return True


_STAGES: dict[Stage, Callable[[Turn], Awaitable[bool]]] = {
    Stage.SAFETY: _safety,
    Stage.DIALOG: _dialog,
    Stage.ROUTINE: _routine,
    Stage.FEEL: _feel,
    Stage.MORNING: _morning,
    Stage.PAIN: _pain,
    Stage.INTENT: _intent,
    Stage.HINT: _hint,
}

"""Texts and keyboards of morning pushes, their answers, /pause and /resume."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.chat.dates import when_text
from bot.chat.keyboards import Button, keyboard
from bot.domain.schedule import PauseChoice
from bot.services.morning_check import CHECK
from bot.services.pushes import (
    Action,
    Answer,
    Card,
    PauseState,
    Preview,
    PushJob,
    Reply,
    Rested,
)
from bot.texts import t

PUSH_PREFIX = "push"
PAUSE_PREFIX = "pause"
PAIN_PREFIX = "p"
# The routine builder's thresholds: 4–6 a lighter level, 7+ a gentle day.
SOME_PAIN = 4
HIGH_PAIN = 7

Rendered = tuple[str, InlineKeyboardMarkup]


def push_callback(push_id: int, value: str) -> str:
    """Callback data of a push button: the morning push it acts on and what it does."""
    return f"{PUSH_PREFIX}:{push_id}:{value}"


def parse_push_callback(data: str) -> tuple[int, Action | int] | None:
    """(push id, action) or (push id, morning pain 0–10), or None if it is not a push button."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != PUSH_PREFIX or not parts[1].isdigit():
        return None
    push_id, value = int(parts[1]), parts[2]
    if value.startswith(PAIN_PREFIX) and value[1:].isdigit() and 0 <= int(value[1:]) <= 10:
        return push_id, int(value[1:])
    try:
        return push_id, Action(value)
    except ValueError:
        return None


def parse_pause_callback(data: str) -> PauseChoice | None:
    """The pause length of a /pause button, or None."""
    prefix, _, value = data.partition(":")
    if prefix != PAUSE_PREFIX:
        return None
    try:
        return PauseChoice(value)
    except ValueError:
        return None


def _routine(preview: Preview | None) -> str:
    if preview is None or not preview.first:
        return t("pushes.routine_plain")
    first = ", ".join(preview.first)
    key = "pushes.routine_gentle" if preview.gentle else "pushes.routine"
    return t(key, minutes=preview.minutes, first=first)


def _actions(push_id: int, *, snooze: bool) -> InlineKeyboardMarkup:
    rows: list[list[Button]] = [[(t("pushes.btn_start"), push_callback(push_id, Action.START))]]
    if snooze:
        rows.append(
            [
                (t("pushes.btn_snooze_30"), push_callback(push_id, Action.SNOOZE_30)),
                (t("pushes.btn_snooze_60"), push_callback(push_id, Action.SNOOZE_60)),
            ]
        )
    rows.append([(t("pushes.btn_skip"), push_callback(push_id, Action.SKIP))])
    return keyboard(rows)


def _pain_scale(push_id: int) -> InlineKeyboardMarkup:
    def b(n: int) -> Button:
        return (str(n), push_callback(push_id, f"{PAIN_PREFIX}{n}"))

    return keyboard([[b(n) for n in range(6)], [b(n) for n in range(6, 11)]])


def push(job: PushJob) -> Rendered:
    """The morning message (or the single snooze reminder) with its buttons."""
    greeting = t("pushes.greeting", name=job.first_name)
    if job.kind == "reminder":
        text = t("pushes.reminder", name=job.first_name, routine=_routine(job.preview))
        return text, _actions(job.morning_id, snooze=False)
    if job.kind == CHECK:
        text = f"{greeting}\n{t('pushes.rest_day')}\n{t('pushes.ask_pain')}"
        return text, _pain_scale(job.morning_id)
    if job.ask_pain:
        return f"{greeting}\n{t('pushes.ask_pain')}", _pain_scale(job.morning_id)
    return f"{greeting}\n{_routine(job.preview)}", _actions(job.morning_id, snooze=True)


def _pain_note(prefix: str, pain: int) -> str:
    """The `<prefix>_low`, `_some` or `_high` text for a morning pain answer."""
    band = "high" if pain >= HIGH_PAIN else "some" if pain >= SOME_PAIN else "low"
    return t(f"pushes.{prefix}_{band}")


def card(card: Card) -> tuple[str, InlineKeyboardMarkup | None]:
    """The routine card that replaces the pain question once it is answered.

    Its buttons stay off once one was answered: a late tap on the pain scale brings none back.
    """
    note = _pain_note("pain", card.pain)
    greeting = t("pushes.greeting", name=card.first_name)
    text = f"{greeting}\n{note}\n\n{_routine(card.preview)}"
    return text, _actions(card.push_id, snooze=True) if card.choosing else None


def rested(answer: Rested) -> str:
    """What the rest-day question says once answered (it replaces the question)."""
    text = f"{t('pushes.rested', pain=answer.pain)} {_pain_note('rested', answer.pain)}"
    if answer.next_push is not None:
        text += "\n\n" + t("pushes.rested_next", next=when_text(answer.next_push))
    return text


def answer(answer: Answer) -> str:
    """What a push button says back."""
    if answer.reply is Reply.SNOOZED:
        assert answer.remind_at is not None
        return t("pushes.snoozed", time=f"{answer.remind_at:%H:%M}")
    return t(f"pushes.{answer.reply.value}")


def pause_menu() -> Rendered:
    """/pause: the four lengths to choose from."""
    choices = [
        [(t("pushes.btn_pause_day"), f"{PAUSE_PREFIX}:{PauseChoice.DAY}")],
        [(t("pushes.btn_pause_3days"), f"{PAUSE_PREFIX}:{PauseChoice.THREE_DAYS}")],
        [(t("pushes.btn_pause_week"), f"{PAUSE_PREFIX}:{PauseChoice.WEEK}")],
        [(t("pushes.btn_pause_indefinite"), f"{PAUSE_PREFIX}:{PauseChoice.INDEFINITE}")],
    ]
    return t("pushes.pause_ask"), keyboard(choices)


def paused(state: PauseState) -> str:
    """The answer to a pause choice."""
    if not state.scheduled:
        return t("pushes.not_set_up")
    if state.until is None:
        return t("pushes.paused_indefinitely")
    return t("pushes.paused_until", until=when_text(state.until))


def resumed(state: PauseState) -> str:
    """The answer to /resume."""
    if not state.scheduled:
        return t("pushes.not_set_up")
    if state.next_push is None:
        return t("pushes.no_next")
    key = "pushes.resumed" if state.was_paused else "pushes.not_paused"
    return t(key, next=when_text(state.next_push))

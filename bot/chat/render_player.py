"""Texts and keyboards of the routine player: intro, cards, timers, pain questions, summary."""

from __future__ import annotations

import math
from datetime import datetime

from telegram import InlineKeyboardMarkup

from bot.chat.dates import when_text
from bot.chat.keyboards import Button, keyboard
from bot.chat.render_plan import changes_block
from bot.domain import player as pl
from bot.domain.safety import PainKind
from bot.services.player import Blocked, PlayItem, Snapshot, Summary
from bot.texts import t
from content.cards import dose_text
from content.library import load_library
from content.model import Segment

PREFIX = "pl"
_EXERCISE_PHASES = frozenset(
    {pl.Phase.CARD, pl.Phase.RUNNING, pl.Phase.PAUSED, pl.Phase.REPS, pl.Phase.COMPLETE}
)
# The three answers to "what did it feel like?" and the kind each one records.
KIND_BUTTONS = (
    ("player.btn_kind_sharp", PainKind.SHARP),
    ("player.btn_kind_leg", PainKind.RADIATING),
    ("player.btn_kind_ache", PainKind.ACHE),
)

Rendered = tuple[str, InlineKeyboardMarkup | None]
Parsed = tuple[int, int, str, pl.Action, int | PainKind | None]
SCREENS = frozenset("ihce")
_MILD = frozenset({PainKind.ACHE, PainKind.STIFF})


# --------------------------------------------------------------------------- callback data


def callback(snap: Snapshot, action: pl.Action, value: int | str | None = None) -> str:
    """Callback data of a player button: routine, position, kind of message, action, value."""
    state = snap.state
    screen = pl.screen_of(state.phase)
    data = f"{PREFIX}:{snap.routine_id}:{state.position}:{screen}:{action.value}"
    return data if value is None else f"{data}:{value}"


def parse_callback(data: str) -> Parsed | None:
    """(routine id, position, screen, action, value) of a player button, or None."""
    parts = data.split(":")
    if len(parts) not in (5, 6) or parts[0] != PREFIX:
        return None
    if not parts[1].isdigit() or not parts[2].isdigit() or parts[3] not in SCREENS:
        return None
    try:
        action = pl.Action(parts[4])
    except ValueError:
        return None
    value: int | PainKind | None = None
    if len(parts) == 6:
        raw = parts[5]
        if action is pl.Action.PAIN and raw.isdigit() and int(raw) <= 10:
            value = int(raw)
        elif action is pl.Action.KIND and raw in PainKind.__members__.values():
            value = PainKind(raw)
        else:
            return None
    return int(parts[1]), int(parts[2]), parts[3], action, value


# --------------------------------------------------------------------------- parts


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _extras(seg: Segment) -> list[str]:
    extras = []
    if seg.side:
        extras.append(t("player.part_side", side=t(f"player.side_{seg.side}")))
    if seg.sets > 1:
        extras.append(t("player.part_set", set=seg.set_index, sets=seg.sets))
    return extras


def part(seg: Segment) -> str:
    """A timed part in a few words: "Hold 3 of 8, left side, set 1 of 2"."""
    if seg.kind == "rest":
        return t("player.part_rest")
    if seg.kind == "hold":
        base = (
            t("player.part_hold_n", rep=seg.rep_index, reps=seg.reps)
            if seg.reps > 1
            else t("player.part_hold")
        )
    else:
        key = "player.part_reps_alternating" if seg.alternating else "player.part_reps"
        base = t(key, reps=seg.reps)
    return ", ".join([base, *_extras(seg)])


def _hold_label(seg: Segment) -> str:
    """What just ended, as the release message names it: "rep 3 of 8, left side"."""
    words = [t("player.part_rep", rep=seg.rep_index, reps=seg.reps)] if seg.reps > 1 else []
    return ", ".join([*words, *_extras(seg)])


def _after(item: PlayItem, index: int) -> Segment | None:
    """The first part from `index` on that is not a rest."""
    for seg in item.segments[index:]:
        if seg.kind != "rest":
            return seg
    return None


def _seconds_left(snap: Snapshot, now: datetime) -> int:
    if snap.timer is not None:
        return max(0, math.ceil((snap.timer.due_at - now).total_seconds()))
    return math.ceil((snap.state.left_ms or 0) / 1000)


# --------------------------------------------------------------------------- screens


def intro(snap: Snapshot) -> Rendered:
    """Today's exercises with doses and minutes: start, not today, shorter."""
    lines = [t("player.intro_title", minutes=snap.minutes)]
    if snap.gentle:
        lines.append(t("player.intro_gentle"))
    lines.append("")
    for n, item in enumerate(snap.items, start=1):
        dose = dose_text(item.exercise, item.dose)
        lines.append(t("player.intro_line", n=n, name=item.exercise.name, dose=dose))
    changed = changes_block(snap.changes, load_library())
    if changed:
        lines += ["", changed]
    lines += ["", t("player.intro_outro")]
    rows: list[list[Button]] = [
        [(t("player.btn_go"), callback(snap, pl.Action.GO))],
        [(t("player.btn_not_today"), callback(snap, pl.Action.NOT_TODAY))],
    ]
    if not snap.short:
        rows.append([(t("player.btn_shorter"), callback(snap, pl.Action.SHORTER))])
    return "\n".join(lines), keyboard(rows)


def _card_text(snap: Snapshot, item: PlayItem) -> str:
    ex = item.exercise
    lines = [
        t("player.card_header", n=snap.state.position + 1, total=len(snap.items)),
        ex.name,
        dose_text(ex, item.dose),
        "",
        *[f"{n}. {step}" for n, step in enumerate(ex.steps, start=1)],
        "",
        t("player.caution", text=ex.cautions[0]),
    ]
    return "\n".join(lines)


def _status(snap: Snapshot, item: PlayItem, now: datetime) -> str:
    state = snap.state
    seg = snap.segment
    match state.phase:
        case pl.Phase.CARD:
            key = "player.card_ready_timer" if pl.has_timer(item.segments) else "player.card_ready"
            return t(key)
        case pl.Phase.RUNNING if seg is not None and seg.kind == "rest":
            following = _after(item, state.segment)
            nxt = part(following) if following is not None else ""
            return t("player.status_rest", left=_seconds_left(snap, now), next=_lower_first(nxt))
        case pl.Phase.RUNNING if seg is not None:
            return t("player.status_hold", part=part(seg), left=_seconds_left(snap, now))
        case pl.Phase.PAUSED if seg is not None:
            return t("player.status_paused", part=part(seg), left=_seconds_left(snap, now))
        case pl.Phase.REPS if seg is not None:
            return t("player.status_reps", part=part(seg))
        case _:
            return t("player.status_complete")


def _exercise_buttons(snap: Snapshot, item: PlayItem) -> InlineKeyboardMarkup:
    phase = snap.state.phase

    def b(key: str, action: pl.Action) -> Button:
        return (t(key), callback(snap, action))

    rows: list[list[Button]] = []
    if phase is pl.Phase.CARD and pl.has_timer(item.segments):
        rows.append([b("player.btn_timer", pl.Action.TIMER)])
    elif phase is pl.Phase.RUNNING:
        rows.append([b("player.btn_pause", pl.Action.PAUSE)])
    elif phase is pl.Phase.PAUSED:
        rows.append([b("player.btn_resume", pl.Action.RESUME)])
    elif phase is pl.Phase.REPS:
        following = _after(item, snap.state.segment + 1)
        if following is not None:
            label = t("player.btn_next_part", part=_lower_first(part(following)))
            rows.append([(label, callback(snap, pl.Action.NEXT))])
    if phase is pl.Phase.COMPLETE:
        rows.append([b("player.btn_done_next", pl.Action.DONE)])
    else:
        rows.append([b("player.btn_done", pl.Action.DONE), b("player.btn_skip", pl.Action.SKIP)])
    rows.append([b("player.btn_hurt", pl.Action.HURT), b("player.btn_stop", pl.Action.STOP)])
    return keyboard(rows)


def buttons(snap: Snapshot) -> InlineKeyboardMarkup:
    """The current exercise's buttons alone (the last release message carries them)."""
    item = snap.item
    assert item is not None
    return _exercise_buttons(snap, item)


def card(snap: Snapshot, now: datetime) -> Rendered:
    """The current exercise's card with its status line (countdown) and buttons."""
    item = snap.item
    assert item is not None
    text = f"{_card_text(snap, item)}\n\n{_status(snap, item, now)}"
    return text, _exercise_buttons(snap, item)


def _pain_grid(snap: Snapshot) -> InlineKeyboardMarkup:
    def b(n: int) -> Button:
        return (str(n), callback(snap, pl.Action.PAIN, n))

    return keyboard([[b(n) for n in range(6)], [b(n) for n in range(6, 11)]])


def hurt(snap: Snapshot, report: tuple[PainKind, int | None] | None = None) -> Rendered:
    """The pain questions: what kind, how strong, then next exercise or end."""
    state = snap.state
    if state.phase is pl.Phase.HURT_KIND:
        rows: list[list[Button]] = [
            [(t(key), callback(snap, pl.Action.KIND, kind.value))] for key, kind in KIND_BUTTONS
        ]
        rows.append([(t("player.btn_back"), callback(snap, pl.Action.BACK))])
        return t("player.hurt_kind"), keyboard(rows)
    if state.phase is pl.Phase.HURT_PAIN:
        text = t("player.hurt_pain")
        if state.hurt_kind is not None and state.hurt_kind not in _MILD:
            # Sharp or leg pain: the exercise is already stopped; say so before asking.
            text = f"{t('player.hurt_stop_now')}\n\n{text}"
        return text, _pain_grid(snap)
    lines = []
    if report is not None:
        kind, _pain = report
        lines.append(t("player.hurt_too_much" if kind in _MILD else "player.hurt_sharp"))
    last = state.position + 1 >= len(snap.items)
    lines.append(t("player.hurt_next_last" if last else "player.hurt_next"))
    buttons: list[list[Button]] = []
    if not last:
        buttons.append([(t("player.btn_next_exercise"), callback(snap, pl.Action.NEXT_EXERCISE))])
    buttons.append([(t("player.btn_end"), callback(snap, pl.Action.END))])
    return "\n\n".join(lines), keyboard(buttons)


AFTER_PREFIX = "af"  # "done" and "it hurt" told outside a routine (handlers.afterwards)


def hurt_later_score(routine_id: int, idx: int, kind: str) -> Rendered:
    """ "How strong was it?" about an exercise of a finished routine, with the 0–10 grid."""
    data = f"{AFTER_PREFIX}:h:{routine_id}:{idx}:{kind}"
    grid = [(str(n), f"{data}:{n}") for n in range(11)]
    return t("player.hurt_pain"), keyboard([grid[:6], grid[6:]])


def end_question(snap: Snapshot) -> Rendered:
    """ "How is your back right now?" with the 0–10 grid."""
    return t("player.end_pain"), _pain_grid(snap)


def view(snap: Snapshot, now: datetime, step: pl.Step | None = None) -> Rendered:
    """Whatever the routine shows in its current phase."""
    phase = snap.state.phase
    if phase is pl.Phase.INTRO:
        return intro(snap)
    if phase in _EXERCISE_PHASES:
        return card(snap, now)
    if phase in (pl.Phase.HURT_KIND, pl.Phase.HURT_PAIN, pl.Phase.HURT_NEXT):
        return hurt(snap, step.report if step is not None else None)
    return end_question(snap)


def hurt_note() -> str:
    """What the hurt question turns into once a mild ache is recorded."""
    return t("player.hurt_ache_ok")


# --------------------------------------------------------------------------- messages


def notice(note: pl.Notice, snap: Snapshot) -> str:
    """The short new message at the end of a hold or a rest."""
    item = snap.item
    match note.kind:
        case pl.NoticeKind.LAST:
            return t("player.last")
        case pl.NoticeKind.MISSED:
            return t("player.missed", part=_lower_first(part(note.ended)))
        case pl.NoticeKind.GO:
            following = note.next
            assert following is not None
            label = part(following)
            if following.kind == "hold":
                label += f" — {following.seconds} s"
            return t("player.go", part=label)
    ended = _hold_label(note.ended)
    text = t("player.release", part=ended) if ended else t("player.release_plain")
    following = note.next
    if following is None or item is None:
        return text
    if following.kind == "rest":
        after = _after(item, snap.state.segment + 1)
        if after is None:
            return text
        then = t("player.then_rest", seconds=following.seconds, next=_lower_first(part(after)))
    else:
        then = t("player.then_next", next=_lower_first(part(following)))
    return f"{text} {then}"


def next_routine(next_at: datetime | None) -> str:
    """When the next routine comes, or "your next chosen morning"."""
    if next_at is None:
        return t("player.next_unknown")
    return t("player.next", when=when_text(next_at))


def summary(s: Summary) -> str:
    """The end: well done, the counts, the back now, and when the next routine is."""
    key = "player.summary_stopped" if s.end is pl.End.STOPPED else "player.summary_done"
    too_much = s.end_pain is not None and s.end_pain > pl.ACHE_LIMIT
    if too_much:
        # Above 5 is more than the plan aims for: no cheering, and say what happens next.
        key = "player.summary_too_much"
    lines = [
        t(key, name=s.first_name),
        t("player.summary_counts", done=s.done, skipped=s.skipped, hurt=s.hurt, minutes=s.minutes),
    ]
    if s.end_pain is not None:
        lines.append(t("player.summary_pain", pain=s.end_pain))
    if too_much:
        lines.append(t("player.summary_lighter"))
    lines.append(next_routine(s.next_at))
    return "\n".join(lines)


def blocked(reason: Blocked) -> Rendered:
    """Why there is no routine, and what to do about it."""
    if reason is Blocked.SAFETY_PENDING:
        return t("player.blocked_pending"), keyboard([[(t("player.btn_rescreen"), "rescreen")]])
    return t(f"player.blocked_{reason.value}"), None


def hint(phase: pl.Phase, *, timed: bool = True) -> str:
    """The words that work in this phase (a card without a timer has no "start")."""
    if phase is pl.Phase.CARD and not timed:
        return t("player.hint_card_plain")
    keys = {
        pl.Phase.INTRO: "player.hint_intro",
        pl.Phase.CARD: "player.hint_card",
        pl.Phase.RUNNING: "player.hint_running",
        pl.Phase.PAUSED: "player.hint_paused",
        pl.Phase.REPS: "player.hint_reps",
        pl.Phase.COMPLETE: "player.hint_complete",
        pl.Phase.HURT_KIND: "player.hint_kind",
        pl.Phase.HURT_PAIN: "player.hint_pain",
        pl.Phase.HURT_NEXT: "player.hint_next",
        pl.Phase.END_PAIN: "player.hint_pain",
    }
    return t(keys.get(phase, "player.hint_card"))

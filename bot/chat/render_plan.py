"""Texts of the adaptive plan: /plan and the lines that say what changed and why."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from telegram import InlineKeyboardMarkup

from bot.chat.dates import day_text
from bot.chat.keyboards import Button, keyboard
from bot.domain import adaptation as ad
from bot.services.plans import PlanView
from bot.texts import t
from content.cards import dose_text
from content.library import Library
from content.model import Dose


def _name(library: Library, exercise_id: object) -> str:
    if isinstance(exercise_id, str) and exercise_id in library:
        return library.get(exercise_id).name
    return str(exercise_id)


def _day(day: date | None) -> str:
    return day_text(day) if day else "—"


def change_line(change: ad.Change, library: Library) -> str:
    """One change as the user reads it: 'Glute bridge: 12 reps → 10 reps — it ached (5/10)'."""
    eid = change.exercise_id
    exercise = library.get(eid) if eid is not None and eid in library else None

    def shown(value: object) -> str:
        if isinstance(value, Dose) and exercise is not None:
            return dose_text(exercise, value)
        return _name(library, value) if isinstance(value, str) else str(value)

    key = "blocked_change" if change.kind is ad.ChangeKind.BLOCKED else change.kind.value
    what = t(
        f"plan.{key}",
        name=exercise.name if exercise else "",
        before=shown(change.before),
        after=shown(change.after),
        until=_day(change.until),
    )
    params = {"pain": "?", "morning": "?", **change.params}
    why = t(f"plan.why_{change.reason.value}").format(**params)
    return t("plan.change", what=what, why=why)


def changes_block(changes: Iterable[ad.Change], library: Library) -> str:
    """The 'what changed' lines for the intro card, or '' when nothing changed."""
    lines = [change_line(c, library) for c in changes]
    return "\n".join([t("plan.changes_title"), *lines]) if lines else ""


OFFER_PREFIX = "o"


def parse_offer_callback(data: str) -> tuple[int, str] | None:
    """(offer id, choice) of an offer button, or None."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != OFFER_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


def offers_keyboard(view: PlanView, library: Library) -> InlineKeyboardMarkup | None:
    """One block of buttons per waiting offer."""
    rows: list[list[Button]] = []
    for offer_id, offer in view.offers:

        def b(label: str, choice: str, offer_id: int = offer_id) -> Button:
            return (label, f"{OFFER_PREFIX}:{offer_id}:{choice}")

        if offer.kind is ad.OfferKind.SWAP:
            rows += [[b(_name(library, alt), str(n))] for n, alt in enumerate(offer.alternatives)]
            rows.append([b(t("plan.btn_keep"), "no")])
        else:
            level = offer.level or view.plan.level + 1
            rows.append(
                [b(t("plan.btn_level_yes", level=level), "yes"), b(t("plan.btn_not_yet"), "no")]
            )
    return keyboard(rows) if rows else None


def _offer_text(offer: ad.Offer, library: Library, level: int) -> str:
    if offer.kind is ad.OfferKind.SWAP:
        return t("plan.offer_swap", name=_name(library, offer.exercise_id))
    return t("plan.offer_level", level=offer.level or level + 1)


def plan_text(view: PlanView, library: Library) -> str:
    """/plan: level, mode, the exercises met with their doses, and the last changes."""
    plan = view.plan
    lines = [t("plan.title", level=plan.level)]
    if plan.blocked_for_rescreen:
        lines.append(t("plan.blocked"))
    elif view.gentle:
        lines.append(t("plan.gentle"))
    if plan.exercises or plan.excluded:
        lines += ["", t("plan.met")]
        for exercise_id, entry in plan.exercises.items():
            exercise = library.get(exercise_id)
            lines.append(t("plan.line", name=exercise.name, dose=dose_text(exercise, entry.dose)))
        for exercise_id, until in plan.excluded.items():
            if view.today < until:
                lines.append(
                    t("plan.left_out", name=_name(library, exercise_id), until=_day(until))
                )
    if view.changes:
        lines += ["", t("plan.recent"), *(change_line(c, library) for c in view.changes)]
    else:
        lines += ["", t("plan.none_yet")]
    if view.see_professional:
        lines += ["", t("plan.see_professional")]
    for _offer_id, offer in view.offers:
        lines += ["", _offer_text(offer, library, plan.level)]
    return "\n".join(lines)

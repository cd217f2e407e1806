"""Texts of /progress (the caption, or a sentence instead of a chart) and the weekly summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.domain.progress import MIN_POINTS, ChartData, DoseChange, WeekNumbers, tone
from bot.texts import t
from content.cards import dose_text
from content.library import load_library

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A weekly message stays short: the first few changes say enough.
MAX_CHANGES = 5


def _one(value: float) -> str:
    """A pain average with one decimal ("3.5"; "3" for a whole number)."""
    return f"{value:.1f}".removesuffix(".0")


def streak_line(n: int) -> str:
    """The streak in words."""
    if n == 0:
        return t("progress.streak_none")
    return t("progress.streak_one") if n == 1 else t("progress.streak", n=n)


def caption(data: ChartData) -> str:
    """The line under the chart: the streak and the change since the first week."""
    change = data.change
    if change is None:
        said = t("progress.change_unknown")
    else:
        values = {"first": _one(change.first), "latest": _one(change.latest)}
        if change.delta <= -0.5:
            said = t("progress.change_down", delta=_one(-change.delta), **values)
        elif change.delta >= 0.5:
            said = t("progress.change_up", delta=_one(change.delta), **values)
        else:
            said = t("progress.change_same", **values)
    return f"{streak_line(data.streak)}\n{said}"


def too_little(data: ChartData) -> str:
    """What /progress says instead of drawing a chart with almost nothing on it."""
    assert data.points < MIN_POINTS
    n = data.points or t("progress.none")
    return f"{t('progress.too_little', n=n)}\n\n{streak_line(data.streak)}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def change_lines(changes: Sequence[DoseChange]) -> list[str]:
    """Each plan change in a few words: a new exercise, or a dose that moved."""
    library = load_library()
    lines = []
    for change in changes[:MAX_CHANGES]:
        if change.exercise_id not in library:
            continue
        exercise = library.get(change.exercise_id)
        after = dose_text(exercise, change.after)
        if change.before is None:
            lines.append(t("progress.plan_new", name=exercise.name, dose=after))
        else:
            before = dose_text(exercise, change.before)
            lines.append(t("progress.plan_dose", name=exercise.name, before=before, after=after))
    return lines


def weekly(numbers: WeekNumbers, changes: Sequence[DoseChange] | None) -> str:
    """The weekly summary message."""
    lines = [t("progress.weekly_title", start=_day(numbers.start), end=_day(numbers.end)), ""]
    if numbers.planned:
        lines.append(t("progress.weekly_done", done=numbers.done, planned=numbers.planned))
    else:
        lines.append(t("progress.weekly_done_unplanned", done=numbers.done))
    if numbers.pain is None:
        lines.append(t("progress.weekly_pain_none"))
    elif numbers.pain_before is None:
        lines.append(t("progress.weekly_pain_new", now=_one(numbers.pain)))
    else:
        lines.append(
            t("progress.weekly_pain", now=_one(numbers.pain), before=_one(numbers.pain_before))
        )
    described = change_lines(changes) if changes else []
    if changes is None:
        lines.append(t("progress.weekly_plan_first"))
    elif described:
        lines.append(t("progress.weekly_plan"))
        lines += [f"• {line}" for line in described]
    else:
        lines.append(t("progress.weekly_plan_none"))
    lines += ["", t(f"progress.tone_{tone(numbers).value}")]
    return "\n".join(lines)

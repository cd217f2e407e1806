"""The /progress picture: pain over the weeks and routines per week, drawn for a phone screen.

Matplotlib with the Agg backend (no display). Only the object API is used (no pyplot state),
so drawing in a worker thread is safe.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.progress import ChartData, PainPoint
from bot.texts import t

# Never a window: the picture only ever goes to a PNG (pyplot is not used at all).
matplotlib.use("Agg")

# Two colours that stay apart for colour-blind eyes too (Okabe–Ito blue and orange).
MORNING = "#0072B2"
AFTER = "#E69F00"
INK = "#222222"
GRID = "#DDDDDD"
# 1080 × 1350 px: a portrait picture that fills a phone's width without zooming.
SIZE = (7.2, 9.0)
DPI = 150


def _label(day: date) -> str:
    return f"{day.day} {day:%b}"


def _series(points: tuple[PainPoint, ...]) -> tuple[list[date], list[int]]:
    return [p.day for p in points], [p.pain for p in points]


def progress_png(data: ChartData) -> bytes:
    """The progress chart as PNG bytes."""
    fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    pain_ax, week_ax = fig.subplots(2, 1, height_ratios=[3, 2])
    fig.suptitle(t("progress.chart_title", weeks=len(data.weeks)), fontsize=26, color=INK)

    for points, colour, marker, key in (
        (data.morning, MORNING, "o", "progress.legend_morning"),
        (data.after_routine, AFTER, "s", "progress.legend_after"),
    ):
        if not points:
            continue  # an empty series would only add a puzzling legend entry
        x, y = _series(points)
        pain_ax.plot(x, y, color=colour, marker=marker, markersize=9, linewidth=3, label=t(key))
    first, last = data.start, data.end + timedelta(days=1)
    mondays = [data.start + timedelta(weeks=i) for i in range(len(data.weeks))]
    pain_ax.set_xlim(first, last)
    pain_ax.set_xticks(mondays, [_label(m) for m in mondays])
    pain_ax.set_ylim(-0.3, 10.3)
    pain_ax.set_yticks([0, 2, 4, 6, 8, 10])
    pain_ax.set_ylabel(t("progress.axis_pain"), fontsize=20, color=INK)
    pain_ax.legend(loc="upper center", bbox_to_anchor=(0.5, 1.16), ncol=2, fontsize=18,
                   frameon=False, handlelength=1.6)  # fmt: skip

    positions = range(len(data.weeks))
    counts = [w.done for w in data.weeks]
    bars = week_ax.bar(positions, counts, color=MORNING, width=0.6)
    week_ax.bar_label(bars, labels=[str(c) for c in counts], fontsize=18, padding=3)
    week_ax.set_xticks(list(positions), [_label(w.week_start) for w in data.weeks])
    week_ax.set_ylim(0, max([*counts, 3]) + 1.2)
    week_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    week_ax.set_ylabel(t("progress.axis_routines"), fontsize=20, color=INK)
    week_ax.set_xlabel(t("progress.axis_week"), fontsize=20, color=INK)

    for ax in (pain_ax, week_ax):
        ax.tick_params(labelsize=16, colors=INK)
        ax.grid(axis="y", color=GRID, linewidth=1)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if len(data.weeks) > 6:
            ax.tick_params(axis="x", labelrotation=45)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()

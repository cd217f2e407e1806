"""Stored pain answers as the bot stores them: the answer's own row and its report in the stream.

Tests that arrange a morning answer (`MorningPain`) or a routine's end pain directly add the
`pain_reports` rows the morning question and the player write with them (`with_stream`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.db.tables import MorningPain, PainReport, PlayedRoutine
from bot.domain.pain import ReportKind, Source


def stream_of(rows: Iterable[Any]) -> list[PainReport]:
    """The stream's rows for the morning answers and routine end pains among `rows`."""
    reports = []
    for row in rows:
        if isinstance(row, MorningPain):
            reports.append(
                PainReport(
                    user_id=row.user_id, at=row.at, local_date=row.local_date,
                    kind=ReportKind.MORNING.value, value=row.pain,
                    source=Source.MORNING_QUESTION.value,
                )
            )  # fmt: skip
        elif isinstance(row, PlayedRoutine) and row.end_pain is not None:
            reports.append(
                PainReport(
                    user_id=row.user_id, at=row.ended_at or row.updated_at,
                    local_date=row.local_date, kind=ReportKind.END.value, value=row.end_pain,
                    source=Source.END_QUESTION.value,
                )
            )  # fmt: skip
    return reports


def with_stream(*rows: Any) -> list[Any]:
    """The rows, followed by their reports in the stream."""
    return [*rows, *stream_of(rows)]

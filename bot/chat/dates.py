"""Days and times as users read them: 'Mon 23 Nov', 'Mon 23 Nov at 07:30'."""

from __future__ import annotations

from datetime import date, datetime

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_text(day: date) -> str:
    """'Mon 23 Nov'."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b}"


def when_text(local: datetime) -> str:
    """A local time: 'Mon 23 Nov at 07:30' (convert to the user's zone first)."""
    return f"{day_text(local.date())} at {local:%H:%M}"

"""Time as a dependency, so tests can move it instead of waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests, benchmarks, the shell's fast-forward)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The current (frozen) instant."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new instant."""
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when`."""
        self._now = when.astimezone(UTC)


class ShiftedClock:
    """The real clock moved by an offset: lets the offline shell try tomorrow today."""

    def __init__(self, start: datetime | None = None) -> None:
        if start is not None and start.tzinfo is None:
            raise ValueError("ShiftedClock needs an aware datetime")
        self._offset = (start - datetime.now(UTC)) if start is not None else timedelta(0)

    def now(self) -> datetime:
        """The real instant plus the offset."""
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Jump forward by `delta` and return the new instant."""
        self._offset += delta
        return self.now()

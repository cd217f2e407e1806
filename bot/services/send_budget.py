"""One send budget for all the bot's processes: Telegram counts messages per bot, not per worker.

The budget is a token bucket written as a single number, the "theoretical arrival time" (GCRA):
each send reserves the next free slot and sleeps until it, so `burst` sends may go at once and
after that one every `1 / rate` seconds, however many processes share it. On PostgreSQL the
number lives in one row that every worker updates with one atomic statement, and the database's
clock is the one clock they all read; on SQLite (a single process) it lives in memory.

The row is coordination state, not data: it sits in an UNLOGGED table this module creates on
first use (losing it in a database crash costs nothing), outside the Alembic models.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

TABLE = "backcoach_send_budget"
LOCK_NAMESPACE = 0x42430001
_WARN_EVERY = 60.0
# After the database failed a send, pace locally this long before asking it again: a send must
# not wait for a connection attempt that will fail (or for the pool's waiters behind it).
_RETRY_DB_AFTER = 5.0


@dataclass(frozen=True, slots=True)
class Bucket:
    """`rate` sends per second on average, up to `burst` at once after a quiet moment."""

    rate: float
    burst: int = 1

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"a send budget needs rate > 0 and burst >= 1, got {self}")

    @property
    def interval(self) -> float:
        """Seconds between two sends once the burst is spent."""
        return 1.0 / self.rate

    @property
    def tolerance(self) -> float:
        """How far ahead of the steady pace a send may go (the burst, in seconds)."""
        return (self.burst - 1) * self.interval

    def allows(self, seconds: float) -> int:
        """The most sends this bucket lets through in any window of `seconds`."""
        return self.burst + int(seconds * self.rate)


def default_bucket(rate: float, burst: int = 0) -> Bucket:
    """The bucket for BACKCOACH_PUSH_RATE and _SEND_BURST (0: a second's worth, as PTB's own
    AIORateLimiter allows)."""
    return Bucket(rate=rate, burst=burst or max(1, round(rate)))


def reserve(tat: float, now: float, bucket: Bucket) -> tuple[float, float]:
    """One send at `now` against arrival time `tat`: (the new tat, when the send may go)."""
    start = max(now, tat - bucket.tolerance)
    return max(tat, now) + bucket.interval, start


class SendBudget(Protocol):
    """Where every message to Telegram waits for its turn."""

    async def acquire(self) -> float:
        """Wait for the next free slot; return how long that took, in seconds."""
        ...

    async def hold(self, seconds: float) -> None:
        """Telegram answered 429: nobody sends for `seconds`."""
        ...

    async def close(self) -> None:
        """Release what the budget holds (connections)."""
        ...


class LocalBudget:
    """The budget of one process, in memory (SQLite, tests, or a database that went away)."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket
        self._tat = 0.0

    async def acquire(self) -> float:
        """Wait for the next free slot; return how long that took, in seconds."""
        now = time.monotonic()
        # Reserved before the first await, so concurrent senders never get the same slot.
        self._tat, start = reserve(self._tat, now, self.bucket)
        wait = start - now
        if wait > 0:
            await asyncio.sleep(wait)
        return max(0.0, wait)

    async def hold(self, seconds: float) -> None:
        """Telegram answered 429: nobody sends for `seconds`."""
        self._tat = max(self._tat, time.monotonic() + seconds + self.bucket.tolerance)

    async def close(self) -> None:
        """Nothing to release."""


# One statement, so one transaction even on an autocommit connection: the advisory lock keeps
# two workers starting together from racing to create the table.
_CREATE = (
    f"DO $$ BEGIN PERFORM pg_advisory_xact_lock({LOCK_NAMESPACE}, 0); "
    f"CREATE UNLOGGED TABLE IF NOT EXISTS {TABLE} (name text PRIMARY KEY, tat float8 NOT NULL); "
    "END $$"
)
_SEED = f"INSERT INTO {TABLE} (name, tat) VALUES (:name, 0) ON CONFLICT (name) DO NOTHING"
# The slot is taken and the wait computed in one statement, under the row lock, with the
# database's clock: workers on several machines never compare their own clocks.
_NOW = "extract(epoch FROM clock_timestamp())"
_ACQUIRE = (
    f"UPDATE {TABLE} SET tat = GREATEST(tat, {_NOW}) + :interval WHERE name = :name "
    f"RETURNING tat - :interval - :tolerance - {_NOW}"
)
_HOLD = f"UPDATE {TABLE} SET tat = GREATEST(tat, {_NOW} + :seconds + :tolerance) WHERE name = :name"


class PostgresBudget:
    """The budget shared by every worker on one PostgreSQL database."""

    def __init__(self, url: str, bucket: Bucket, *, name: str = "telegram") -> None:
        self.bucket = bucket
        self.name = name
        # Its own small pool: a send must never wait for a connection that a handler, or a
        # per-chat lock, holds while it waits for this very send.
        # One round trip per send: autocommit (no BEGIN/COMMIT) and no pre-ping; a connection
        # that went stale fails once, is dropped by the pool, and that send paces locally.
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=2,
            max_overflow=6,
            pool_timeout=2,
            isolation_level="AUTOCOMMIT",
            connect_args={"timeout": 5},
        )
        self._fallback = LocalBudget(bucket)
        self._ready = False
        self._warned = 0.0
        self._local_until = 0.0

    async def _prepare(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text(_CREATE))
            await conn.execute(text(_SEED), {"name": self.name})
        self._ready = True

    async def acquire(self) -> float:
        """Reserve the next slot in the shared row and sleep until it."""
        if time.monotonic() < self._local_until:
            return await self._fallback.acquire()
        try:
            if not self._ready:
                await self._prepare()
            async with self.engine.connect() as conn:
                wait = await conn.scalar(
                    text(_ACQUIRE),
                    {
                        "name": self.name,
                        "interval": self.bucket.interval,
                        "tolerance": self.bucket.tolerance,
                    },
                )
        except (SQLAlchemyError, OSError) as exc:
            # Sending at this process's own pace beats not sending: the database is likely
            # down for the handlers too, and Telegram's 429 remains the last word.
            self._warn(exc)
            self._local_until = time.monotonic() + _RETRY_DB_AFTER
            return await self._fallback.acquire()
        wait = float(wait or 0.0)
        if wait > 0:
            await asyncio.sleep(wait)
        return max(0.0, wait)

    async def hold(self, seconds: float) -> None:
        """Move every worker's next slot past Telegram's retry_after."""
        await self._fallback.hold(seconds)
        if time.monotonic() < self._local_until:
            return
        try:
            if not self._ready:
                await self._prepare()
            async with self.engine.begin() as conn:
                await conn.execute(
                    text(_HOLD),
                    {"name": self.name, "seconds": seconds, "tolerance": self.bucket.tolerance},
                )
        except (SQLAlchemyError, OSError) as exc:
            self._warn(exc)
            self._local_until = time.monotonic() + _RETRY_DB_AFTER

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= _WARN_EVERY:
            self._warned = now
            log.warning("shared send budget unavailable (%s); pacing locally", type(exc).__name__)

    async def close(self) -> None:
        """Close the budget's connections."""
        await self.engine.dispose()


def build_budget(
    database_url: str, rate: float, burst: int = 0, *, name: str = "telegram"
) -> SendBudget:
    """The shared budget on PostgreSQL, the in-memory one on SQLite."""
    bucket = default_bucket(rate, burst)
    if database_url.startswith("postgresql"):
        return PostgresBudget(database_url, bucket, name=name)
    return LocalBudget(bucket)

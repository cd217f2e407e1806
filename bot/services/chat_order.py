"""One update of a chat at a time, whichever worker receives it.

Several webhook workers may each be handed an update of the same chat: Telegram resends one
whose answer was late while the first copy is still being handled, or delivers over several
connections at once. Handling holds a per-chat lock, so two updates of one chat never interleave
and run in the order they reached the lock. In one process an asyncio lock does it; across
processes a PostgreSQL transaction-level advisory lock keyed by the chat id, which the server
drops by itself when a worker dies (its connection closes), so a `kill -9` leaves nothing held.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# First key of pg_advisory_xact_lock(int, int); the second is the chat id folded to 32 bits.
LOCK_NAMESPACE = 0x42430002
LOCK_TIMEOUT_S = 30
# Telegram opens at most 40 connections to a webhook by default (setWebhook max_connections).
MAX_CONCURRENT = 40


class ChatBusy(Exception):
    """The chat's lock could not be had in time (or at all): answer non-2xx, Telegram retries."""


class ChatOrder(Protocol):
    """Serialises the handling of each chat's updates."""

    def hold(self, chat_id: int | None) -> AbstractAsyncContextManager[None]:
        """Hold `chat_id`'s lock for the body (no lock for updates without a chat)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def lock_key(chat_id: int) -> int:
    """A chat id (64 bits, maybe negative) folded into PostgreSQL's signed 32-bit lock key.

    Two chats that share a key only wait for each other now and then; nothing goes wrong.
    """
    folded = (chat_id ^ (chat_id >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


class LocalChatOrder:
    """Per-chat asyncio locks for one process; a lock exists only while someone uses it."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def _local(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:
                del self._users[chat_id], self._locks[chat_id]

    @asynccontextmanager
    async def hold(self, chat_id: int | None) -> AsyncIterator[None]:
        """Hold `chat_id`'s lock for the body (no lock for updates without a chat)."""
        if chat_id is None:
            yield
            return
        async with self._local(chat_id):
            yield

    async def close(self) -> None:
        """Nothing to release."""


class PostgresChatOrder(LocalChatOrder):
    """Per-chat locks shared by every worker on one PostgreSQL database."""

    def __init__(self, url: str, *, lock_timeout_s: float = LOCK_TIMEOUT_S) -> None:
        super().__init__()
        self.lock_timeout_ms = int(lock_timeout_s * 1000)
        # A connection per update being handled, from a pool of its own: the handlers' pool
        # must never run dry because locks hold its connections.
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=4,
            max_overflow=MAX_CONCURRENT - 4,
            pool_timeout=10,
            pool_pre_ping=True,
            connect_args={"timeout": 5},
        )

    @asynccontextmanager
    async def hold(self, chat_id: int | None) -> AsyncIterator[None]:
        """Hold the chat's lock in this process, then across processes, for the body."""
        if chat_id is None:
            yield
            return
        # The local lock first: one process never ties up two connections for one chat.
        async with self._local(chat_id):
            try:
                conn = await self.engine.connect()
            except (SQLAlchemyError, OSError) as exc:
                raise ChatBusy(f"no database connection for the chat lock: {exc}") from exc
            try:
                try:
                    await conn.begin()
                    # SET LOCAL takes no bind parameters; the value is our own integer.
                    await conn.execute(text(f"SET LOCAL lock_timeout = {self.lock_timeout_ms}"))
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:ns, :key)"),
                        {"ns": LOCK_NAMESPACE, "key": lock_key(chat_id)},
                    )
                except (SQLAlchemyError, OSError) as exc:
                    raise ChatBusy(f"chat lock not taken: {type(exc).__name__}") from exc
                yield
            finally:
                # Ending the transaction releases the lock; a broken connection released it
                # already, so a failure here must not fail an update that was handled.
                with suppress(SQLAlchemyError, OSError):
                    await conn.rollback()
                with suppress(SQLAlchemyError, OSError):
                    await conn.close()

    async def close(self) -> None:
        """Close the lock connections."""
        await self.engine.dispose()


def build_chat_order(database_url: str) -> ChatOrder:
    """Cross-process locks on PostgreSQL; in-process ones on SQLite (a single process)."""
    if database_url.startswith("postgresql"):
        return PostgresChatOrder(database_url)
    return LocalChatOrder()

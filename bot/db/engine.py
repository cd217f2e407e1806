"""The async engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and immediate write transactions."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 10})
        _tune_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _tune_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions start (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later writes can fail at once with "database is locked"
        # instead of waiting; taking the write lock up front makes the busy timeout apply.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory every service opens its transactions from."""
    return async_sessionmaker(engine, expire_on_commit=False)

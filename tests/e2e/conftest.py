"""Fixtures of the end-to-end tests: the HTTP Bot API server on 127.0.0.1, an empty database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fakes.http_botapi import BotApiServer, serve_botapi
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db.tables import Base


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    """Telegram over real HTTP, in a background thread."""
    with serve_botapi() as server:
        yield server


@pytest.fixture(autouse=True)
def _empty_postgres(request: pytest.FixtureRequest) -> None:
    """The bot process starts on an empty PostgreSQL database, as it does on a new SQLite file:
    the server's test database is shared by the run, and the fakes' update ids restart at 1."""
    if "db_url" not in request.fixturenames:
        return
    url: str = request.getfixturevalue("db_url")
    if not url.startswith("postgresql"):
        return

    async def empty() -> None:
        engine = create_async_engine(url)
        try:
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()

    asyncio.run(empty())

"""Shared fixtures: a database on both backends, services with a movable clock, the bot."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Settings, load_settings
from bot.db.migrate import upgrade_sync
from bot.db.tables import Base
from bot.services import Services, build_services
from bot.services.clock import FrozenClock

PG_URL = os.environ.get(
    "BACKCOACH_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BACKENDS = ["sqlite", "postgres"]
# A Saturday morning in winter, far from any DST change, unless a test moves the clock.
T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def _pg_reachable() -> str | None:
    """None if PostgreSQL answers, else why not."""
    import asyncpg

    async def probe() -> None:
        conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _require_pg() -> None:
    """Skip (or, in CI, fail) when the PostgreSQL server does not answer."""
    problem = _pg_reachable()
    if problem is not None:
        message = f"PostgreSQL at {PG_URL} is not reachable ({problem})"
        if IN_CI:
            pytest.fail(message + "; CI must run the PostgreSQL tests", pytrace=False)
        warnings.warn(message + " — SKIPPING every PostgreSQL test", stacklevel=1)
        print(f"\n!!! {message} — SKIPPING every PostgreSQL test !!!\n", file=sys.stderr)
        pytest.skip(message)


@contextmanager
def _own_pg_database() -> Iterator[str]:
    """An empty PostgreSQL database of this test run's own, dropped afterwards."""
    _require_pg()
    import asyncpg

    name = f"backcoach_t{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_dsn = PG_URL.replace("+asyncpg", "")

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield str(make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_migrated() -> Iterator[str]:
    """A PostgreSQL database of this test run's own, at the newest migration.

    Each run creates and drops its own database on the server, so two runs (a developer's and
    CI's, or parallel helpers) never empty each other's tables.
    """
    with _own_pg_database() as url:
        upgrade_sync(url)
        yield url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even the migrations table."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
        return
    with _own_pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file at the newest migration, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite always, PostgreSQL on 127.0.0.1 too."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "bot.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_migrated")
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Settings for a test: its own database and data folder, no real token."""
    return load_settings(database_url=db_url, data_dir=tmp_path / "var", token=None)


@pytest.fixture
def clock() -> FrozenClock:
    """A clock that only moves when the test says so."""
    return FrozenClock(T0)


@pytest.fixture
async def services(settings: Settings, clock: FrozenClock) -> AsyncIterator[Services]:
    """Services over an empty database (PostgreSQL tables are emptied before each test)."""
    services = build_services(settings, clock=clock)
    if settings.is_postgres:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with services.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield services
    await services.close()

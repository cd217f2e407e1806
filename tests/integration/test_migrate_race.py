"""Several workers starting at once on an empty database: one migrates, the others wait."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_URL, _pg_reachable
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bot.db.engine import make_engine
from bot.db.tables import Base

WORKERS = 4
MIGRATE = "import sys; from bot.db.migrate import upgrade_sync; upgrade_sync(sys.argv[1])"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, not even the migrations table."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
        return
    if _pg_reachable() is not None:
        pytest.skip("PostgreSQL is not reachable")  # conftest's pg_migrated fails CI for this
    import asyncpg

    name = f"backcoach_m{os.getpid()}_{uuid.uuid4().hex[:8]}"
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


async def test_workers_starting_together_all_come_up_on_one_schema(empty_url: str) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MIGRATE,
            empty_url,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(WORKERS)
    ]
    outcomes = [await asyncio.wait_for(p.communicate(), timeout=120) for p in procs]
    failures = [
        err.decode()[-3000:] for (_out, err), p in zip(outcomes, procs, strict=True) if p.returncode
    ]
    assert not failures, "\n\n".join(failures)
    engine = make_engine(empty_url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            versions = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            heads = [row[0] for row in versions]
    finally:
        await engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert len(heads) == 1

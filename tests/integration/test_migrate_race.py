"""Several workers starting at once on an empty database: one migrates, the others wait."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from bot.db.engine import make_engine
from bot.db.tables import Base

pytestmark = pytest.mark.db

WORKERS = 4
MIGRATE = "import sys; from bot.db.migrate import upgrade_sync; upgrade_sync(sys.argv[1])"


async def test_workers_starting_together_all_come_up_on_one_schema(empty_db_url: str) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MIGRATE,
            empty_db_url,
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
    engine = make_engine(empty_db_url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            versions = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
            heads = [row[0] for row in versions]
    finally:
        await engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert len(heads) == 1

"""Alembic environment: runs migrations over the async engine of the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.engine import make_engine
from bot.db.tables import Base

target_metadata = Base.metadata
# Any fixed number: the advisory lock that lets one worker migrate while the others wait.
MIGRATION_LOCK = 0x6261636B  # "back"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        # One transaction for the whole upgrade on SQLite too (it does support DDL in a
        # transaction): its BEGIN IMMEDIATE then keeps a second worker, starting at the same
        # moment, waiting until the schema is complete rather than racing migration by
        # migration.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Workers starting together would each see an empty version table and race to
            # create the same tables. The lock lasts until this transaction ends, so the next
            # worker reads the version only after the first one committed. (SQLite's
            # BEGIN IMMEDIATE already is such a lock.)
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        context.run_migrations()


async def _run_async() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


asyncio.run(_run_async())

"""The database layer on both backends: migrations, SQLite tuning, first contact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from bot.db.repos import first_delivery
from bot.db.tables import Base
from bot.services import Services
from bot.services.clock import FrozenClock

pytestmark = pytest.mark.db


async def test_migrations_create_every_table(services: Services) -> None:
    async with services.engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {t.name for t in Base.metadata.sorted_tables} <= names
    assert "alembic_version" in names


async def test_sqlite_runs_in_wal_with_busy_timeout(services: Services) -> None:
    if services.settings.is_postgres:
        pytest.skip("SQLite only")
    async with services.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        timeout = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
    assert mode == "wal"
    assert timeout >= 5000


async def test_first_contact_creates_the_user_once(services: Services) -> None:
    first = await services.onboarding.begin(42, 42, "Ann")
    again = await services.onboarding.begin(42, 42, "Ann")
    assert first.is_new and not again.is_new
    stored = await services.users.get(42)
    assert stored is not None and stored.first_name == "Ann"


async def test_racing_first_contacts_make_one_row(services: Services) -> None:
    results = await asyncio.gather(*(services.onboarding.begin(7, 7, "Bo") for _ in range(5)))
    assert sum(r.is_new for r in results) == 1
    async with services.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM users WHERE id = 7"))).scalar_one()
    assert count == 1


async def test_times_come_back_aware_and_in_utc(services: Services) -> None:
    await services.onboarding.begin(5, 5, "Cy")
    user = await services.users.get(5)
    assert user is not None
    assert user.created_at == services.clock.now()
    assert user.created_at.tzinfo is not None
    assert user.created_at.utcoffset() == timedelta(0)
    assert abs(user.created_at - datetime(2026, 11, 21, 6, tzinfo=UTC)) < timedelta(seconds=1)


async def test_blocking_marks_the_user_inactive_and_contact_revives(services: Services) -> None:
    await services.onboarding.begin(9, 9, "Di")
    assert await services.users.set_active(9, False)
    user = await services.users.get(9)
    assert user is not None and not user.active
    await services.onboarding.begin(9, 9, "Di")
    user = await services.users.get(9)
    assert user is not None and user.active
    assert not await services.users.set_active(12345, False)


async def test_delivery_records_are_kept_two_days_then_forgotten(
    services: Services, clock: FrozenClock
) -> None:
    await services.onboarding.begin(3, 3, "Ed")
    async with services.sessions.begin() as s:
        assert await first_delivery(s, 100, 3, services.clock.now())
        assert not await first_delivery(s, 100, 3, services.clock.now())
    clock.advance(timedelta(days=1))
    assert await services.users.forget_old_deliveries() == 0
    clock.advance(timedelta(days=2))
    assert await services.users.forget_old_deliveries() == 1


async def test_the_migrations_build_exactly_the_tables_the_code_declares(
    services: Services,
) -> None:
    # A model changed without a migration (or the other way round) fails here.
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.services.send_budget import TABLE as SEND_BUDGET

    async with services.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    # The shared send budget is an UNLOGGED scratch table made at run time, not a model.
    assert [d for d in diff if not (d[0] == "remove_table" and d[1].name == SEND_BUDGET)] == []

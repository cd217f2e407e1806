"""/export and /delete over every table, on both databases.

The tables are seeded generically from the metadata, so a table added later is seeded,
exported and erased by these tests without anyone editing them; a table the code cannot
tie to a user fails `test_every_table_is_tied_to_a_user_or_declared_shared`.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import Column, Table, TypeDecorator, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import Base
from bot.services import Services
from bot.services.privacy import EXPORT_SCHEMA, EXPORT_VERSION, owner_filters

pytestmark = pytest.mark.db

ANN, BO = 1001, 2002
# Tables that hold no data about any one user. None yet: add one here only on purpose.
SHARED_TABLES: set[str] = set()
Keys = dict[str, list[dict[str, Any]]]


def _python_type(column: Column[Any]) -> type:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return str


def _fake(column: Column[Any], n: int) -> Any:
    """A plausible value for a column of any type (n varies it between users)."""
    kind = _python_type(column)
    if kind is bool:
        return True
    if kind is int:
        return n
    if kind is datetime:
        return datetime(2026, 11, 20, 7, 30, n % 60, 123000, tzinfo=UTC)
    if kind is date:
        return date(2026, 11, 20)
    if kind is time:
        return time(7, 30)
    if kind in (dict, list):
        return {"seeded": n, "nested": {"list": [1, "two"]}}
    length = getattr(column.type, "length", None) or 16
    return f"x{n}"[:length]


def _autoincrement(column: Column[Any], table: Table) -> bool:
    return (
        column.primary_key
        and len(table.primary_key.columns) == 1
        and _python_type(column) is int
        and column.autoincrement in (True, "auto")
        and not column.foreign_keys
        and table.name != "users"
    )


async def seed_everything(session: AsyncSession, user_id: int) -> Keys:
    """One row in every table that belongs to a user, all tied to `user_id`; table → rows."""
    seeded: Keys = {}
    owned = owner_filters(Base.metadata, user_id)
    for table in Base.metadata.sorted_tables:
        if table.name not in owned:
            continue
        row: dict[str, Any] = {}
        for column in table.columns:
            fks = list(column.foreign_keys)
            is_user = (table.name, column.name) == ("users", "id") or column.name == "user_id"
            if is_user or any(fk.column.table.name == "users" for fk in fks):
                row[column.name] = user_id
            elif fks:
                parent = fks[0].column
                if parent.table is not table and parent.table.name in seeded:
                    row[column.name] = seeded[parent.table.name][0][parent.name]
            elif not _autoincrement(column, table):
                row[column.name] = _fake(column, user_id % 1000)
        stmt = insert(table).values(row).returning(*table.columns)
        inserted = (await session.execute(stmt)).mappings().one()
        seeded[table.name] = [dict(inserted)]
    return seeded


async def seed(services: Services, *users: int) -> dict[int, Keys]:
    async with services.sessions.begin() as s:
        return {user: await seed_everything(s, user) for user in users}


def _key(table: Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


async def stored_keys(services: Services) -> dict[str, set[tuple[Any, ...]]]:
    """The primary keys of every row in every table."""
    found: dict[str, set[tuple[Any, ...]]] = {}
    async with services.sessions.begin() as s:
        for table in Base.metadata.sorted_tables:
            rows = (await s.execute(select(*table.primary_key.columns))).all()
            found[table.name] = {tuple(r) for r in rows}
    return found


async def rows_referencing(services: Services, user_id: int, gone: Keys) -> dict[str, int]:
    """Rows, in any table, that still point at the user or at one of their erased rows."""
    left: dict[str, int] = {}
    async with services.sessions.begin() as s:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                targets: set[Any] = set()
                if column.name == "user_id" or (table.name == "users" and column.name == "id"):
                    targets.add(user_id)
                for fk in column.foreign_keys:
                    parent = fk.column
                    if parent.table.name == "users":
                        targets.add(user_id)
                    targets |= {row[parent.name] for row in gone.get(parent.table.name, [])}
                if not targets:
                    continue
                stmt = select(table).where(column.in_(targets))
                count = len((await s.execute(stmt)).all())
                if count:
                    left[f"{table.name}.{column.name}"] = count
    return left


# --------------------------------------------------------------------------- ownership


def test_every_table_is_tied_to_a_user_or_declared_shared() -> None:
    owned = set(owner_filters(Base.metadata, ANN))
    every = {t.name for t in Base.metadata.sorted_tables}
    assert every - owned == SHARED_TABLES, (
        "a table that cannot be tied to a user is neither exported nor erased: give it a "
        "user_id (or a foreign key to a user's row), or add it to SHARED_TABLES on purpose"
    )
    assert {"users", "dialogs", "safety_screens", "pushes", "morning_pain"} <= owned


# --------------------------------------------------------------------------- delete


async def test_delete_erases_every_row_about_the_user_in_every_table(
    services: Services,
) -> None:
    seeded = await seed(services, ANN, BO)
    assert set(seeded[ANN]) == set(owner_filters(Base.metadata, ANN))
    before = await stored_keys(services)

    erasure = await services.privacy.delete(ANN)

    assert erasure.removed == {name: len(rows) for name, rows in seeded[ANN].items()}
    assert erasure.routines == tuple(r["id"] for r in seeded[ANN]["routines"])
    assert await rows_referencing(services, ANN, seeded[ANN]) == {}
    after = await stored_keys(services)
    for table in Base.metadata.sorted_tables:
        ann = {_key(table, r) for r in seeded[ANN].get(table.name, [])}
        bo = {_key(table, r) for r in seeded[BO].get(table.name, [])}
        assert not ann & after[table.name], table.name
        assert bo <= after[table.name], f"{table.name}: someone else's rows were erased"
        assert after[table.name] == before[table.name] - ann


async def test_delete_of_an_unknown_user_removes_nothing(services: Services) -> None:
    await seed(services, BO)
    before = await stored_keys(services)
    assert (await services.privacy.delete(ANN)).removed == {}
    assert await stored_keys(services) == before


async def test_a_deleted_user_comes_back_as_new(services: Services) -> None:
    await seed(services, ANN)
    await services.privacy.delete(ANN)
    contact = await services.onboarding.begin(ANN, ANN, "Ann")
    assert contact.is_new and contact.user is not None
    assert contact.user.consent_at is None and contact.user.onboarded_at is None


# --------------------------------------------------------------------------- export


def _decode(column: Column[Any], value: Any) -> Any:
    """A value of the export read back into the column's Python type."""
    if value is None:
        return None
    kind = _python_type(column)
    if kind in (datetime, date, time):
        return kind.fromisoformat(value)
    return value


async def test_export_holds_every_table_and_only_this_user(services: Services) -> None:
    seeded = await seed(services, ANN, BO)
    export = await services.privacy.export(ANN)
    assert export is not None
    assert export.filename.endswith(".json")
    document = json.loads(export.to_bytes())
    assert set(document) == {"schema", "version", "exported_at", "user_id", "tables"}
    assert document["schema"] == EXPORT_SCHEMA and document["version"] == EXPORT_VERSION
    assert document["user_id"] == ANN
    assert datetime.fromisoformat(document["exported_at"]) == services.clock.now()
    assert set(document["tables"]) == set(owner_filters(Base.metadata, ANN))
    for name, rows in document["tables"].items():
        table = Base.metadata.tables[name]
        assert len(rows) == len(seeded[ANN][name]), name
        for row in rows:
            assert set(row) == {c.name for c in table.columns}
    assert document["tables"]["users"][0]["id"] == ANN
    assert all(r["user_id"] == ANN for r in document["tables"]["morning_pain"])


async def test_export_round_trips_through_an_empty_database(services: Services) -> None:
    await seed(services, ANN, BO)
    first = await services.privacy.export(ANN)
    assert first is not None
    document = json.loads(first.to_bytes())

    await services.privacy.delete(ANN)
    async with services.sessions.begin() as s:
        for table in Base.metadata.sorted_tables:
            for row in document["tables"].get(table.name, []):
                values = {c.name: _decode(c, row[c.name]) for c in table.columns}
                await s.execute(insert(table).values(values))

    again = await services.privacy.export(ANN)
    assert again is not None
    assert json.loads(again.to_bytes()) == document


async def test_export_of_an_unknown_user_is_none(services: Services) -> None:
    assert await services.privacy.export(ANN) is None

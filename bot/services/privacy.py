"""Export and erase everything stored about a user, found generically from the table metadata.

A table belongs to a user through the `users` row itself, a column that references
`users.id` (usually `user_id`), or a foreign key into a table that belongs to them (an
exercise record under a routine, say). Tables added later are covered without code here;
a table with no such path is shared data and is neither exported nor deleted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Table, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.tables import Base, PlayedRoutine, RoutineTimer, User
from bot.services.clock import Clock

EXPORT_SCHEMA = "backcoach.export"
# Bump when the document's shape changes (not when a table or column is added: those are
# listed in the document itself).
EXPORT_VERSION = 1
USERS = User.__tablename__


def _owner_filter(
    table: Table, user_id: int, filters: Mapping[str, ColumnElement[bool]]
) -> ColumnElement[bool] | None:
    """The WHERE clause selecting the user's rows of `table`, given its parents' clauses."""
    if table.name == USERS:
        return table.c.id == user_id
    clauses: list[ColumnElement[bool]] = []
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent.name == USERS:
            clauses.append(fk.parent == user_id)
        elif parent is not table and parent.name in filters:
            owned = select(fk.column).where(filters[parent.name]).scalar_subquery()
            clauses.append(fk.parent.in_(owned))
    if "user_id" in table.c and not any(fk.parent.name == "user_id" for fk in table.foreign_keys):
        # A user_id without a declared foreign key still names its owner.
        clauses.append(table.c.user_id == user_id)
    return or_(*clauses) if clauses else None


def owner_filters(metadata: MetaData, user_id: int) -> dict[str, ColumnElement[bool]]:
    """Every table holding rows about the user → the clause that selects those rows."""
    filters: dict[str, ColumnElement[bool]] = {}
    # sorted_tables puts every parent before the tables that reference it.
    for table in metadata.sorted_tables:
        clause = _owner_filter(table, user_id, filters)
        if clause is not None:
            filters[table.name] = clause
    return filters


def jsonable(value: Any) -> Any:
    """A column value as JSON: times in ISO 8601, bytes in base64, JSON columns unchanged."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass(frozen=True, slots=True)
class Export:
    """The export document and a file name for it."""

    filename: str
    document: dict[str, Any]

    def to_bytes(self) -> bytes:
        """UTF-8 JSON, indented so a person can read it."""
        return json.dumps(self.document, ensure_ascii=False, indent=2).encode()


@dataclass(frozen=True, slots=True)
class Erasure:
    """What /delete removed, and what the chat layer must stop doing in memory."""

    removed: dict[str, int]  # table → rows removed; empty when nothing was stored
    routines: tuple[int, ...] = ()  # whose cards may still be counting down on screen
    timers: tuple[int, ...] = ()  # pending hold and rest timers, each with a scheduled job


class PrivacyService:
    """/export and /delete."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        metadata: MetaData = Base.metadata,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.metadata = metadata

    def _tables(self, user_id: int) -> Iterator[tuple[Table, ColumnElement[bool]]]:
        filters = owner_filters(self.metadata, user_id)
        for table in self.metadata.sorted_tables:
            if table.name in filters:
                yield table, filters[table.name]

    async def export(self, user_id: int) -> Export | None:
        """Everything stored about the user as one JSON document; None if nothing is stored."""
        now = self.clock.now()
        tables: dict[str, list[dict[str, Any]]] = {}
        async with self.sessions.begin() as s:
            if await s.get(User, user_id) is None:
                return None
            for table, where in self._tables(user_id):
                stmt = select(table).where(where).order_by(*table.primary_key.columns)
                rows = (await s.execute(stmt)).mappings().all()
                tables[table.name] = [
                    {key: jsonable(value) for key, value in row.items()} for row in rows
                ]
        document = {
            "schema": EXPORT_SCHEMA,
            "version": EXPORT_VERSION,
            "exported_at": now.isoformat(),
            "user_id": user_id,
            "tables": tables,
        }
        return Export(f"backcoach-data-{now:%Y-%m-%d}.json", document)

    async def delete(self, user_id: int) -> Erasure:
        """Erase every row about the user, in every table."""
        removed: dict[str, int] = {}
        async with self.sessions.begin() as s:
            # Lock the user first: the push tick skips a locked user instead of claiming
            # a push for someone who is being erased.
            found = await s.scalar(select(User.id).where(User.id == user_id).with_for_update())
            if found is None:
                return Erasure({})
            routines = await s.scalars(
                select(PlayedRoutine.id).where(PlayedRoutine.user_id == user_id)
            )
            timers = await s.scalars(
                select(RoutineTimer.id).where(
                    RoutineTimer.user_id == user_id, RoutineTimer.status == "pending"
                )
            )
            erasure = Erasure(removed, tuple(routines), tuple(timers))
            # Children before parents, so it works whatever the foreign keys' ON DELETE says.
            for table, where in reversed(list(self._tables(user_id))):
                result = await s.execute(
                    delete(table).where(where).execution_options(synchronize_session=False)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    removed[table.name] = result.rowcount  # type: ignore[attr-defined]
        return erasure

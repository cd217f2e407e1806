"""Repositories: queries over one session; they flush but never commit (services own that)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from bot.db.tables import HandledUpdate, PlayedRoutine, User
from bot.domain.player import RECORDED_ENDS, End


def recorded_routine() -> ColumnElement[bool]:
    """Routines whose exercise records say something about the back.

    Finished, stopped or ended by the safety check, recorded with "done", or started and then
    left until it expired: a sharp pain in a routine the user walked away from still counts.
    """
    return or_(
        PlayedRoutine.status.in_(RECORDED_ENDS),
        and_(PlayedRoutine.status == End.EXPIRED.value, PlayedRoutine.started_at.is_not(None)),
    )


def dialect_insert(session: AsyncSession) -> Any:
    """The session's backend INSERT construct, the one that knows ON CONFLICT."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def insert_ignoring_conflicts(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for either backend (add `.returning(...)` as needed)."""
    insert = dialect_insert(session)
    return insert(model).values(list(rows)).on_conflict_do_nothing(index_elements=list(conflict))


async def first_delivery(
    session: AsyncSession, update_id: int, user_id: int, now: datetime
) -> bool:
    """Record that this update is being applied; False if an earlier delivery already was.

    Call it inside the transaction that stores the update's effect: they commit together.
    """
    stmt = insert_ignoring_conflicts(
        session,
        HandledUpdate,
        # Its reply is owed until `record_handled` (after the reply) says otherwise.
        [{"update_id": update_id, "user_id": user_id, "at": now, "replied": False}],
        ["update_id"],
    ).returning(HandledUpdate.update_id)
    return (await session.execute(stmt)).first() is not None


async def record_handled(
    session: AsyncSession, update_id: int, user_id: int, now: datetime
) -> None:
    """Record that this update was handled and answered (nothing if the user is not stored)."""
    insert = dialect_insert(session)
    # The column types, so the time is stored as every other `at` is.
    columns = HandledUpdate.__table__.c
    known = select(
        literal(update_id, columns.update_id.type),
        User.id,
        literal(now, columns.at.type),
        literal(True, columns.replied.type),
    ).where(User.id == user_id)
    await session.execute(
        insert(HandledUpdate)
        .from_select(["update_id", "user_id", "at", "replied"], known)
        .on_conflict_do_update(index_elements=["update_id"], set_={"replied": True})
    )


async def forget_deliveries_before(session: AsyncSession, cutoff: datetime) -> int:
    """Drop records of updates older than `cutoff` (Telegram stops resending after a day)."""
    result = await session.execute(delete(HandledUpdate).where(HandledUpdate.at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


class UserRepo:
    """Reads and writes of the users table."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, user_id: int, *, for_update: bool = False) -> User | None:
        """The user, optionally locked for the rest of the transaction (PostgreSQL)."""
        stmt = select(User).where(User.id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.s.execute(stmt)).scalar_one_or_none()

    async def add(self, user_id: int, chat_id: int, first_name: str, now: datetime) -> User:
        """A new user row with nothing known about them yet."""
        user = User(id=user_id, chat_id=chat_id, first_name=first_name[:64], created_at=now)
        self.s.add(user)
        await self.s.flush()
        return user

    async def set_active(self, user_id: int, active: bool) -> bool:
        """Mark the user reachable or not; False if there is no such user."""
        result = await self.s.execute(update(User).where(User.id == user_id).values(active=active))
        return bool(result.rowcount)  # type: ignore[attr-defined]

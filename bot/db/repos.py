"""Repositories: queries over one session; they flush but never commit (services own that)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.tables import User


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

"""Use cases about who the user is: first contact, reachability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import UserRepo, forget_deliveries_before
from bot.db.tables import User
from bot.services.clock import Clock

# Telegram gives up resending an update within a day; keep the record a little longer.
DELIVERY_MEMORY = timedelta(days=2)


@dataclass(frozen=True)
class Contact:
    """The user as seen at the start of an update."""

    user: User
    is_new: bool


class UserService:
    """First contact and reachability of users."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def get(self, user_id: int) -> User | None:
        """The stored user, if any."""
        async with self.sessions.begin() as s:
            return await UserRepo(s).get(user_id)

    async def contact(self, user_id: int, chat_id: int, first_name: str) -> Contact:
        """The user's row, created on first contact (two racing updates create it once)."""
        try:
            async with self.sessions.begin() as s:
                repo = UserRepo(s)
                user = await repo.get(user_id)
                if user is not None:
                    if user.chat_id != chat_id or not user.active:
                        user.chat_id, user.active = chat_id, True
                    return Contact(user, is_new=False)
                return Contact(await repo.add(user_id, chat_id, first_name, self.clock.now()), True)
        except IntegrityError:
            # Another worker inserted the same user between our read and our insert.
            async with self.sessions.begin() as s:
                user = await UserRepo(s).get(user_id)
                assert user is not None
                return Contact(user, is_new=False)

    async def set_active(self, user_id: int, active: bool) -> bool:
        """Record that the user blocked (False) or unblocked (True) the bot."""
        async with self.sessions.begin() as s:
            return await UserRepo(s).set_active(user_id, active)

    async def forget_old_deliveries(self) -> int:
        """Housekeeping: drop records of updates too old to be delivered again."""
        async with self.sessions.begin() as s:
            return await forget_deliveries_before(s, self.clock.now() - DELIVERY_MEMORY)

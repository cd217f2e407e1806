"""Use cases about who the user is: reachability, and forgetting old deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import UserRepo, forget_deliveries_before
from bot.db.tables import User
from bot.services.clock import Clock

# Telegram gives up resending an update within a day; keep the record a little longer.
DELIVERY_MEMORY = timedelta(days=2)


class UserService:
    """Reachability of users and the records of handled updates."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def get(self, user_id: int) -> User | None:
        """The stored user, if any."""
        async with self.sessions.begin() as s:
            return await UserRepo(s).get(user_id)

    async def set_active(self, user_id: int, active: bool) -> bool:
        """Record that the user blocked (False) or unblocked (True) the bot."""
        async with self.sessions.begin() as s:
            return await UserRepo(s).set_active(user_id, active)

    async def forget_old_deliveries(self) -> int:
        """Housekeeping: drop records of updates too old to be delivered again."""
        async with self.sessions.begin() as s:
            return await forget_deliveries_before(s, self.clock.now() - DELIVERY_MEMORY)

"""Use cases about who the user is: reachability, and forgetting old records."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import UserRepo, forget_deliveries_before, record_handled
from bot.db.tables import Dialog, HandledUpdate, PlayedRoutine, RoutineTimer, User
from bot.domain.delivery import Delivery
from bot.domain.listening import Place
from bot.domain.onboarding import Step
from bot.domain.player import Phase
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

    async def place(self, user_id: int) -> Place:
        """Where the user stands: the open dialog and routine, each with when it last moved."""
        async with self.sessions.begin() as s:
            dialog = (
                await s.execute(
                    select(Dialog.step, Dialog.updated_at).where(Dialog.user_id == user_id)
                )
            ).first()
            routine = (
                await s.execute(
                    select(PlayedRoutine.phase, PlayedRoutine.updated_at).where(
                        PlayedRoutine.user_id == user_id, PlayedRoutine.status == "open"
                    )
                )
            ).first()
        return Place(
            dialog=Step(dialog.step) if dialog else None,
            dialog_at=dialog.updated_at if dialog else None,
            phase=Phase(routine.phase) if routine else None,
            routine_at=routine.updated_at if routine else None,
        )

    async def set_active(self, user_id: int, active: bool) -> bool:
        """Record that the user blocked (False) or unblocked (True) the bot."""
        async with self.sessions.begin() as s:
            return await UserRepo(s).set_active(user_id, active)

    async def forget_old_deliveries(self, keep: timedelta = DELIVERY_MEMORY) -> int:
        """Housekeeping: drop records of updates too old to be delivered again."""
        async with self.sessions.begin() as s:
            return await forget_deliveries_before(s, self.clock.now() - max(keep, DELIVERY_MEMORY))

    async def forget_old_timers(self, keep: timedelta) -> int:
        """Housekeeping: drop hold and rest timers that ended longer than `keep` ago.

        A pending timer, or one a routine still points at, is never dropped: the player reads
        both. Nothing else (plan, progress, export, the once-a-day push key) reads timers.
        """
        cutoff = self.clock.now() - keep
        current = select(PlayedRoutine.timer_id).where(PlayedRoutine.timer_id.is_not(None))
        async with self.sessions.begin() as s:
            result = await s.execute(
                delete(RoutineTimer)
                .where(
                    RoutineTimer.status != "pending",
                    RoutineTimer.due_at < cutoff,
                    RoutineTimer.id.not_in(current),
                )
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    async def delivery(self, update_id: int, user_id: int) -> Delivery:
        """Whether this person's update was handled before, and whether its reply went out.

        The person is part of the key: ids from another bot token or a test fake on the same
        database must not silence someone else's message.
        """
        async with self.sessions.begin() as s:
            replied = await s.scalar(
                select(HandledUpdate.replied).where(
                    HandledUpdate.update_id == update_id, HandledUpdate.user_id == user_id
                )
            )
        if replied is None:
            return Delivery.NEW
        return Delivery.DONE if replied else Delivery.OWED

    async def handled(self, update_id: int, user_id: int) -> None:
        """Record that this update was handled and its reply sent: a repeat is dropped."""
        async with self.sessions.begin() as s:
            await record_handled(s, update_id, user_id, self.clock.now())

    async def last_handled_update(self) -> int:
        """The highest update id on record (0 if none): a new fake Bot API starts above it."""
        async with self.sessions.begin() as s:
            return int(await s.scalar(select(func.max(HandledUpdate.update_id))) or 0)

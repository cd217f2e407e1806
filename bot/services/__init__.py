"""Use cases: the only layer that opens transactions. `Services` is what handlers receive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.engine import make_engine, make_sessions
from bot.db.tables import User
from bot.services.clock import Clock, SystemClock
from bot.services.onboarding import OnboardingService
from bot.services.pain import PainService
from bot.services.plans import PlanService
from bot.services.player import PlayerService
from bot.services.privacy import PrivacyService
from bot.services.progress import ProgressService
from bot.services.pushes import PushService, plan_previewer, refresh_next_due
from bot.services.users import UserService
from bot.services.weekly import WeeklyService, enrol_user
from content.library import load_library


@dataclass
class Services:
    """Everything a handler or job may call, built once per process."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    users: UserService
    onboarding: OnboardingService
    pushes: PushService
    privacy: PrivacyService
    progress: ProgressService
    weekly: WeeklyService
    plans: PlanService
    player: PlayerService
    pain: PainService

    async def db_ok(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()


async def profile_changed(s: AsyncSession, user: User, now: datetime) -> None:
    """Onboarding or /settings changed the profile: the next push moves, summaries start."""
    await refresh_next_due(s, user, now)
    await enrol_user(s, user, now)


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Wire the services over one engine."""
    engine = make_engine(settings.database_url)
    sessions = make_sessions(engine)
    clock = clock or SystemClock()
    library = load_library()
    plans = PlanService(sessions, clock, library)
    player = PlayerService(
        sessions,
        clock,
        default_timezone=settings.default_timezone,
        library=library,
        plan_inputs=plans.inputs,
        plan_peek=plans.peek,
    )
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        users=UserService(sessions, clock),
        onboarding=OnboardingService(sessions, clock, reschedule=profile_changed),
        pushes=PushService(sessions, clock, settings, preview=plan_previewer(player)),
        privacy=PrivacyService(sessions, clock),
        progress=ProgressService(sessions, clock),
        weekly=WeeklyService(sessions, clock),
        plans=plans,
        player=player,
        pain=PainService(sessions, clock, settings.default_timezone),
    )

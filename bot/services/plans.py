"""The adaptive plan: folds played routines, pain reports and answers into each user's plan.

The plan is brought up to date lazily, whenever it is needed (building a routine, /plan):
every routine, "how did that feel?" answer and pain report not yet applied is read from the
database and passed to the pure rules in `bot.domain.adaptation`, which skip whatever they
have already applied. Pain comes from the one stream (`pain_reports`): morning answers from
any place, and scores typed about now or an exercise; a routine's own end and exercise pains
come with the routine. The new plan and its changes are written in the caller's transaction,
so a crash stores neither.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import recorded_routine
from bot.db.tables import (
    ExerciseRecord,
    PainReport,
    PlanChange,
    PlanOffer,
    PlayedRoutine,
    StoredPlan,
    User,
)
from bot.domain import adaptation as ad
from bot.domain.adaptation_model import EventKey
from bot.domain.feel import Feel
from bot.domain.pain import ReportKind, Source
from bot.domain.safety import PainKind
from bot.services.clock import Clock
from bot.services.player_inputs import PlanInputs
from content.library import Library

HISTORY_SHOWN = 5


@dataclass(frozen=True)
class PlanView:
    """What /plan shows: the exercises met so far with their doses, and recent changes."""

    plan: ad.Plan
    changes: list[ad.Change]
    gentle: bool
    today: date
    offers: list[tuple[int, ad.Offer]] = field(default_factory=list)
    see_professional: bool = False


class OfferReply(StrEnum):
    """How answering an offer went."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    STALE = "stale"  # already answered, or no longer possible


@dataclass(frozen=True)
class OfferAnswer:
    """The outcome of an offer button, with the change it made if any."""

    reply: OfferReply
    change: ad.Change | None = None


class PlanService:
    """Keeps each user's plan current and feeds it to the routine builder."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock, library: Library
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.library = library

    async def inputs(self, s: AsyncSession, user_id: int, today: date) -> PlanInputs:
        """The player's PlanSource: today's doses, exclusions and swaps from the fresh plan."""
        user = await s.get(User, user_id)
        assert user is not None
        fresh = await self.refresh(s, user, today)
        return self._inputs(fresh, today)

    async def peek(self, s: AsyncSession, user_id: int, today: date) -> PlanInputs:
        """What `inputs` would give today, stored nowhere (for the morning message's preview).

        Nothing is written, so the changes stay for the routine's own intro card to tell.
        """
        user = await s.get(User, user_id)
        assert user is not None
        stored = await s.get(StoredPlan, user.id)
        fresh = await self._fold(s, user, today, stored)
        return self._inputs(fresh.model_copy(update={"changes": ()}), today)

    def _inputs(self, fresh: ad.Adaptation, today: date) -> PlanInputs:
        given = ad.routine_inputs(fresh.plan, self.library, today)
        return PlanInputs(
            doses=dict(given.doses),
            excluded=frozenset(given.excluded),
            swaps=dict(given.swaps),
            gentle_only=given.gentle_only,
            changes=fresh.changes,
        )

    async def view(self, user_id: int) -> PlanView | None:
        """/plan: the plan as it stands today and its last changes (None before onboarding)."""
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None or user.onboarded_at is None:
                return None
            today = self._today(user)
            fresh = await self.refresh(s, user, today)
            rows = await s.scalars(
                select(PlanChange)
                .where(PlanChange.user_id == user_id)
                .order_by(PlanChange.id.desc())
                .limit(HISTORY_SHOWN)
            )
            changes = [ad.Change.model_validate(row.detail) for row in rows]
            offers = [
                (row.id, ad.Offer.model_validate(row.detail))
                for row in await self._open(s, user_id)
            ]
            return PlanView(
                plan=fresh.plan,
                changes=changes,
                gentle=fresh.plan.gentle,
                offers=offers,
                see_professional=fresh.see_professional,
                today=today,
            )

    async def answer_offer(self, user_id: int, offer_id: int, choice: str) -> OfferAnswer:
        """A swap or level offer was answered ("no", "yes", or an alternative's index)."""
        async with self.sessions.begin() as s:
            offer = await s.get(PlanOffer, offer_id, with_for_update=True)
            user = await s.get(User, user_id)
            if offer is None or user is None or offer.user_id != user_id or offer.answered_at:
                return OfferAnswer(OfferReply.STALE)
            now, today = self.clock.now(), self._today(user)
            offer.answered_at, offer.answer = now, choice
            if choice == "no":
                return OfferAnswer(OfferReply.DECLINED)
            plan = (await self.refresh(s, user, today)).plan
            detail = ad.Offer.model_validate(offer.detail)
            try:
                if detail.kind is ad.OfferKind.LEVEL_UP and choice == "yes":
                    result = ad.accept_level_up(plan, today)
                elif detail.kind is ad.OfferKind.SWAP and choice.isdigit():
                    alternative = detail.alternatives[int(choice)]
                    assert detail.exercise_id is not None
                    result = ad.accept_swap(
                        plan, self.library, detail.exercise_id, alternative, today
                    )
                else:
                    return OfferAnswer(OfferReply.STALE)
            except (ValueError, IndexError):
                offer.answer = "impossible"
                return OfferAnswer(OfferReply.STALE)
            await self._store(s, user, result.plan, list(result.changes))
            return OfferAnswer(OfferReply.ACCEPTED, result.changes[0] if result.changes else None)

    async def _open(self, s: AsyncSession, user_id: int) -> list[PlanOffer]:
        rows = await s.scalars(
            select(PlanOffer)
            .where(PlanOffer.user_id == user_id, PlanOffer.answered_at.is_(None))
            .order_by(PlanOffer.id)
        )
        return list(rows)

    async def refresh(self, s: AsyncSession, user: User, today: date) -> ad.Adaptation:
        """Fold every new event into the user's plan; store it, its changes and offers.

        The result carries every change of this refresh and today's flags.
        """
        stored = await s.get(StoredPlan, user.id, with_for_update=True)
        fresh = await self._fold(s, user, today, stored)
        await self._store(s, user, fresh.plan, list(fresh.changes), stored)
        await self._offer(s, user.id, list(fresh.offers))
        return fresh

    async def _fold(
        self, s: AsyncSession, user: User, today: date, stored: StoredPlan | None
    ) -> ad.Adaptation:
        """The stored plan with every new event applied, with all changes and offers."""
        plan = ad.Plan.model_validate(stored.data) if stored else ad.Plan.start(user.level or 1)
        if user.level and user.level != plan.level:
            # A level chosen in /settings wins over the plan's own.
            plan = plan.model_copy(update={"level": user.level})
        baseline = user.baseline_pain or 0
        events = await self._events(s, user, plan.applied_through)
        steps = [ad.adapt(plan, self.library, events, baseline, today)]
        if steps[-1].plan.blocked_for_rescreen and user.safety == "clear":
            # The player sends the red-flag screen at once; a clear answer since lifts the block.
            steps.append(ad.clear_rescreen(steps[-1].plan, today))
        changes = tuple(change for step in steps for change in step.changes)
        offers = tuple(offer for step in steps for offer in step.offers)
        return steps[-1].model_copy(update={"changes": changes, "offers": offers})

    async def _store(
        self,
        s: AsyncSession,
        user: User,
        plan: ad.Plan,
        changes: list[ad.Change],
        stored: StoredPlan | None = None,
    ) -> None:
        """Write the plan and its changes; the level follows the plan."""
        now = self.clock.now()
        stored = stored or await s.get(StoredPlan, user.id)
        data = plan.model_dump(mode="json")
        if stored is None:
            s.add(StoredPlan(user_id=user.id, data=data, updated_at=now))
        elif stored.data != data:
            stored.data, stored.updated_at = data, now
        s.add_all(
            PlanChange(
                user_id=user.id,
                at=now,
                local_date=change.on,
                kind=change.kind.value,
                reason=change.reason.value,
                exercise_id=change.exercise_id,
                detail=change.model_dump(mode="json"),
            )
            for change in changes
        )
        if plan.level != user.level:
            user.level = plan.level
        await s.flush()

    async def _offer(self, s: AsyncSession, user_id: int, offers: list[ad.Offer]) -> None:
        """Keep new offers, unless the same one is already waiting for an answer."""
        if not offers:
            return
        waiting = {
            (o.detail.get("kind"), o.detail.get("exercise_id"))
            for o in await self._open(s, user_id)
        }
        for offer in offers:
            if (offer.kind.value, offer.exercise_id) not in waiting:
                s.add(
                    PlanOffer(
                        user_id=user_id,
                        created_at=self.clock.now(),
                        detail=offer.model_dump(mode="json"),
                    )
                )
                waiting.add((offer.kind.value, offer.exercise_id))
        await s.flush()

    async def _events(self, s: AsyncSession, user: User, after: EventKey | None) -> list[ad.Event]:
        """Finished routines, their "how did that feel?" answers and pain reports, oldest
        first (the rules skip applied ones)."""
        since: datetime | None = after[0] if after is not None else None
        routines_q = select(PlayedRoutine).where(
            PlayedRoutine.user_id == user.id,
            recorded_routine(),
            PlayedRoutine.ended_at.is_not(None),
        )
        if since is not None:
            routines_q = routines_q.where(PlayedRoutine.ended_at >= since)
        routines = list(await s.scalars(routines_q))
        records: dict[int, list[ExerciseRecord]] = defaultdict(list)
        if routines:
            rows = await s.scalars(
                select(ExerciseRecord).where(
                    ExerciseRecord.routine_id.in_([r.id for r in routines]),
                    ExerciseRecord.outcome.is_not(None),
                )
            )
            for row in rows:
                records[row.routine_id].append(row)
        events: list[ad.Event] = await self._pain_events(s, user, since)
        for routine in routines:
            assert routine.ended_at is not None
            items = tuple(
                ad.ItemRecord(
                    exercise_id=r.exercise_id,
                    outcome=ad.Outcome(r.outcome),
                    pain_kind=PainKind(r.pain_kind) if r.pain_kind else None,
                    pain=r.pain,
                )
                for r in sorted(records[routine.id], key=lambda r: r.idx)
                # A hurt told after the routine ended is its own event (see _late_hurts).
                if r.outcome is not None and (r.pain_at is None or r.pain_at <= routine.ended_at)
            )
            events.append(
                ad.RoutineRecord(
                    at=routine.ended_at,
                    local_date=routine.local_date,
                    items=items,
                    end_pain=routine.end_pain,
                )
            )
        events += await self._late_hurts(s, user, since)
        events += await self._feels(s, user, since)
        return sorted(events, key=lambda e: e.at)

    async def _pain_events(
        self, s: AsyncSession, user: User, since: datetime | None
    ) -> list[ad.Event]:
        """The stream's reports the rules read on their own: every morning answer, however it
        came, and a score typed about now or an exercise (the routine's own questions come
        with the routine)."""
        stmt = select(PainReport).where(
            PainReport.user_id == user.id,
            or_(
                PainReport.kind.in_([ReportKind.MORNING.value, ReportKind.NOW.value]),
                and_(
                    PainReport.kind.in_([ReportKind.DURING.value, ReportKind.END.value]),
                    PainReport.source == Source.TYPED.value,
                ),
            ),
        )
        if since is not None:
            stmt = stmt.where(PainReport.at >= since)
        events: list[ad.Event] = []
        for row in await s.scalars(stmt.order_by(PainReport.at, PainReport.id)):
            if row.kind == ReportKind.MORNING.value:
                events.append(
                    ad.MorningReport(at=row.at, local_date=row.local_date, pain=row.value)
                )
            else:
                events.append(
                    ad.PainNote(
                        at=row.at,
                        local_date=row.local_date,
                        kind=ReportKind(row.kind),
                        pain=row.value,
                    )
                )
        return events

    async def _feels(self, s: AsyncSession, user: User, since: datetime | None) -> list[ad.Event]:
        """The answers to "How did that feel?", each about its routine's day."""
        stmt = select(PlayedRoutine.local_date, PlayedRoutine.feel, PlayedRoutine.feel_at).where(
            PlayedRoutine.user_id == user.id,
            PlayedRoutine.feel.is_not(None),
            PlayedRoutine.feel_at.is_not(None),
        )
        if since is not None:
            stmt = stmt.where(PlayedRoutine.feel_at >= since)
        return [
            ad.FeelReport(at=at, local_date=day, feel=Feel(feel))
            for day, feel, at in (await s.execute(stmt)).all()
            if feel is not None and at is not None
        ]

    async def _late_hurts(
        self, s: AsyncSession, user: User, since: datetime | None
    ) -> list[ad.Event]:
        """ "It hurt" told after a routine ended: its own small event at the time it was told."""
        stmt = (
            select(ExerciseRecord)
            .join(PlayedRoutine, PlayedRoutine.id == ExerciseRecord.routine_id)
            .where(
                ExerciseRecord.user_id == user.id,
                ExerciseRecord.outcome == ad.Outcome.HURT.value,
                PlayedRoutine.ended_at.is_not(None),
                ExerciseRecord.pain_at > PlayedRoutine.ended_at,
            )
        )
        if since is not None:
            stmt = stmt.where(ExerciseRecord.pain_at >= since)
        events: list[ad.Event] = []
        for row in await s.scalars(stmt):
            assert row.pain_at is not None
            item = ad.ItemRecord(
                exercise_id=row.exercise_id,
                outcome=ad.Outcome.HURT,
                pain_kind=PainKind(row.pain_kind) if row.pain_kind else None,
                pain=row.pain,
            )
            events.append(
                ad.RoutineRecord(at=row.pain_at, local_date=row.local_date, items=(item,))
            )
        return events

    def _today(self, user: User) -> date:
        zone = ZoneInfo(user.tz) if user.tz else None
        now = self.clock.now()
        return (now.astimezone(zone) if zone else now).date()

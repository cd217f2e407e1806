"""The routine player's use cases: open today's routine, apply a tap or a word, fire timers.

Every use case is one transaction on the routine row (locked with FOR UPDATE on PostgreSQL;
SQLite's immediate transactions serialise writers), so two taps from two devices give one
result. A timer fires at most once: it is claimed by a conditional UPDATE pending → fired.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.repos import first_delivery
from bot.db.tables import ExerciseRecord, PlayedRoutine, RoutineTimer, User
from bot.domain import player as pl
from bot.domain.adaptation import Change
from bot.domain.feel import Feel
from bot.domain.pain import ReportKind, Source, builder_pain, day_load
from bot.domain.player_text import read
from bot.domain.safety import PainKind, needs_rescreen
from bot.domain.understanding import Understanding
from bot.services import pain as pain_stream
from bot.services.clock import Clock
from bot.services.day_over import routine_ended
from bot.services.morning_check import had_sharp_pain, plan_check
from bot.services.player_inputs import PlanSource, starting_doses
from content.library import Library, load_library
from content.model import Done, Dose, Exercise, Routine, Segment
from content.routines import RoutineRequest, build_routine, segments

MINUTES = 15
SHORT_MINUTES = 10
HISTORY_DAYS = 2
OPEN = "open"
# A step whose message is still missing after this long was lost (the sender crashed),
# not merely in flight: the chat layer sends it again.
LOST_AFTER = timedelta(seconds=10)


class Reply(StrEnum):
    """How a use case went, for the chat layer to word."""

    OK = "ok"
    STALE = "stale"  # an old card, a second tap or a word that fits no step: nothing changed
    ENDED = "ended"  # that routine is over
    NONE = "none"  # no routine is open
    BLOCKED = "blocked"  # not set up, or the safety screen is not clear
    ALREADY = "already"  # today's routine was already played
    HINT = "hint"  # a typed word that was not understood here
    NOT_DUE = "not_due"  # a timer woke before its time


class Blocked(StrEnum):
    """Why no routine can be given."""

    SETUP = "setup"
    SAFETY_PENDING = "pending"
    DOCTOR = "doctor"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class PlayItem:
    """One exercise of the routine with its dose and timed parts."""

    exercise: Exercise
    dose: Dose
    est_seconds: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class TimerInfo:
    """A pending hold or rest timer."""

    timer_id: int
    routine_id: int
    chat_id: int
    due_at: datetime
    run_ms: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A routine as it stands after a use case: everything the renderer needs."""

    routine_id: int
    user_id: int
    chat_id: int
    first_name: str
    local_date: date
    status: str
    state: pl.State
    items: tuple[PlayItem, ...]
    minutes: int
    short: bool
    gentle: bool
    message_id: int | None
    version: int
    timer: TimerInfo | None
    lost: bool = False  # the current step's message never reached the chat
    changes: tuple[Change, ...] = ()  # what the plan changed for this routine, and why

    @property
    def item(self) -> PlayItem | None:
        """The current exercise, if the player is at one."""
        pos = self.state.position
        return self.items[pos] if 0 <= pos < len(self.items) else None

    @property
    def segment(self) -> Segment | None:
        """The current timed part, if any."""
        item = self.item
        seg = self.state.segment
        return item.segments[seg] if item is not None and seg < len(item.segments) else None


@dataclass(frozen=True, slots=True)
class Summary:
    """How a routine went, and when the next one is."""

    first_name: str
    end: pl.End
    done: int
    skipped: int
    hurt: int
    minutes: int
    end_pain: int | None
    next_at: datetime | None  # local time of the next morning push, if one is planned
    rescreen: bool = False  # a sharp pain in it: the red-flag questions come before the next


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of a use case."""

    reply: Reply
    snapshot: Snapshot | None = None
    step: pl.Step | None = None
    action: pl.Action | None = None
    previous_message_id: int | None = None  # its buttons are no longer live
    cancelled_timer: int | None = None
    summary: Summary | None = None
    blocked: Blocked | None = None
    resumed: bool = False
    late: timedelta | None = None
    due: TimerInfo | None = None  # a timer that woke early, to schedule again


def _dose_json(dose: Dose) -> dict[str, Any]:
    return dose.model_dump()


class FeelAnswer(StrEnum):
    """How answering "How did that feel?" went."""

    RECORDED = "recorded"
    ALREADY = "already"  # that routine has its answer already: the first one counts
    NOTHING = "nothing"  # no routine of today to say it about


# Routines the person played to an end question: the ones "How did that feel?" is about.
FEEL_ENDS = frozenset({pl.End.DONE, pl.End.STOPPED})


class Afterwards(StrEnum):
    """How a "done" or "it hurt" given outside a routine went."""

    RECORDED = "recorded"
    ALREADY = "already"  # today's routine is on record already
    NOTHING = "nothing"  # no routine to report about (or not set up / not clear)


@dataclass(frozen=True)
class LastRoutine:
    """The user's newest finished routine, for "which exercise hurt?"."""

    routine_id: int
    local_date: date
    exercises: tuple[tuple[int, str], ...]  # (index, exercise id)


class PlayerService:
    """Opens routines, applies user actions and timer ends, and keeps the records."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        default_timezone: str = "UTC",
        library: Library | None = None,
        plan_inputs: PlanSource = starting_doses,
        plan_peek: PlanSource = starting_doses,
        builder: Callable[[Library, RoutineRequest], Routine] = build_routine,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.default_tz = default_timezone
        self.library = library or load_library()
        self.plan_inputs = plan_inputs
        # The same inputs, read without being stored: for the morning message's preview.
        self.plan_peek = plan_peek
        # content.routines.build_routine unless a benchmark needs a fixed routine.
        self.builder = builder

    # ------------------------------------------------------------------ opening

    async def open(self, user_id: int, chat_id: int) -> Result:
        """/routine, "start" or the morning button: today's intro, or where the user stands."""
        try:
            async with self.sessions.begin() as s:
                return await self._open(s, user_id, chat_id)
        except IntegrityError:
            # Another device opened it at the same moment: answer as the row now stands.
            async with self.sessions.begin() as s:
                return await self._open(s, user_id, chat_id)

    async def _open(self, s: AsyncSession, user_id: int, chat_id: int) -> Result:
        now = self.clock.now()
        user = await s.get(User, user_id, with_for_update=True)
        blocked = _blocked(user)
        if blocked is not None or user is None:
            return Result(Reply.BLOCKED, blocked=blocked or Blocked.SETUP)
        today = self._today(user, now)
        routine = await self._open_routine(s, user_id)
        if routine is not None and routine.local_date < today:
            await self._expire(s, routine, now)
            if await had_sharp_pain(s, routine.id):
                user.safety = "pending"
                return Result(Reply.BLOCKED, blocked=Blocked.SAFETY_PENDING)
            routine = None
        if routine is not None:
            previous = routine.message_id
            routine.message_id = None
            routine.chat_id = chat_id
            routine.version += 1
            routine.updated_at = now
            return Result(
                Reply.OK,
                snapshot=await self._snapshot(s, routine, user),
                previous_message_id=previous,
                resumed=True,
            )
        played = await s.scalar(
            select(PlayedRoutine)
            .where(
                PlayedRoutine.user_id == user_id,
                PlayedRoutine.local_date == today,
                PlayedRoutine.status.in_([pl.End.DONE.value, pl.End.STOPPED.value]),
            )
            .order_by(PlayedRoutine.id.desc())
            .limit(1)
        )
        if played is not None:
            return Result(Reply.ALREADY, summary=await self._summary(s, played, user))
        routine = await self._create(s, user, chat_id, today, now)
        return Result(Reply.OK, snapshot=await self._snapshot(s, routine, user))

    async def _create(
        self, s: AsyncSession, user: User, chat_id: int, today: date, now: datetime
    ) -> PlayedRoutine:
        pain = await self._todays_pain(s, user)
        built, changes = await self._build(s, user, today, pain, MINUTES)
        routine = PlayedRoutine(
            user_id=user.id,
            chat_id=chat_id,
            local_date=today,
            status=OPEN,
            phase=pl.Phase.INTRO.value,
            position=0,
            segment=0,
            stopped=False,
            minutes_planned=built.minutes,
            short=False,
            gentle=built.gentle,
            pain_used=pain,
            items=[],
            version=0,
            created_at=now,
            updated_at=now,
            plan_notes=[change.model_dump(mode="json") for change in changes] or None,
        )
        s.add(routine)
        await s.flush()
        await self._store_items(s, routine, built)
        return routine

    async def sketch(self, s: AsyncSession, user: User, today: date, pain: int) -> Routine:
        """The routine `open` would build today at this pain, with nothing stored."""
        built, _ = await self._build(s, user, today, pain, MINUTES, source=self.plan_peek)
        return built

    async def _build(
        self,
        s: AsyncSession,
        user: User,
        today: date,
        pain: int,
        minutes: int,
        *,
        source: PlanSource | None = None,
    ) -> tuple[Routine, tuple[Change, ...]]:
        inputs = await (source or self.plan_inputs)(s, user.id, today)
        # Pain 7+ today, or the plan's gentle days (mornings at 7+): the gentle routine.
        pain = builder_pain(max(0, min(10, pain)), plan_gentle=inputs.gentle_only)
        request = RoutineRequest(
            level=user.level or 1,
            pain=pain,
            minutes=minutes,
            today=today,
            history=tuple(await self._history(s, user.id, today)),
            excluded=inputs.excluded,
            swaps=dict(inputs.swaps),
            doses=dict(inputs.doses),
            seed=today.toordinal(),
        )
        return self.builder(self.library, request), inputs.changes

    async def _store_items(self, s: AsyncSession, routine: PlayedRoutine, built: Routine) -> None:
        routine.items = [
            {
                "exercise_id": item.exercise_id,
                "section": item.section.value,
                "dose": _dose_json(item.dose),
                "est_seconds": item.est_seconds,
            }
            for item in built.items
        ]
        routine.minutes_planned = built.minutes
        routine.gentle = built.gentle
        await s.execute(delete(ExerciseRecord).where(ExerciseRecord.routine_id == routine.id))
        s.add_all(
            ExerciseRecord(
                routine_id=routine.id,
                idx=index,
                user_id=routine.user_id,
                local_date=routine.local_date,
                exercise_id=item.exercise_id,
                dose=_dose_json(item.dose),
            )
            for index, item in enumerate(built.items)
        )
        await s.flush()

    async def _history(self, s: AsyncSession, user_id: int, today: date) -> list[Done]:
        """Exercises done in the last two days, for the builder's rest and variety rules."""
        rows = await s.execute(
            select(ExerciseRecord.exercise_id, ExerciseRecord.local_date).where(
                ExerciseRecord.user_id == user_id,
                ExerciseRecord.local_date >= today - timedelta(days=HISTORY_DAYS),
                ExerciseRecord.outcome == pl.Outcome.DONE.value,
            )
        )
        return [Done(exercise_id=eid, on=day) for eid, day in rows]

    async def _todays_pain(self, s: AsyncSession, user: User) -> int:
        """The newest pain report of any kind, however it came (else the stored baseline).

        A /settings "Pain today" after an old morning answer counts, and so does last night's
        end pain when this morning's question went unanswered: nothing older shadows it.
        """
        latest = await pain_stream.newest(s, user.id)
        found = [latest] if latest is not None else []
        return day_load(found, user.baseline_pain or 0, plan_gentle=False).pain

    # ------------------------------------------------------------------ acting

    async def press(
        self,
        user_id: int,
        routine_id: int,
        position: int,
        screen: str,
        action: pl.Action,
        value: int | PainKind | None,
        *,
        message_id: int | None = None,
    ) -> Result:
        """A button: acts once, only at its exercise and on its kind of message, if open.

        With the pressed message's id, a second tap on the button that ended the routine is
        STALE (nothing to say), not ENDED: that message now holds the summary and its buttons.
        """
        async with self.sessions.begin() as s:
            # Lock order everywhere: the user, then the routine, then its timer.
            user = await s.get(User, user_id, with_for_update=True)
            routine = await s.get(PlayedRoutine, routine_id, with_for_update=True)
            if routine is None or routine.user_id != user_id:
                return Result(Reply.ENDED)
            if _ended_here(routine, message_id):
                return Result(Reply.STALE)
            checked = await self._check_open(s, routine, user)
            if checked is not None:
                return checked
            assert user is not None
            here = pl.screen_of(pl.Phase(routine.phase)) == screen
            if not here or routine.position != position:
                return Result(Reply.STALE, snapshot=await self._snapshot(s, routine, user))
            return await self._act(s, routine, user, action, value)

    async def typed(
        self, user_id: int, heard: Understanding, text: str, *, update_id: int | None = None
    ) -> Result:
        """An understood message while a routine is open; NONE when none is.

        A message this phase does not take gives HINT and writes nothing, so another step may
        take it. With its update id, a message Telegram delivers again after a crash acts
        once: a second "done" must not tick off the next exercise unseen.
        """
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id, with_for_update=True)
            routine = await self._open_routine(s, user_id)
            if routine is None:
                return Result(Reply.NONE)
            checked = await self._check_open(s, routine, user)
            if checked is not None:
                return Result(Reply.NONE) if checked.reply is Reply.ENDED else checked
            assert user is not None
            action, value = read(pl.Phase(routine.phase), heard, text)
            if action is None:
                return Result(Reply.HINT, snapshot=await self._snapshot(s, routine, user))
            now = self.clock.now()
            if update_id is not None and not await first_delivery(s, update_id, user_id, now):
                return Result(Reply.STALE, snapshot=await self._snapshot(s, routine, user))
            if routine.message_id is None:
                # The user never saw the current step (a crash before it was sent): a word
                # must not act on it unseen; the chat layer shows it again instead.
                return Result(Reply.STALE, snapshot=await self._snapshot(s, routine, user))
            return await self._act(s, routine, user, action, value)

    async def halt(
        self, user_id: int, leg: PainKind | None = None, *, update_id: int | None = None
    ) -> Result:
        """Stop the open routine for a safety signal; leg symptoms are recorded at once.

        With leg symptoms the safety status goes to "pending" (the screen must come back
        before any routine), whether or not a routine was open.
        """
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is None:
                return Result(Reply.NONE)
            now = self.clock.now()
            if update_id is not None and not await first_delivery(s, update_id, user_id, now):
                return Result(Reply.STALE)
            if leg is not None and user.consent_at is not None:
                user.safety = "pending"
            routine = await self._open_routine(s, user_id)
            if routine is None or routine.status != OPEN:
                return Result(Reply.NONE)
            if leg is not None and 0 <= routine.position < len(routine.items):
                await self._record(
                    s,
                    routine.id,
                    routine.position,
                    pain_kind=leg.value,
                    pain_at=now,
                    outcome=pl.Outcome.HURT.value,
                )
            previous = routine.message_id
            cancelled = await self._cancel_timer(s, routine, now)
            await self._close(s, routine, pl.End.SAFETY, now)
            return Result(
                Reply.OK,
                snapshot=await self._snapshot(s, routine, user),
                previous_message_id=previous,
                cancelled_timer=cancelled,
            )

    async def _check_open(
        self, s: AsyncSession, routine: PlayedRoutine, user: User | None
    ) -> Result | None:
        """ENDED for a closed or earlier day's routine; BLOCKED (and closed) if not clear."""
        if routine.status != OPEN:
            return Result(Reply.ENDED)
        now = self.clock.now()
        if user is None:
            return Result(Reply.ENDED)
        if routine.local_date < self._today(user, now):
            await self._expire(s, routine, now)
            return Result(Reply.ENDED)
        blocked = _blocked(user)
        if blocked is not None:
            # The safety status changed mid-routine (a new screen): nothing more is played.
            previous = routine.message_id
            await self._close(s, routine, pl.End.SAFETY, now)
            return Result(
                Reply.BLOCKED,
                snapshot=await self._snapshot(s, routine, user),
                blocked=blocked,
                previous_message_id=previous,
            )
        return None

    async def _act(
        self,
        s: AsyncSession,
        routine: PlayedRoutine,
        user: User,
        action: pl.Action,
        value: int | PainKind | None,
    ) -> Result:
        now = self.clock.now()
        state = _state(routine)
        items = self._items(routine)
        item = items[state.position] if state.position < len(items) else None
        parts = item.segments if item is not None else ()
        if action is pl.Action.SHORTER and state.phase is pl.Phase.INTRO and routine.short:
            return Result(Reply.STALE, snapshot=await self._snapshot(s, routine, user))
        left = await self._left_ms(s, routine, now) if state.phase is pl.Phase.RUNNING else None
        step = pl.apply(state, action, parts, len(items), value=value, left_ms=left)
        if step.ignored:
            return Result(Reply.STALE, snapshot=await self._snapshot(s, routine, user))
        previous = routine.message_id
        if step.rebuild_shorter:
            built, _ = await self._build(
                s, user, routine.local_date, routine.pain_used, SHORT_MINUTES
            )
            await self._store_items(s, routine, built)
            routine.short = True
        cancelled = await self._apply_step(s, routine, user, step, action, value, now)
        summary = await self._summary(s, routine, user) if step.end else None
        return Result(
            Reply.OK,
            snapshot=await self._snapshot(s, routine, user),
            step=step,
            action=action,
            previous_message_id=previous,
            cancelled_timer=cancelled,
            summary=summary,
        )

    async def _apply_step(
        self,
        s: AsyncSession,
        routine: PlayedRoutine,
        user: User,
        step: pl.Step,
        action: pl.Action | None,
        value: int | PainKind | None,
        now: datetime,
    ) -> int | None:
        """Write the step: records, state, the next timer; returns a cancelled timer's id."""
        cancelled = await self._cancel_timer(s, routine, now) if step.cancel_timer else None
        position = routine.position
        if step.report is not None:
            kind, pain = step.report
            await self._record(
                s, routine.id, position, pain_kind=kind.value, pain=pain, pain_at=now
            )
            if pain is not None:
                await pain_stream.record(
                    s,
                    user.id,
                    at=now,
                    local_date=routine.local_date,
                    kind=ReportKind.DURING,
                    value=pain,
                    source=Source.HURT,
                    routine_id=routine.id,
                    exercise_id=routine.items[position]["exercise_id"],
                )
        if step.outcome is not None and step.outcome_position is not None:
            await self._record(
                s, routine.id, step.outcome_position, outcome=step.outcome.value, at=now
            )
        if action is pl.Action.TIMER:
            await self._record(s, routine.id, position, started_at=now, only_if_empty=True)
        if action is pl.Action.GO:
            routine.started_at = now
        state = step.state
        routine.phase = state.phase.value
        routine.position = state.position
        routine.segment = state.segment
        routine.left_ms = state.left_ms
        routine.back_phase = state.back_phase.value if state.back_phase else None
        routine.hurt_kind = state.hurt_kind.value if state.hurt_kind else None
        routine.stopped = state.stopped
        if state.phase is pl.Phase.CARD:
            await self._record(s, routine.id, state.position, shown_at=now, only_if_empty=True)
        if step.timer_ms is not None:
            routine.timer_id = await self._start_timer(s, routine, step.timer_ms, now)
        if step.end is not None:
            if action is pl.Action.PAIN and isinstance(value, int):
                routine.end_pain = value
                await pain_stream.record(
                    s,
                    user.id,
                    at=now,
                    local_date=routine.local_date,
                    kind=ReportKind.END,
                    value=value,
                    source=Source.END_QUESTION,
                    routine_id=routine.id,
                )
            await self._close(s, routine, step.end, now)
            if await had_sharp_pain(s, routine.id):
                # DESIGN.md: sharp pain brings the red-flag questions back before the next
                # routine; the chat opens them right after the summary.
                user.safety = "pending"
            if step.end is not pl.End.DECLINED:
                # The next morning judges every routine played: it is always asked.
                await plan_check(s, user, after=routine.local_date, now=now)
        if step.rescreen:
            # Nothing may start until the red-flag questions are answered again; the
            # onboarding service opens them right after this transaction.
            user.safety = "pending"
        if step.new_card:
            routine.message_id = None
        routine.version += 1
        routine.updated_at = now
        return cancelled

    async def _record(
        self,
        s: AsyncSession,
        routine_id: int,
        idx: int,
        *,
        only_if_empty: bool = False,
        **values: Any,
    ) -> None:
        stmt = update(ExerciseRecord).where(
            ExerciseRecord.routine_id == routine_id, ExerciseRecord.idx == idx
        )
        if only_if_empty:
            for name in values:
                stmt = stmt.where(getattr(ExerciseRecord, name).is_(None))
        await s.execute(stmt.values(**values).execution_options(synchronize_session=False))

    async def _start_timer(
        self, s: AsyncSession, routine: PlayedRoutine, run_ms: int, now: datetime
    ) -> int:
        item = self._items(routine)[routine.position]
        part = item.segments[routine.segment]
        timer = RoutineTimer(
            routine_id=routine.id,
            user_id=routine.user_id,
            chat_id=routine.chat_id,
            position=routine.position,
            segment=routine.segment,
            kind=part.kind,
            seconds=part.seconds,
            run_ms=run_ms,
            started_at=now,
            due_at=now + timedelta(milliseconds=run_ms),
            status="pending",
        )
        s.add(timer)
        await s.flush()
        return timer.id

    async def _left_ms(self, s: AsyncSession, routine: PlayedRoutine, now: datetime) -> int | None:
        if routine.timer_id is None:
            return None
        due = await s.scalar(select(RoutineTimer.due_at).where(RoutineTimer.id == routine.timer_id))
        if due is None:
            return None
        return max(0, int((due - now) / timedelta(milliseconds=1)))

    async def _cancel_timer(
        self, s: AsyncSession, routine: PlayedRoutine, now: datetime
    ) -> int | None:
        """Cancel the routine's pending timer, if any; returns its id."""
        timer_id = routine.timer_id
        if timer_id is None:
            return None
        await s.execute(
            update(RoutineTimer)
            .where(RoutineTimer.id == timer_id, RoutineTimer.status == "pending")
            .values(status="cancelled", fired_at=now)
            .execution_options(synchronize_session=False)
        )
        routine.timer_id = None
        return timer_id

    async def _close(
        self, s: AsyncSession, routine: PlayedRoutine, end: pl.End, now: datetime
    ) -> None:
        await self._cancel_timer(s, routine, now)
        routine.status = end.value
        routine.phase = pl.Phase.ENDED.value
        routine.ended_at = now
        routine.version += 1
        routine.updated_at = now
        await routine_ended(s, routine.user_id, routine.local_date, end, now)

    async def _expire(self, s: AsyncSession, routine: PlayedRoutine, now: datetime) -> None:
        await self._close(s, routine, pl.End.EXPIRED, now)

    async def attach(self, routine_id: int, version: int, message_id: int) -> bool:
        """Record the message now showing the routine, unless the routine moved on since."""
        async with self.sessions.begin() as s:
            result = await s.execute(
                update(PlayedRoutine)
                .where(
                    PlayedRoutine.id == routine_id,
                    PlayedRoutine.version == version,
                    PlayedRoutine.status == OPEN,
                )
                .values(message_id=message_id)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def current(self, user_id: int) -> Snapshot | None:
        """The user's open routine as it stands, if any."""
        async with self.sessions.begin() as s:
            routine = await self._open_routine(s, user_id)
            if routine is None:
                return None
            user = await s.get(User, user_id)
            return await self._snapshot(s, routine, user)

    # ------------------------------------------------------------------ timers

    async def fire(self, timer_id: int) -> Result:
        """A timer's due time came: claim it once, then play on (or report it missed)."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            timer = await s.get(RoutineTimer, timer_id)
            if timer is None or timer.status != "pending":
                return Result(Reply.STALE)
            if timer.due_at > now:
                return Result(Reply.NOT_DUE, due=_timer_info(timer))
            # Lock order, as in every use case: the user, the routine, then the timer.
            user = await s.get(User, timer.user_id, with_for_update=True)
            routine = await s.get(PlayedRoutine, timer.routine_id, with_for_update=True)
            late = now - timer.due_at
            missed = pl.is_missed(late)
            claimed = await s.execute(
                update(RoutineTimer)
                .where(RoutineTimer.id == timer_id, RoutineTimer.status == "pending")
                .values(status="missed" if missed else "fired", fired_at=now)
                .execution_options(synchronize_session=False)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return Result(Reply.STALE)
            if routine is None or routine.status != OPEN or routine.timer_id != timer_id:
                await _nothing_to_announce(s, timer_id)
                return Result(Reply.STALE)
            checked = await self._check_open(s, routine, user)
            if checked is not None:
                await _nothing_to_announce(s, timer_id)
                return checked
            assert user is not None
            routine.timer_id = None
            parts = self._items(routine)[routine.position].segments
            state = _state(routine)
            step = pl.timer_missed(state, parts) if missed else pl.timer_end(state, parts)
            previous = routine.message_id
            await self._apply_step(s, routine, user, step, None, None, now)
            return Result(
                Reply.OK,
                snapshot=await self._snapshot(s, routine, user),
                step=step,
                previous_message_id=previous,
                late=late,
            )

    async def claim_release(self, timer_id: int) -> bool:
        """Take on announcing the end of this fired timer; False if someone already did.

        Claimed just before the bell is sent: a process that dies before claiming leaves it
        owed (announced late by `owed_releases`), never twice.
        """
        async with self.sessions.begin() as s:
            claimed = await s.execute(
                update(RoutineTimer)
                .where(RoutineTimer.id == timer_id, RoutineTimer.released.is_(False))
                .values(released=True)
                .execution_options(synchronize_session=False)
            )
            return bool(claimed.rowcount)  # type: ignore[attr-defined]

    async def owed_releases(
        self, fired_before: datetime, limit: int = 500
    ) -> list[tuple[int, Snapshot]]:
        """(timer id, routine) for timers that fired before then and whose bell never went
        out: their process died in between."""
        async with self.sessions.begin() as s:
            rows = (
                await s.execute(
                    select(RoutineTimer.id, PlayedRoutine, User)
                    .join(PlayedRoutine, PlayedRoutine.id == RoutineTimer.routine_id)
                    .join(User, User.id == PlayedRoutine.user_id)
                    .where(
                        RoutineTimer.status.in_(("fired", "missed")),
                        RoutineTimer.released.is_(False),
                        RoutineTimer.fired_at < fired_before,
                        PlayedRoutine.status == OPEN,
                    )
                    .order_by(RoutineTimer.fired_at)
                    .limit(limit)
                )
            ).all()
            return [
                (timer_id, await self._snapshot(s, routine, user))
                for timer_id, routine, user in rows
            ]

    async def pending_timers(self, until: datetime, limit: int = 5000) -> list[TimerInfo]:
        """Pending timers due by `until`, soonest first (start-up and the periodic sweep)."""
        async with self.sessions.begin() as s:
            rows = await s.scalars(
                select(RoutineTimer)
                .where(RoutineTimer.status == "pending", RoutineTimer.due_at <= until)
                .order_by(RoutineTimer.due_at)
                .limit(limit)
            )
            return [_timer_info(t) for t in rows]

    async def running(self, limit: int = 5000) -> list[Snapshot]:
        """Open routines whose timer is running (to restore their countdowns after a restart)."""
        async with self.sessions.begin() as s:
            routines = await s.scalars(
                select(PlayedRoutine)
                .where(PlayedRoutine.status == OPEN, PlayedRoutine.timer_id.is_not(None))
                .limit(limit)
            )
            out = []
            for routine in routines.all():
                user = await s.get(User, routine.user_id)
                out.append(await self._snapshot(s, routine, user))
            return out

    # ------------------------------------------------------------------ reading

    async def _open_routine(self, s: AsyncSession, user_id: int) -> PlayedRoutine | None:
        return await s.scalar(
            select(PlayedRoutine)
            .where(PlayedRoutine.user_id == user_id, PlayedRoutine.status == OPEN)
            .with_for_update()
        )

    def _items(self, routine: PlayedRoutine) -> tuple[PlayItem, ...]:
        out = []
        for raw in routine.items:
            exercise = self.library.get(raw["exercise_id"])
            dose = Dose.model_validate(raw["dose"])
            out.append(PlayItem(exercise, dose, int(raw["est_seconds"]), segments(exercise, dose)))
        return tuple(out)

    async def _snapshot(
        self, s: AsyncSession, routine: PlayedRoutine, user: User | None
    ) -> Snapshot:
        timer = None
        if routine.timer_id is not None:
            row = await s.get(RoutineTimer, routine.timer_id)
            timer = _timer_info(row) if row is not None else None
        return Snapshot(
            routine_id=routine.id,
            user_id=routine.user_id,
            chat_id=routine.chat_id,
            first_name=user.first_name if user is not None else "",
            local_date=routine.local_date,
            status=routine.status,
            state=_state(routine),
            items=self._items(routine),
            minutes=routine.minutes_planned,
            short=routine.short,
            gentle=routine.gentle,
            message_id=routine.message_id,
            version=routine.version,
            timer=timer,
            lost=routine.message_id is None and routine.updated_at < self.clock.now() - LOST_AFTER,
            changes=tuple(Change.model_validate(c) for c in routine.plan_notes or ()),
        )

    async def _summary(self, s: AsyncSession, routine: PlayedRoutine, user: User) -> Summary:
        rows = await s.execute(
            select(ExerciseRecord.outcome, func.count())
            .where(ExerciseRecord.routine_id == routine.id)
            .group_by(ExerciseRecord.outcome)
        )
        counts = Counter({outcome: n for outcome, n in rows})
        # Every exercise that hurt counts, also a mild ache the person carried on through.
        hurts = await s.scalar(
            select(func.count()).where(
                ExerciseRecord.routine_id == routine.id,
                or_(
                    ExerciseRecord.outcome == pl.Outcome.HURT.value,
                    ExerciseRecord.pain_kind.is_not(None),
                ),
            )
        )
        minutes = 0
        if routine.started_at is not None and routine.ended_at is not None:
            minutes = round((routine.ended_at - routine.started_at).total_seconds() / 60)
        next_at = None
        if user.next_due_at is not None:
            next_at = user.next_due_at.astimezone(ZoneInfo(user.tz or self.default_tz))
        return Summary(
            first_name=user.first_name,
            end=pl.End(routine.status) if routine.status != OPEN else pl.End.DONE,
            done=counts[pl.Outcome.DONE.value],
            skipped=counts[pl.Outcome.SKIPPED.value],
            hurt=int(hurts or 0),
            minutes=minutes,
            end_pain=routine.end_pain,
            next_at=next_at,
            rescreen=routine.status != pl.End.SAFETY.value and user.safety == "pending",
        )

    # ------------------------------------------------------------------ afterwards

    async def done_alone(self, user_id: int, chat_id: int) -> Afterwards:
        """Record today's routine as done without the player (all its exercises done)."""
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is None or _blocked(user) is not None:
                return Afterwards.NOTHING
            now = self.clock.now()
            today = self._today(user, now)
            if await self._open_routine(s, user_id) is not None:
                return Afterwards.NOTHING
            played = await s.scalar(
                select(PlayedRoutine.id).where(
                    PlayedRoutine.user_id == user_id,
                    PlayedRoutine.local_date == today,
                    PlayedRoutine.status.in_([pl.End.DONE.value, pl.End.STOPPED.value]),
                )
            )
            if played is not None:
                return Afterwards.ALREADY
            routine = await self._create(s, user, chat_id, today, now)
            await s.execute(
                update(ExerciseRecord)
                .where(ExerciseRecord.routine_id == routine.id)
                .values(outcome=pl.Outcome.DONE.value, at=now)
            )
            await self._close(s, routine, pl.End.DONE, now)
            await plan_check(s, user, after=today, now=now)
            return Afterwards.RECORDED

    async def last_routine(self, user_id: int) -> LastRoutine | None:
        """The newest routine with exercises on record, if any."""
        async with self.sessions.begin() as s:
            # The routine under way counts too: a sharp pain told at its end question.
            routine = await s.scalar(
                select(PlayedRoutine)
                .where(
                    PlayedRoutine.user_id == user_id,
                    PlayedRoutine.status.in_([pl.End.DONE.value, pl.End.STOPPED.value, OPEN]),
                )
                .order_by(PlayedRoutine.id.desc())
                .limit(1)
            )
            if routine is None:
                return None
            rows = await s.execute(
                select(ExerciseRecord.idx, ExerciseRecord.exercise_id)
                .where(ExerciseRecord.routine_id == routine.id, ExerciseRecord.outcome.is_not(None))
                .order_by(ExerciseRecord.idx)
            )
            return LastRoutine(routine.id, routine.local_date, tuple((i, e) for i, e in rows))

    async def hurt_later(
        self, user_id: int, routine_id: int, idx: int, kind: PainKind, pain: int | None
    ) -> Afterwards:
        """An exercise of a finished routine hurt: recorded for the plan (once)."""
        async with self.sessions.begin() as s:
            record = await s.get(ExerciseRecord, (routine_id, idx), with_for_update=True)
            if record is None or record.user_id != user_id or record.outcome is None:
                return Afterwards.NOTHING
            if record.outcome == pl.Outcome.HURT.value and record.pain_kind is not None:
                return Afterwards.ALREADY
            now = self.clock.now()
            record.outcome, record.pain_kind, record.pain, record.pain_at = (
                pl.Outcome.HURT.value, kind.value, pain, now,
            )  # fmt: skip
            if pain is not None:
                await pain_stream.record(
                    s,
                    user_id,
                    at=now,
                    local_date=record.local_date,
                    kind=ReportKind.DURING,
                    value=pain,
                    source=Source.HURT,
                    routine_id=routine_id,
                    exercise_id=record.exercise_id,
                )
            user = await s.get(User, user_id, with_for_update=True)
            if user is not None:
                if needs_rescreen(kind):
                    user.safety = "pending"
                # The next morning is asked about, rest day or not.
                await plan_check(s, user, after=record.local_date, now=now)
            return Afterwards.RECORDED

    async def feel(self, user_id: int, feel: Feel, routine_id: int | None = None) -> FeelAnswer:
        """ "How did that feel?" answered (a button names its routine; typed words mean today's).

        Only a routine played to its end (done or stopped) takes an answer, and only once.
        """
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None:
                return FeelAnswer.NOTHING
            now = self.clock.now()
            stmt = (
                select(PlayedRoutine)
                .where(
                    PlayedRoutine.user_id == user_id,
                    PlayedRoutine.status.in_([end.value for end in FEEL_ENDS]),
                )
                .order_by(PlayedRoutine.id.desc())
                .limit(1)
                .with_for_update()
            )
            if routine_id is None:
                stmt = stmt.where(PlayedRoutine.local_date == self._today(user, now))
            else:
                # A tap names its routine: it counts as long as the plan can still use it.
                stmt = stmt.where(PlayedRoutine.id == routine_id)
            routine = await s.scalar(stmt)
            if routine is None:
                return FeelAnswer.NOTHING
            if routine.feel is not None:
                return FeelAnswer.ALREADY
            routine.feel, routine.feel_at = feel.value, now
            return FeelAnswer.RECORDED

    async def feel_open(self, user_id: int) -> bool:
        """Whether today's finished routine still waits for "How did that feel?"."""
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None:
                return False
            found = await s.scalar(
                select(PlayedRoutine.id)
                .where(
                    PlayedRoutine.user_id == user_id,
                    PlayedRoutine.local_date == self._today(user, self.clock.now()),
                    PlayedRoutine.status.in_([end.value for end in FEEL_ENDS]),
                    PlayedRoutine.feel.is_(None),
                )
                .limit(1)
            )
            return found is not None

    def _today(self, user: User, now: datetime) -> date:
        return now.astimezone(ZoneInfo(user.tz or self.default_tz)).date()


def _blocked(user: User | None) -> Blocked | None:
    """Why this user may not have a routine now, or None if they may."""
    if user is None:
        return Blocked.SETUP
    if user.safety == "doctor":
        return Blocked.DOCTOR
    if user.safety == "emergency":
        return Blocked.EMERGENCY
    if user.onboarded_at is None:
        return Blocked.SETUP
    if user.safety != "clear":
        return Blocked.SAFETY_PENDING
    return None


def _ended_here(routine: PlayedRoutine, message_id: int | None) -> bool:
    """Whether the person ended this routine on this very message (not a day's expiry)."""
    return (
        message_id is not None
        and routine.status not in (OPEN, pl.End.EXPIRED.value)
        and routine.message_id == message_id
    )


def _state(routine: PlayedRoutine) -> pl.State:
    return pl.State(
        phase=pl.Phase(routine.phase),
        position=routine.position,
        segment=routine.segment,
        left_ms=routine.left_ms,
        back_phase=pl.Phase(routine.back_phase) if routine.back_phase else None,
        hurt_kind=PainKind(routine.hurt_kind) if routine.hurt_kind else None,
        stopped=routine.stopped,
    )


async def _nothing_to_announce(s: AsyncSession, timer_id: int) -> None:
    """A fired timer whose routine moved on or ended owes no bell."""
    await s.execute(
        update(RoutineTimer)
        .where(RoutineTimer.id == timer_id)
        .values(released=True)
        .execution_options(synchronize_session=False)
    )


def _timer_info(timer: RoutineTimer) -> TimerInfo:
    return TimerInfo(
        timer_id=timer.id,
        routine_id=timer.routine_id,
        chat_id=timer.chat_id,
        due_at=timer.due_at,
        run_ms=timer.run_ms,
        seconds=timer.seconds,
    )

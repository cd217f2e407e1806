"""Morning pushes: who is due, exactly-once recording, snoozes, skips, pauses and the pain check.

Exactly once: the transaction that claims a due user also inserts the push row (unique per
user, local date and kind) and moves the user's next due time on; only then does the request
go to Telegram. A restart, a retry or a second instance finds the row and sends nothing.
A claimed push is "claimed" until the moment its request leaves, when it becomes "sending"
(only if the claim is still the same one). A process that dies before that leaves a claim
nobody is sending: after `CLAIM_STALE` the tick gives it back ("pending") and it goes out
late, not never. A push whose process died while the request was out stays "sending"; the
next tick after `STALE_AFTER` marks it "unknown" and logs it. It is never sent again: Telegram
may have delivered it, and a second morning message is worse than a missing one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Settings
from bot.db.repos import dialect_insert, recorded_routine
from bot.db.tables import MorningPain, PlayedRoutine, Push, StoredPlan, User
from bot.domain.onboarding import days_from_mask
from bot.domain.pain import PainRecord, ReportKind, Source, asks_next_morning
from bot.domain.schedule import PauseChoice, day_over, pause_until, snooze, within_window
from bot.services import pain as pain_stream
from bot.services.clock import Clock
from bot.services.day_over import following, last_days_over
from bot.services.morning_check import CHECK, retime_checks
from bot.services.player import MINUTES as ROUTINE_MINUTES
from bot.services.player import PlayerService
from bot.services.scheduler import Pacer, fan_out
from content.library import load_library
from content.routines import RoutineRequest, build_routine

log = logging.getLogger(__name__)

# A claimed push still "sending" after this long belonged to a process that died.
STALE_AFTER = timedelta(minutes=15)
# Claimed and not on its way after this long: its process died (claims follow the send rate,
# so a live one sends within a second or two); given back to be sent.
CLAIM_STALE = timedelta(seconds=20)
CLAIMED = "claimed"
PREVIEW_EXERCISES = 3
MAX_CLAIM = 500


class Outcome(StrEnum):
    """How one send ended, as stored in pushes.status."""

    SENT = "sent"
    BLOCKED = "blocked"  # 403 or chat gone: the user is marked inactive
    FAILED = "failed"  # Telegram refused it, or retries ran out; certainly not delivered
    UNKNOWN = "unknown"  # the request left but no answer came: maybe delivered, never resent


class Action(StrEnum):
    """The buttons under a morning push."""

    START = "start"
    SNOOZE_30 = "s30"
    SNOOZE_60 = "s60"
    SKIP = "skip"


class Reply(StrEnum):
    """What answering a push button did."""

    STARTED = "started"
    SNOOZED = "snoozed"
    SKIPPED = "skipped"
    ALREADY_REMINDED = "already_reminded"
    STALE = "stale"
    NOT_FOUND = "not_found"


_SNOOZE_MINUTES = {Action.SNOOZE_30: 30, Action.SNOOZE_60: 60}
# Start, snooze and skip belong to the morning push; the pain scale also to a rest-day check.
_MORNING = frozenset({"morning"})
_ASKING = frozenset({"morning", CHECK})


@dataclass(frozen=True, slots=True)
class Preview:
    """Today's routine in two facts: how long, and the first exercises by name."""

    minutes: int
    first: tuple[str, ...]
    gentle: bool = False


@dataclass(frozen=True, slots=True)
class PushJob:
    """One message to send: everything the renderer needs, nothing read again."""

    push_id: int
    morning_id: int  # the buttons always act on the morning push, also from a reminder
    user_id: int
    chat_id: int
    first_name: str
    local_date: date
    kind: str  # morning | reminder | check (the pain question alone, on a rest day)
    ask_pain: bool
    preview: Preview | None
    claimed_at: datetime | None = None  # which claim this is: a given-back one is not sent


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the transport reports for one job."""

    outcome: Outcome
    message_id: int | None = None
    attempts: int = 1
    error: str | None = None


@dataclass
class Report:
    """Counts of one tick, for the log and the tests."""

    sent: int = 0
    blocked: int = 0
    failed: int = 0
    unknown: int = 0
    dropped: int = 0
    interrupted: int = 0

    @property
    def total(self) -> int:
        """Everything that happened in the tick."""
        return self.sent + self.blocked + self.failed + self.unknown + self.dropped


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of a push button, with the reminder's local time for a snooze."""

    reply: Reply
    remind_at: datetime | None = None
    repeated: bool = False  # the push had this very answer already: nothing changed


@dataclass(frozen=True, slots=True)
class Card:
    """The routine card shown after the morning pain answer."""

    push_id: int
    first_name: str
    pain: int
    preview: Preview | None
    choosing: bool = True  # start, snooze or skip not answered yet: the card offers them


@dataclass(frozen=True, slots=True)
class Rested:
    """A rest day's pain answer is in: what to say back, and when the next routine comes."""

    push_id: int
    first_name: str
    pain: int
    next_push: datetime | None  # in the user's zone


@dataclass(frozen=True, slots=True)
class TypedPain:
    """A typed morning answer, recorded: what to show, and the question's message to edit."""

    result: Card | Rested
    message_id: int | None  # None when Telegram never confirmed the send ("unknown")


@dataclass(frozen=True, slots=True)
class PauseState:
    """Where the user's pushes stand after /pause or /resume (times in the user's zone)."""

    scheduled: bool  # False: not set up yet, so nothing to pause or resume
    paused: bool = False
    was_paused: bool = False
    until: datetime | None = None
    next_push: datetime | None = None


Send = Callable[[PushJob], Awaitable[SendResult]]
PreviewAsk = tuple[User, int, date]
"""A user, the pain today's routine is built for, and the local date."""
Previewer = Callable[[AsyncSession, Sequence[PreviewAsk]], Awaitable[list[Preview | None]]]
"""Previews for a batch of pushes, in order; runs in the claim's transaction."""


# --------------------------------------------------------------------------- rules over a row


def pushable(user: User, due: datetime) -> bool:
    """Whether this user may get a push due at `due` (consent, safety, reachability, pause)."""
    return (
        user.active
        and user.consent_at is not None
        and user.onboarded_at is not None
        and user.safety == "clear"
        and not user.paused_indefinitely
        and (user.paused_until is None or due >= user.paused_until)
    )


def needs_morning_check(
    user: User, latest: pain_stream.Latest | None, last_routine_at: datetime | None
) -> bool:
    """Whether the push should first ask "How is your back this morning?".

    Always after a routine no morning answer has followed yet; otherwise when the newest pain
    report (of the stream, else the stored baseline) is 4 or more.
    """
    newest = latest.report if latest is not None else _stored_baseline(user)
    morning_at = latest.morning_at if latest is not None else None
    return asks_next_morning(newest, morning_at, last_routine_at)


def todays_pain(user: User, latest: pain_stream.Latest | None) -> int:
    """The pain today's routine is built for: the newest report, else the stored baseline."""
    return latest.report.value if latest is not None else user.baseline_pain or 0


def _stored_baseline(user: User) -> PainRecord | None:
    """The profile's baseline as a report, for a user with nothing in the stream."""
    if user.baseline_pain is None or user.onboarded_at is None:
        return None
    return PainRecord(
        at=user.onboarded_at,
        local_date=user.onboarded_at.date(),
        kind=ReportKind.BASELINE,
        value=user.baseline_pain,
        source=Source.ONBOARDING,
    )


async def refresh_next_due(session: AsyncSession, user: User, now: datetime) -> None:
    """Recompute users.next_due_at/next_due_date after days, time, zone or pause changed.

    Call inside the transaction that made the change (the caller commits). A local date
    that already had its push is skipped, so moving the time later never sends twice; a
    time already past today waits for the next chosen day, and so does today once its routine
    is behind the person. No schedule, or an indefinite pause, leaves both columns empty.
    """
    last = await session.scalar(
        select(func.max(Push.local_date)).where(Push.user_id == user.id, Push.kind == "morning")
    )
    over = (await last_days_over(session, [user.id])).get(user.id)
    user.next_due_at, user.next_due_date = following(user, now, last, over)
    await retime_checks(session, user)


@lru_cache(maxsize=4096)
def routine_preview(level: int, pain: int, today: date) -> Preview:
    """Minutes and first exercises of the routine the builder makes for this day.

    Built without the user's history, swaps and doses (reading those per push would cost
    several queries each); the player's routine starts with the same warm-up, so the minutes
    and first exercises match in all but rare cases.
    """
    library = load_library()
    routine = build_routine(
        library, RoutineRequest(level=level, pain=pain, minutes=ROUTINE_MINUTES, today=today)
    )
    names = tuple(library.get(i.exercise_id).name for i in routine.items[:PREVIEW_EXERCISES])
    return Preview(minutes=routine.minutes, first=names, gentle=routine.gentle)


def _plain_preview(user: User, pain: int, today: date) -> Preview:
    return routine_preview(user.level or 1, max(0, min(10, pain)), today)


async def content_previews(_s: AsyncSession, asks: Sequence[PreviewAsk]) -> list[Preview | None]:
    """The library's routine for each level, pain and day (no plan, no history; cached)."""
    return [_plain_preview(user, pain, today) for user, pain, today in asks]


def plan_previewer(player: PlayerService) -> Previewer:
    """Previews of the very routine the player will build: the user's plan and recent days."""

    async def previews(s: AsyncSession, asks: Sequence[PreviewAsk]) -> list[Preview | None]:
        ids = {user.id for user, _pain, _today in asks}
        planned = (
            set(await s.scalars(select(StoredPlan.user_id).where(StoredPlan.user_id.in_(ids))))
            if ids
            else set()
        )
        out: list[Preview | None] = []
        for user, pain, today in asks:
            if user.id not in planned:
                # No plan yet means no routine opened yet: the cached content preview is exact.
                out.append(_plain_preview(user, pain, today))
                continue
            routine = await player.sketch(s, user, today, max(0, min(10, pain)))
            items = routine.items[:PREVIEW_EXERCISES]
            names = tuple(player.library.get(i.exercise_id).name for i in items)
            out.append(Preview(minutes=routine.minutes, first=names, gentle=routine.gentle))
        return out

    return previews


# --------------------------------------------------------------------------- the service

PUSHES: Table = Push.__table__  # type: ignore[assignment]
# How a send ended, written for a whole batch with one statement (executemany).
_RECORD = (
    update(PUSHES)
    .where(PUSHES.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        finished_at=bindparam("b_finished_at"),
        attempts=bindparam("b_attempts"),
        message_id=bindparam("b_message_id"),
        error=bindparam("b_error"),
    )
)


class PushService:
    """Claims due pushes, records how they went, and answers the push buttons and /pause."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings,
        *,
        workers: int | None = None,
        paced: bool = True,
        preview: Previewer = content_previews,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.window = timedelta(hours=settings.push_window_hours)
        # About one second of sends in flight: enough to keep the rate limiter busy, few
        # enough that a crash leaves only a handful of pushes in doubt.
        self.workers = workers or max(4, min(MAX_CLAIM, round(settings.push_rate)))
        # Claims follow the send rate, so a claimed push goes out at once instead of waiting
        # in the rate limiter's queue, where a crash would leave it "sending" but unsent.
        self.pacer = Pacer(settings.push_rate) if paced else None
        self.preview = preview
        # SQLite has one writer; queueing here is cheaper than its busy-wait back-off.
        self._writer: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if not settings.is_postgres else nullcontext()
        )

    # ----------------------------------------------------------------- the tick

    async def run_due(self, send: Send, *, keep_going: Callable[[], bool] = lambda: True) -> Report:
        """Send every push that is due now, each at most once; return what happened."""
        report = Report()
        report.interrupted = await self.sweep_stale()

        async def claim(limit: int) -> Sequence[PushJob]:
            return await self.claim(limit, report)

        async def send_claimed(job: PushJob) -> SendResult | None:
            if not await self.on_its_way(job):
                return None  # given back while this process was presumed dead
            return await send(job)

        async def record(results: list[tuple[PushJob, SendResult | None]]) -> None:
            await self.record([(j, r) for j, r in results if r is not None], report)

        await fan_out(
            claim,
            send_claimed,
            record,
            workers=self.workers,
            keep_going=keep_going,
            pacer=self.pacer,
        )
        return report

    async def on_its_way(self, job: PushJob) -> bool:
        """Mark a claimed push "sending" just before its request leaves; False when this
        claim was given back meanwhile (see `sweep_stale`), so it must not be sent."""
        async with self._writer, self.sessions.begin() as s:
            result = await s.execute(
                update(Push)
                .where(
                    Push.id == job.push_id,
                    Push.status == CLAIMED,
                    Push.claimed_at == job.claimed_at,
                )
                .values(status="sending")
                .execution_options(synchronize_session=False)
            )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    async def claim(self, limit: int, report: Report | None = None) -> list[PushJob]:
        """Claim up to `limit` due pushes and reminders: rows written, users moved on."""
        report = report if report is not None else Report()
        now = self.clock.now()
        async with self._writer, self.sessions.begin() as s:
            jobs = await self._claim_pending(s, now, min(limit, MAX_CLAIM), report)
            while len(jobs) < limit:
                wanted = min(MAX_CLAIM, limit - len(jobs))
                stmt = (
                    select(User)
                    .where(User.next_due_at <= now)
                    # The index order alone: a tie-breaker would sort every due row per claim.
                    .order_by(User.next_due_at)
                    .limit(wanted)
                    # Two instances split the work instead of queueing on each other's rows;
                    # SQLite drops the clause, and its single writer needs none.
                    .with_for_update(skip_locked=True)
                )
                users = list((await s.scalars(stmt)).all())
                if not users:
                    break
                # Users dropped or not pushable yield no job: look again until enough jobs or
                # nothing is due (a user only ever moves forward, so this ends).
                jobs += await self._claim_mornings(s, users, now, report)
        return jobs

    async def _claim_mornings(
        self, s: AsyncSession, users: list[User], now: datetime, report: Report
    ) -> list[PushJob]:
        rows: list[dict[str, Any]] = []
        sending: dict[int, User] = {}
        days = [user.next_due_date for user in users if user.next_due_date is not None]
        over = await last_days_over(s, [user.id for user in users], min(days, default=None))
        for user in users:
            due, day = user.next_due_at, user.next_due_date
            assert due is not None
            last_over = over.get(user.id)
            if day is not None and pushable(user, due):
                if day_over(day, last_over):
                    # Recorded, so the day's push can never go out later.
                    status = "cancelled"
                    log.info("push to user %s for %s cancelled: the day is over", user.id, day)
                elif not within_window(due, now, self.window):
                    status = "dropped"
                    log.warning("push to user %s for %s dropped: %s late", user.id, day, now - due)
                else:
                    status = CLAIMED
                    sending[user.id] = user
                rows.append(
                    {
                        "user_id": user.id,
                        "local_date": day,
                        "kind": "morning",
                        "due_at": due,
                        "status": status,
                        "claimed_at": now,
                        "attempts": 0,
                        "asked_pain": False,
                    }
                )
            # From `now - window`, so a later day missed while the bot was down and still
            # inside its window is found next (and sent late) rather than skipped.
            user.next_due_at, user.next_due_date = following(
                user, now - self.window, day, last_over
            )
        if not rows:
            return []
        latest = await pain_stream.newest_of(s, sending)
        last_routines = await self._last_routines(s, sending)
        asks = {
            uid: needs_morning_check(u, latest.get(uid), last_routines.get(uid))
            for uid, u in sending.items()
        }
        for row in rows:
            row["asked_pain"] = asks.get(row["user_id"], False)
        inserted = await self._insert_ignoring_duplicates(s, rows)
        jobs: list[PushJob] = []
        wanted: list[tuple[int, PreviewAsk]] = []  # (index in jobs, what to preview)
        for row in rows:
            push_id = inserted.get(row["user_id"])
            if push_id is None:
                log.info(
                    "push to user %s for %s already recorded", row["user_id"], row["local_date"]
                )
                continue
            if row["status"] == "dropped":
                report.dropped += 1
            if row["status"] != CLAIMED:
                continue
            user = sending[row["user_id"]]
            ask = asks[user.id]
            # The pain the player builds today's routine for: the newest report.
            pain = todays_pain(user, latest.get(user.id))
            if not ask:
                wanted.append((len(jobs), (user, pain, row["local_date"])))
            jobs.append(
                _job(push_id, push_id, user, row["local_date"], "morning", now, ask_pain=ask)
            )
        return await self._previewed(s, jobs, wanted)

    async def _claim_pending(
        self, s: AsyncSession, now: datetime, limit: int, report: Report
    ) -> list[PushJob]:
        """Snooze reminders and rest-day checks whose time has come."""
        stmt = (
            select(Push, User)
            .join(User, User.id == Push.user_id)
            .where(Push.status == "pending", Push.due_at <= now)
            .order_by(Push.due_at, Push.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Push)
        )
        jobs: list[PushJob] = []
        wanted: list[tuple[int, PreviewAsk]] = []
        pending = (await s.execute(stmt)).all()
        since = min((push.local_date for push, _user in pending), default=None)
        over = await last_days_over(s, {user.id for _push, user in pending}, since)
        for push, user in pending:
            if (
                not pushable(user, now)
                # A snooze or a rest-day question for a day whose routine is behind them.
                or day_over(push.local_date, over.get(user.id))
                or (push.kind == CHECK and not await self._check_needed(s, user, push))
            ):
                push.status = "cancelled"
                continue
            if not within_window(push.due_at, now, self.window):
                log.warning("%s to user %s for %s dropped", push.kind, user.id, push.local_date)
                push.status, report.dropped = "dropped", report.dropped + 1
                continue
            push.status, push.claimed_at, push.attempts = CLAIMED, now, 0
            if push.kind == CHECK:
                # The pain question alone; its buttons act on the check itself.
                jobs.append(
                    _job(push.id, push.id, user, push.local_date, CHECK, now, ask_pain=True)
                )
                continue
            pain = todays_pain(user, (await pain_stream.newest_of(s, [user.id])).get(user.id))
            if push.kind == "morning":
                # A morning push given back: its claimant died before sending it.
                if not push.asked_pain:
                    wanted.append((len(jobs), (user, pain, push.local_date)))
                jobs.append(
                    _job(
                        push.id,
                        push.id,
                        user,
                        push.local_date,
                        "morning",
                        now,
                        ask_pain=push.asked_pain,
                    )
                )
                continue
            assert push.parent_id is not None
            wanted.append((len(jobs), (user, pain, push.local_date)))
            jobs.append(_job(push.id, push.parent_id, user, push.local_date, "reminder", now))
        return await self._previewed(s, jobs, wanted)

    async def _previewed(
        self, s: AsyncSession, jobs: list[PushJob], wanted: list[tuple[int, PreviewAsk]]
    ) -> list[PushJob]:
        """Give the jobs that show today's routine their previews, asked for in one batch."""
        previews = await self.preview(s, [ask for _index, ask in wanted])
        for (index, _ask), preview in zip(wanted, previews, strict=True):
            jobs[index] = replace(jobs[index], preview=preview)
        return jobs

    async def _check_needed(self, s: AsyncSession, user: User, push: Push) -> bool:
        """A rest-day check goes out unless that morning is answered or now has its own push."""
        if user.days_mask and push.local_date.weekday() in days_from_mask(user.days_mask):
            return False  # the weekdays changed: that morning's push asks instead
        return await self._answer_of(s, user.id, push.local_date) is None

    async def _insert_ignoring_duplicates(
        self, s: AsyncSession, rows: list[dict[str, Any]]
    ) -> dict[int, int]:
        """Insert push rows; a (user, day, kind) already there is left alone. user_id → id."""
        stmt = (
            dialect_insert(s)(PUSHES)
            .on_conflict_do_nothing(index_elements=["user_id", "local_date", "kind"])
            .returning(PUSHES.c.user_id, PUSHES.c.id)
        )
        # One compiled statement for the whole batch (executemany), not one per row count.
        result = await s.execute(stmt, rows)
        return {user_id: push_id for user_id, push_id in result.all()}

    async def _last_routines(self, s: AsyncSession, users: dict[int, User]) -> dict[int, datetime]:
        """When each user's last played routine ended, in one query."""
        if not users:
            return {}
        stmt = (
            select(PlayedRoutine.user_id, func.max(PlayedRoutine.ended_at))
            .where(
                PlayedRoutine.user_id.in_(users),
                # Also one recorded with "done", or started and left to expire.
                recorded_routine(),
                PlayedRoutine.ended_at.is_not(None),
            )
            .group_by(PlayedRoutine.user_id)
        )
        return {user_id: at for user_id, at in (await s.execute(stmt)).all() if at is not None}

    async def _answer_of(self, s: AsyncSession, user_id: int, day: date) -> MorningPain | None:
        return await s.get(MorningPain, (user_id, day))

    async def record(
        self, results: list[tuple[PushJob, SendResult]], report: Report | None = None
    ) -> None:
        """Store how each send ended; users who blocked the bot become inactive."""
        if not results:
            return
        now = self.clock.now()
        async with self._writer, self.sessions.begin() as s:
            await s.execute(
                _RECORD,
                [
                    {
                        "b_id": job.push_id,
                        "b_status": result.outcome.value,
                        "b_finished_at": now,
                        "b_attempts": result.attempts,
                        "b_message_id": result.message_id,
                        "b_error": result.error[:64] if result.error else None,
                    }
                    for job, result in results
                ],
            )
            blocked = {job.user_id for job, r in results if r.outcome is Outcome.BLOCKED}
            if blocked:
                await s.execute(update(User).where(User.id.in_(blocked)).values(active=False))
        if report is not None:
            for _job, result in results:
                name = result.outcome.value
                setattr(report, name, getattr(report, name) + 1)

    async def sweep_stale(self) -> int:
        """Give back claims a dead process never sent; mark pushes it left "sending" as
        "unknown" (never resent), and count those."""
        now = self.clock.now()
        async with self._writer, self.sessions.begin() as s:
            given_back = await s.execute(
                update(Push)
                .where(Push.status == CLAIMED, Push.claimed_at < now - CLAIM_STALE)
                .values(status="pending")
                .execution_options(synchronize_session=False)
            )
            back = int(given_back.rowcount)  # type: ignore[attr-defined]
            if back:
                log.warning("%s claimed pushes were never sent; sending them now", back)
            stmt = (
                update(Push)
                .where(Push.status == "sending", Push.claimed_at < now - STALE_AFTER)
                .values(status="unknown", error="interrupted", finished_at=now)
                .returning(Push.user_id, Push.local_date, Push.kind)
                .execution_options(synchronize_session=False)
            )
            rows = (await s.execute(stmt)).all()
        for user_id, day, kind in rows:
            log.warning(
                "%s push to user %s for %s was interrupted mid-send; not resending",
                kind,
                user_id,
                day,
            )
        return len(rows)

    # ----------------------------------------------------------------- the user's answers

    async def answer(self, user_id: int, push_id: int, action: Action) -> Answer:
        """Start now, snooze 30/60 minutes (one reminder per day) or skip today."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            push = await self._own_morning(s, user_id, push_id)
            if push is None:
                return Answer(Reply.NOT_FOUND)
            user = await s.get(User, user_id)
            assert user is not None
            if not self._is_today(user, push, now):
                return Answer(Reply.STALE)
            reminder = await s.scalar(
                select(Push).where(Push.parent_id == push.id).with_for_update()
            )
            repeated = _answered_so(push, reminder, action)
            if action in _SNOOZE_MINUTES:
                if repeated:
                    assert reminder is not None
                    return Answer(Reply.SNOOZED, self._local(user, reminder.due_at), repeated)
                if reminder is not None and reminder.status not in ("pending", "cancelled"):
                    return Answer(Reply.ALREADY_REMINDED)
                at = snooze(now, _SNOOZE_MINUTES[action])
                if reminder is None:
                    s.add(
                        Push(
                            user_id=user_id,
                            local_date=push.local_date,
                            kind="reminder",
                            parent_id=push.id,
                            due_at=at,
                            status="pending",
                            attempts=0,
                            asked_pain=False,
                        )
                    )
                else:
                    reminder.status, reminder.due_at = "pending", at
                push.response, push.responded_at = Reply.SNOOZED.value, now
                return Answer(Reply.SNOOZED, remind_at=self._local(user, at))
            reply = Reply.STARTED if action is Action.START else Reply.SKIPPED
            if repeated:
                return Answer(reply, repeated=True)
            if reminder is not None and reminder.status == "pending":
                reminder.status = "cancelled"
            push.response, push.responded_at = reply.value, now
            return Answer(reply)

    async def morning_pain(self, user_id: int, push_id: int, pain: int) -> Card | Rested | Answer:
        """Record the 0–10 morning answer (the first one of the day counts).

        Under a morning push the answer opens the routine card; under a rest-day check it is
        only recorded, for the plan's next-morning rule.
        """
        _check_pain(pain)
        now = self.clock.now()
        async with self.sessions.begin() as s:
            push = await self._own_morning(s, user_id, push_id, kinds=_ASKING)
            if push is None:
                return Answer(Reply.NOT_FOUND)
            user = await s.get(User, user_id)
            assert user is not None
            if not self._is_today(user, push, now):
                return Answer(Reply.STALE)
            return await self._record_pain(s, user, push, pain, now)

    async def typed_morning_pain(self, user_id: int, pain: int) -> TypedPain | None:
        """Record a typed 0–10 answer to today's open morning question; None if none is open.

        Open: a morning push that asked, or a rest-day check, for today's local date, sent
        (or maybe sent) and not answered yet. A redelivered message finds it answered: None.
        """
        _check_pain(pain)
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id)
            if user is None:
                return None
            today = self._local(user, now).date()
            push = await s.scalar(
                select(Push)
                .where(
                    Push.user_id == user_id,
                    Push.local_date == today,
                    Push.kind.in_(_ASKING),
                    Push.asked_pain.is_(True),
                    # "unknown": the request left and may have arrived; the user's answer says so.
                    Push.status.in_((Outcome.SENT.value, Outcome.UNKNOWN.value)),
                )
                .order_by(Push.id.desc())
                .limit(1)
                # The same row lock as a button answer, so the two cannot both count.
                .with_for_update()
            )
            if push is None or await self._answer_of(s, user_id, today) is not None:
                return None
            return TypedPain(await self._record_pain(s, user, push, pain, now), push.message_id)

    async def _record_pain(
        self, s: AsyncSession, user: User, push: Push, pain: int, now: datetime
    ) -> Card | Rested:
        """Store the day's answer unless one is there; say what the asking push turns into."""
        stored = await self._answer_of(s, user.id, push.local_date)
        if stored is None:
            stored = MorningPain(user_id=user.id, local_date=push.local_date, pain=pain, at=now)
            s.add(stored)
            await pain_stream.record(
                s,
                user.id,
                at=now,
                local_date=push.local_date,
                kind=ReportKind.MORNING,
                value=pain,
                source=Source.REST_DAY_QUESTION if push.kind == CHECK else Source.MORNING_QUESTION,
            )
        if push.kind == CHECK:
            push.response, push.responded_at = push.response or "answered", now
            nxt = self._local(user, user.next_due_at) if user.next_due_at else None
            return Rested(push.id, user.first_name, stored.pain, nxt)
        [preview] = await self.preview(s, [(user, stored.pain, push.local_date)])
        return Card(push.id, user.first_name, stored.pain, preview, push.response is None)

    async def _own_morning(
        self, s: AsyncSession, user_id: int, push_id: int, *, kinds: frozenset[str] = _MORNING
    ) -> Push | None:
        push = await s.get(Push, push_id, with_for_update=True)
        if push is None or push.user_id != user_id or push.kind not in kinds:
            return None
        return push

    def _is_today(self, user: User, push: Push, now: datetime) -> bool:
        """Buttons act on today's push only; yesterday's message is history."""
        return user.tz is None or push.local_date == now.astimezone(ZoneInfo(user.tz)).date()

    @staticmethod
    def _local(user: User, when: datetime) -> datetime:
        return when.astimezone(ZoneInfo(user.tz)) if user.tz else when

    # ----------------------------------------------------------------- pause and resume

    async def pause(self, user_id: int, choice: PauseChoice) -> PauseState:
        """Hold pushes for a day, three days, a week or until /resume; drop pending reminders."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is None or not _scheduled(user):
                return PauseState(scheduled=False)
            assert user.tz is not None
            held = pause_until(now, choice, user.tz)
            user.paused_until, user.paused_indefinitely = held.until, held.indefinite
            await s.execute(
                update(Push)
                .where(Push.user_id == user_id, Push.status == "pending")
                .values(status="cancelled")
                .execution_options(synchronize_session=False)
            )
            await refresh_next_due(s, user, now)
            return self._state(user)

    async def resume(self, user_id: int) -> PauseState:
        """End any pause; the next chosen morning gets its push."""
        now = self.clock.now()
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is None or not _scheduled(user):
                return PauseState(scheduled=False)
            was_paused = self._state(user).paused
            user.paused_until, user.paused_indefinitely = None, False
            await refresh_next_due(s, user, now)
            state = self._state(user)
            return PauseState(True, paused=False, was_paused=was_paused, next_push=state.next_push)

    async def refresh(self, user_id: int) -> None:
        """refresh_next_due in a transaction of its own (for callers outside one)."""
        async with self.sessions.begin() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is not None:
                await refresh_next_due(s, user, self.clock.now())

    def _state(self, user: User) -> PauseState:
        now = self.clock.now()
        paused = user.paused_indefinitely or (
            user.paused_until is not None and user.paused_until > now
        )
        until = self._local(user, user.paused_until) if paused and user.paused_until else None
        nxt = self._local(user, user.next_due_at) if user.next_due_at else None
        return PauseState(scheduled=True, paused=paused, until=until, next_push=nxt)


def _job(
    push_id: int,
    morning_id: int,
    user: User,
    day: date,
    kind: str,
    claimed_at: datetime,
    *,
    ask_pain: bool = False,
) -> PushJob:
    """A push to send; a routine preview, if it shows one, is added afterwards in a batch."""
    return PushJob(
        push_id=push_id,
        morning_id=morning_id,
        user_id=user.id,
        chat_id=user.chat_id,
        first_name=user.first_name,
        local_date=day,
        kind=kind,
        ask_pain=ask_pain,
        preview=None,
        claimed_at=claimed_at,
    )


def _answered_so(push: Push, reminder: Push | None, action: Action) -> bool:
    """Whether the push already has this answer: a second tap on the same button.

    A snooze is the same one when its reminder still waits for the time that tap set.
    """
    if action in _SNOOZE_MINUTES:
        return (
            push.response == Reply.SNOOZED.value
            and push.responded_at is not None
            and reminder is not None
            and reminder.status == "pending"
            and reminder.due_at == snooze(push.responded_at, _SNOOZE_MINUTES[action])
        )
    answer = Reply.STARTED if action is Action.START else Reply.SKIPPED
    return push.response == answer.value


def _check_pain(pain: int) -> None:
    if not 0 <= pain <= 10:
        raise ValueError(f"pain must be 0..10, got {pain}")


def _scheduled(user: User) -> bool:
    return (
        user.onboarded_at is not None
        and bool(user.days_mask)
        and user.push_time is not None
        and user.tz is not None
    )

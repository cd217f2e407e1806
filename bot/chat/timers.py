"""Hold and rest timers in the chat: when their ends fire, and the countdown on the card.

A timer is a database row (see bot.services.player); nothing here must survive a crash.

* Ends: each pending timer gets a PTB JobQueue ``run_once`` at its due time. A sweep at
  start-up and every ``SWEEP_EVERY`` seconds loads pending timers from the database, so one
  that fell due while the process was down fires now (or is reported missed), and one that
  another instance scheduled is never lost. The service claims a timer with a conditional
  UPDATE, so a second schedule (or a second instance) is harmless.
* Countdown: best effort. A job every ``TICK`` seconds edits running cards, at most once per
  chat every ``countdown_every`` (3 s or more), never within a second of another message to
  that chat, and only while the bot-wide send budget has room: end messages and the user's
  own taps always go first, so they never queue behind countdown edits in the rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Job

from bot.chat import render_player as render
from bot.chat.context import SERVICES_KEY, App, Ctx
from bot.chat.jobs import watch_of
from bot.domain import player as pl
from bot.services import Services
from bot.services.clock import Clock
from bot.services.player import Reply, Result, Snapshot, TimerInfo
from bot.texts import t

log = logging.getLogger(__name__)

RUNTIME_KEY = "player_runtime"
TICK = 0.5  # seconds between countdown passes
SWEEP_EVERY = 10.0  # seconds between database sweeps for pending timers
SWEEP_AHEAD = timedelta(seconds=15)  # a sweep schedules timers due this soon
# A live process rings a timer's bell a moment after firing it; one still owed after this
# long belonged to a process that died in between.
OWED_AFTER = timedelta(seconds=5)
MIN_EDIT_GAP = timedelta(seconds=3)  # a chat's card is edited at most this often by timers
MESSAGE_GAP = timedelta(seconds=1)  # Telegram's per-chat pace: about one message a second
LAST_SECOND = timedelta(seconds=1.5)  # no countdown edit this close to the end message
BUDGET_SHARE = 0.8  # of the bot-wide rate the player may use; pushes keep the rest


class EditBudget:
    """A token bucket over the bot's sends: must-sends always go, countdown edits need room."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = rate
        # Countdown edits leave this much in the bucket for end messages and taps.
        self.reserve = rate / 3
        self.tokens = rate
        self._clock = clock
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def spend(self) -> None:
        """Count a send that goes regardless (an end message, an answer to a tap)."""
        self._refill()
        self.tokens = max(self.tokens - 1, -self.capacity)

    def try_spend(self) -> bool:
        """Take a token for an optional send, if the bucket has room above the reserve."""
        self._refill()
        if self.tokens >= 1 + self.reserve:
            self.tokens -= 1
            return True
        return False


@dataclass
class LiveCard:
    """A card on screen whose countdown (or pending change) this process keeps up to date."""

    snap: Snapshot
    message_id: int
    shown: str | None = None
    dirty: bool = False
    bare: bool = False  # redraw without buttons: a newer message carries them

    @property
    def running(self) -> bool:
        """Whether a timer counts down on this card."""
        return self.snap.state.phase is pl.Phase.RUNNING and self.snap.timer is not None


@dataclass
class CardEditor:
    """Edits cards with Telegram's per-chat pace and the send budget in mind."""

    bot: Bot
    clock: Clock
    budget: EditBudget
    cards: dict[int, LiveCard] = field(default_factory=dict)
    last_edit: dict[int, datetime] = field(default_factory=dict)
    last_message: dict[int, datetime] = field(default_factory=dict)
    edits: int = 0
    _busy: set[int] = field(default_factory=set)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def track(self, snap: Snapshot, message_id: int, shown: str | None = None) -> None:
        """Keep this card's countdown going (only running timers are kept)."""
        if snap.state.phase is pl.Phase.RUNNING and snap.timer is not None:
            self.cards[snap.routine_id] = LiveCard(snap, message_id, shown)
        else:
            self.cards.pop(snap.routine_id, None)

    def forget(self, routine_id: int) -> None:
        """Stop editing this routine's card (the user's own action redraws it)."""
        self.cards.pop(routine_id, None)

    def sent(self, chat_id: int) -> None:
        """Note a message just sent to this chat (edits keep a second away from it)."""
        self.last_message[chat_id] = self.clock.now()
        self.budget.spend()

    def changed(self, snap: Snapshot, *, bare: bool = False) -> None:
        """A timer moved the card on: redraw it as soon as the chat's pace allows."""
        card = self.cards.get(snap.routine_id)
        message_id = card.message_id if card is not None else snap.message_id
        if message_id is None:
            return
        self.cards[snap.routine_id] = LiveCard(snap, message_id, None, dirty=True, bare=bare)
        self.start_due()

    async def edit_now(
        self, snap: Snapshot, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        """A redraw the user asked for by tapping: not held back, but counted."""
        self.budget.spend()
        await self._edit(snap.chat_id, message_id, text, markup)
        self.track(snap, message_id, shown=text)

    async def tick(self) -> None:
        """Start every countdown edit that is due; wait for them (tests and the bench)."""
        self.start_due()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def start_due(self) -> None:
        """Start the countdown edits that are due now, without waiting for them."""
        now = self.clock.now()
        if len(self.last_message) + len(self.last_edit) > 4 * len(self.cards) + 2000:
            self._prune(now)
        never = datetime.min.replace(tzinfo=now.tzinfo)
        # A card the timer moved on goes first, then the one shown longest ago: when the
        # budget is short every countdown still moves now and then, none starves.
        waiting = sorted(
            self.cards.values(),
            key=lambda c: (not c.dirty, self.last_edit.get(c.snap.chat_id, never)),
        )
        for card in waiting:
            chat = card.snap.chat_id
            if chat in self._busy or not self._due(card, now):
                continue
            if not self.budget.try_spend():
                return
            self._busy.add(chat)
            task = asyncio.get_running_loop().create_task(self._redraw(card))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _prune(self, now: datetime) -> None:
        """Forget the pace of chats that have been quiet for a minute (memory stays bounded)."""
        live = {card.snap.chat_id for card in self.cards.values()}
        for seen in (self.last_edit, self.last_message):
            for chat, at in list(seen.items()):
                if chat not in live and now - at > timedelta(minutes=1):
                    del seen[chat]

    def _due(self, card: LiveCard, now: datetime) -> bool:
        chat = card.snap.chat_id
        gap = MIN_EDIT_GAP
        if card.running:
            assert card.snap.timer is not None
            gap = max(gap, timedelta(seconds=pl.countdown_every(card.snap.timer.seconds)))
            if card.snap.timer.due_at - now < LAST_SECOND:
                return False
        elif not card.dirty:
            return False
        last = self.last_edit.get(chat)
        if last is not None and now - last < gap:
            return False
        message = self.last_message.get(chat)
        return message is None or now - message >= MESSAGE_GAP

    async def _redraw(self, card: LiveCard) -> None:
        chat = card.snap.chat_id
        try:
            text, markup = render.view(card.snap, self.clock.now())
            if card.bare:
                markup = None
            if text != card.shown:
                await self._edit(chat, card.message_id, text, markup)
            card.shown, card.dirty = text, False
            if not card.running and self.cards.get(card.snap.routine_id) is card:
                del self.cards[card.snap.routine_id]
        finally:
            self._busy.discard(chat)

    async def _edit(
        self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
    ) -> None:
        self.last_edit[chat_id] = self.clock.now()
        self.edits += 1
        try:
            await self.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                log.info("card edit in chat %s refused: %s", chat_id, exc.message)
        except RetryAfter as exc:
            log.warning("card edit in chat %s rate limited (%s)", chat_id, exc.retry_after)
        except Forbidden:
            log.info("chat %s blocked the bot; countdown stopped", chat_id)
        except TelegramError as exc:
            log.warning("card edit in chat %s failed: %s", chat_id, type(exc).__name__)


@dataclass
class Runtime:
    """This process's timer jobs and live cards (rebuilt from the database on start-up)."""

    editor: CardEditor
    scheduled: dict[int, Job[Ctx]] = field(default_factory=dict)
    fired: int = 0


def runtime(app: App) -> Runtime:
    """The player's runtime of this Application."""
    found: Runtime = app.bot_data[RUNTIME_KEY]
    return found


def _services(app: App) -> Services:
    services: Services = app.bot_data[SERVICES_KEY]
    return services


def install(app: App) -> None:
    """Set up the runtime and the jobs: restore at start-up, the sweep, the countdown."""
    services = _services(app)
    budget = EditBudget(services.settings.push_rate * BUDGET_SHARE)
    app.bot_data[RUNTIME_KEY] = Runtime(CardEditor(app.bot, services.clock, budget))
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot[job-queue] is needed for the routine timers")
    quiet = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    app.job_queue.run_once(
        _restore_job, when=0.1, name="player-restore", job_kwargs={"misfire_grace_time": None}
    )
    app.job_queue.run_repeating(
        _sweep_job, interval=SWEEP_EVERY, first=SWEEP_EVERY, name="player-sweep", job_kwargs=quiet
    )
    app.job_queue.run_repeating(
        _tick_job, interval=TICK, first=TICK, name="player-countdown", job_kwargs=quiet
    )


def _app(context: Ctx) -> App:
    # Ctx is the context type this Application was built with (see bot.app).
    return cast(App, context.application)


async def _restore_job(context: Ctx) -> None:
    app = _app(context)
    await watch_of(app).run(_services(app), lambda: restore(app))


async def _sweep_job(context: Ctx) -> None:
    # A database outage is said once, not with a traceback every sweep (bot.chat.jobs).
    app = _app(context)
    await watch_of(app).run(_services(app), lambda: sweep(app))


async def _tick_job(context: Ctx) -> None:
    runtime(_app(context)).editor.start_due()


async def _fire_job(context: Ctx) -> None:
    job = context.job
    assert job is not None and isinstance(job.data, int)
    app, timer_id = _app(context), job.data
    await watch_of(app).run(_services(app), lambda: fire(app, timer_id))


def schedule(app: App, info: TimerInfo) -> None:
    """Ask the JobQueue to fire this timer at its due time (once per process)."""
    rt = runtime(app)
    if info.timer_id in rt.scheduled or app.job_queue is None:
        return
    delay = max(0.0, (info.due_at - _services(app).clock.now()).total_seconds())
    rt.scheduled[info.timer_id] = app.job_queue.run_once(
        _fire_job,
        when=delay,
        data=info.timer_id,
        name=f"timer-{info.timer_id}",
        # A late job (a busy loop) must still run: APScheduler's default grace is 1 s.
        job_kwargs={"misfire_grace_time": None},
    )


def unschedule(app: App, timer_id: int) -> None:
    """Drop a cancelled timer's job (it would find nothing to fire anyway)."""
    job = runtime(app).scheduled.pop(timer_id, None)
    if job is not None:
        job.schedule_removal()


async def fire(app: App, timer_id: int) -> Result:
    """Fire one timer through the service and show what it changed."""
    rt = runtime(app)
    rt.scheduled.pop(timer_id, None)
    result = await _services(app).player.fire(timer_id)
    if result.reply is Reply.NOT_DUE and result.due is not None:
        schedule(app, result.due)
    elif result.reply is Reply.BLOCKED and result.snapshot is not None:
        rt.editor.forget(result.snapshot.routine_id)
        await _send(app, result.snapshot.chat_id, t("player.safety_stopped"))
    elif result.reply is Reply.OK:
        rt.fired += 1
        # Claimed first, so the bell goes out once even if a sweep finds it owed meanwhile.
        if await _services(app).player.claim_release(timer_id):
            await present_fired(app, result)
    return result


async def announce_owed(app: App) -> int:
    """Ring the bells a dead process owed (it fired the timer, then died before the bell):
    a short late bell and the card where the routine stands. Returns how many."""
    services = _services(app)
    rung = 0
    for timer_id, snap in await services.player.owed_releases(services.clock.now() - OWED_AFTER):
        if not await services.player.claim_release(timer_id):
            continue  # another worker rang it
        runtime(app).editor.forget(snap.routine_id)
        if snap.message_id is not None:
            await strip(app, snap.chat_id, snap.message_id)  # the card below moves on
        await _send(app, snap.chat_id, t("player.release_late"))
        await send_view(app, snap)
        rung += 1
    return rung


async def present_fired(app: App, result: Result) -> None:
    """The end of a hold or rest: the short new message, then the card moves on."""
    snap, step = result.snapshot, result.step
    assert snap is not None and step is not None
    editor = runtime(app).editor
    last = step.notice is not None and step.notice.kind is pl.NoticeKind.LAST
    if step.notice is not None and last:
        # The last release carries the card's buttons, so "Done" is under the message the
        # phone just showed; the card itself is redrawn without them when the pace allows.
        text = render.notice(step.notice, snap)
        editor.sent(snap.chat_id)
        message = await app.bot.send_message(snap.chat_id, text, reply_markup=render.buttons(snap))
        await _services(app).player.attach(snap.routine_id, snap.version, message.message_id)
        editor.changed(snap, bare=True)
        return
    if step.notice is not None:
        await _send(app, snap.chat_id, render.notice(step.notice, snap))
    if step.new_card:
        editor.forget(snap.routine_id)
        if result.previous_message_id is not None:
            await strip(app, snap.chat_id, result.previous_message_id)
        await send_view(app, snap, step)
    else:
        editor.changed(snap)
    if step.timer_ms is not None and snap.timer is not None:
        schedule(app, snap.timer)


async def _send(app: App, chat_id: int, text: str) -> None:
    editor = runtime(app).editor
    editor.sent(chat_id)
    try:
        await app.bot.send_message(chat_id, text)
    except Forbidden:
        log.info("chat %s blocked the bot; timer message not delivered", chat_id)
    except TelegramError as exc:
        log.warning("timer message to chat %s failed: %s", chat_id, type(exc).__name__)


async def send_view(app: App, snap: Snapshot, step: pl.Step | None = None) -> None:
    """Show the routine's current phase as a new message and make its buttons the live ones."""
    services = _services(app)
    text, markup = render.view(snap, services.clock.now(), step)
    editor = runtime(app).editor
    editor.sent(snap.chat_id)
    message = await app.bot.send_message(snap.chat_id, text, reply_markup=markup)
    await services.player.attach(snap.routine_id, snap.version, message.message_id)
    editor.track(snap, message.message_id, shown=text)


async def strip(app: App, chat_id: int, message_id: int) -> None:
    """Take the buttons off a message that is no longer live (quietly: it may be gone)."""
    runtime(app).editor.budget.spend()
    try:
        await app.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except TelegramError as exc:
        log.debug("could not clear old buttons in chat %s: %s", chat_id, type(exc).__name__)


async def restore(app: App) -> int:
    """Start-up: countdowns of running timers come back, and due timers fire; returns fired."""
    editor = runtime(app).editor
    for snap in await _services(app).player.running():
        if snap.message_id is not None:
            editor.track(snap, snap.message_id)
    return await sweep(app)


async def sweep(app: App) -> int:
    """Fire every pending timer that is due, schedule those due soon, and ring the bells a
    dead process owed. Returns how many fired."""
    services = _services(app)
    await announce_owed(app)
    now = services.clock.now()
    fired = 0
    for info in await services.player.pending_timers(now + SWEEP_AHEAD):
        if info.due_at <= services.clock.now():
            result = await fire(app, info.timer_id)
            fired += result.reply is Reply.OK
        else:
            schedule(app, info)
    return fired

"""The periodic jobs (push tick, housekeeping) via PTB's JobQueue, and how one push is sent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from telegram import Bot
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Job

from bot.chat import render_pushes as render
from bot.chat.context import SERVICES_KEY, App, Ctx
from bot.chat.metrics import metrics_of
from bot.chat.resilience import surely_not_applied
from bot.services import Services
from bot.services.pushes import Outcome, PushJob, Report, SendResult

log = logging.getLogger(__name__)

JOB_NAME = "pushes"
HOUSEKEEPING_JOB = "housekeeping"
OUTAGE_KEY = "db_outage"
_GONE = ("chat not found", "user is deactivated", "bot was blocked")


@dataclass(frozen=True, slots=True)
class SendPolicy:
    """Retries for sends that surely did not reach Telegram (on top of the rate limiter's).

    The bot's HTTP client (`RetryingRequest`) retries such sends too, by the same rule
    (`surely_not_applied`): neither layer repeats a send whose answer was lost, so together
    they may try more often, never deliver twice.
    """

    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry, doubled each time
    max_delay: float = 60.0


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_push(bot: Bot, job: PushJob, policy: SendPolicy = SendPolicy()) -> SendResult:
    """Send one push; never raises, so one user's failure cannot stop the others."""
    text, markup = render.push(job)
    error = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            message = await bot.send_message(job.chat_id, text, reply_markup=markup)
        except Forbidden as exc:
            return SendResult(Outcome.BLOCKED, attempts=attempt, error=exc.message)
        except BadRequest as exc:
            gone = any(reason in exc.message.lower() for reason in _GONE)
            outcome = Outcome.BLOCKED if gone else Outcome.FAILED
            return SendResult(outcome, attempts=attempt, error=exc.message)
        except RetryAfter as exc:
            # The rate limiter already waited and retried; keep honouring Telegram's pause.
            delay, error = _seconds(exc.retry_after), "RetryAfter"
        except NetworkError as exc:
            if not surely_not_applied(exc):
                log.warning("push %s: no answer from Telegram, not resending", job.push_id)
                return SendResult(Outcome.UNKNOWN, attempts=attempt, error=type(exc).__name__)
            delay, error = policy.backoff * 2 ** (attempt - 1), exc.message
        except TelegramError as exc:
            return SendResult(Outcome.FAILED, attempts=attempt, error=exc.message)
        except Exception as exc:
            log.exception("push %s: unexpected failure", job.push_id)
            return SendResult(Outcome.FAILED, attempts=attempt, error=type(exc).__name__)
        else:
            return SendResult(Outcome.SENT, message_id=message.message_id, attempts=attempt)
        if attempt < policy.attempts:
            await asyncio.sleep(min(delay, policy.max_delay))
    log.warning("push %s failed after %s attempts: %s", job.push_id, policy.attempts, error)
    return SendResult(Outcome.FAILED, attempts=policy.attempts, error=error)


async def run_pushes(
    app: App,
    *,
    keep_going: Callable[[], bool] = lambda: True,
    policy: SendPolicy = SendPolicy(),
) -> Report:
    """Send everything due now through the app's bot (and its rate limiter)."""
    services: Services = app.bot_data[SERVICES_KEY]
    metrics = metrics_of(app.bot_data)

    async def send(job: PushJob) -> SendResult:
        result = await send_push(app.bot, job, policy)
        metrics.push_result(job.kind, result.outcome.value, result.attempts)
        return result

    report = await services.pushes.run_due(send, keep_going=keep_going)
    metrics.pushes_dropped(report.dropped)
    if report.total or report.interrupted:
        log.info(
            "pushes: %s sent, %s blocked, %s failed, %s unknown, %s dropped, %s interrupted",
            report.sent,
            report.blocked,
            report.failed,
            report.unknown,
            report.dropped,
            report.interrupted,
        )
    return report


class DatabaseWatch:
    """Says once that the database is gone and once that it is back, not a traceback a tick."""

    def __init__(self) -> None:
        self.down = False

    async def run(self, services: Services, work: Callable[[], Awaitable[object]]) -> None:
        """Run one job's work; a failure while the database is unreachable is an outage."""
        try:
            await work()
        except Exception as exc:
            if await services.db_ok():
                raise  # the database answers: a real bug, for the error handler
            if not self.down:
                self.down = True
                log.error("database unreachable (%s); jobs retry every tick", type(exc).__name__)
            return
        if self.down:
            self.down = False
            log.warning("database reachable again; jobs resumed")


def watch_of(app: App) -> DatabaseWatch:
    """The process's one outage tracker, shared by every job."""
    watch: DatabaseWatch = app.bot_data.setdefault(OUTAGE_KEY, DatabaseWatch())
    return watch


class PushTick:
    """The job callback: one tick at a time per process, stopping with the application."""

    def __init__(self, policy: SendPolicy = SendPolicy()) -> None:
        self.policy = policy
        self._running = asyncio.Lock()

    async def __call__(self, context: Ctx) -> None:
        """Send what is due; a tick still busy with a long fan-out makes the next one a no-op."""
        if self._running.locked():
            return
        # Ctx is the context type this Application was built with (see bot.app).
        app = cast(App, context.application)
        if context.job is not None and context.job.next_t is not None:
            # APScheduler has already moved next_t on by one interval when this runs.
            interval = app.bot_data[SERVICES_KEY].settings.tick_seconds
            late = datetime.now(UTC) - context.job.next_t + timedelta(seconds=interval)
            metrics_of(app.bot_data).timer_fired("push_tick", late.total_seconds())
        async with self._running:
            await watch_of(app).run(
                app.bot_data[SERVICES_KEY],
                lambda: run_pushes(app, keep_going=lambda: app.running, policy=self.policy),
            )


def schedule_pushes(app: App) -> Job[Ctx]:
    """Start the one repeating push job; its cost does not depend on the number of users."""
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot[job-queue] is needed for the push tick")
    services: Services = app.bot_data[SERVICES_KEY]
    return app.job_queue.run_repeating(
        PushTick(),
        interval=services.settings.tick_seconds,
        # Soon after start: pushes that fell due while the bot was down go out first.
        first=min(1.0, services.settings.tick_seconds),
        name=JOB_NAME,
        # Our own lock skips a tick that overlaps a long fan-out; max_instances=2 lets that
        # happen quietly instead of APScheduler logging a warning every tick.
        job_kwargs={"max_instances": 2, "coalesce": True, "misfire_grace_time": None},
    )


async def housekeep(app: App) -> None:
    """Forget records past the retention: handled updates and finished timers."""
    services: Services = app.bot_data[SERVICES_KEY]
    keep = timedelta(days=services.settings.retention_days)
    updates = await services.users.forget_old_deliveries(keep)
    timers = await services.users.forget_old_timers(keep)
    if updates or timers:
        log.info("housekeeping: %s handled updates, %s timers forgotten", updates, timers)


async def _housekeeping_job(context: Ctx) -> None:
    app = cast(App, context.application)
    await watch_of(app).run(app.bot_data[SERVICES_KEY], lambda: housekeep(app))


def schedule_housekeeping(app: App, every: float) -> Job[Ctx]:
    """Start the one repeating job that prunes log-like tables; the first run soon after start."""
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot[job-queue] is needed for housekeeping")
    return app.job_queue.run_repeating(
        _housekeeping_job,
        interval=every,
        first=min(60.0, every),
        name=HOUSEKEEPING_JOB,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )

"""/progress (the chart or a sentence), the weekly summary's tick, and its day in /settings."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, Job, filters

from bot.chat import render_progress as render
from bot.chat.callbacks import acknowledge, edit_in_place, settle
from bot.chat.context import SERVICES_KEY, App, Ctx
from bot.chat.jobs import watch_of
from bot.chat.keyboards import chunked, keyboard
from bot.services import Services
from bot.services.weekly import Outcome, SummaryJob
from bot.texts import t

log = logging.getLogger(__name__)

PREFIX = "wk"
ASK, OFF = "ask", "off"
JOB_NAME = "weekly-summaries"
# Summaries go out at 18:00 local time; a minute's delay is nothing for a weekly message.
TICK_SECONDS = 60.0
_GONE = ("chat not found", "user is deactivated", "bot was blocked")


# --------------------------------------------------------------------------- /progress


async def on_progress(update: Update, context: Ctx) -> None:
    """/progress: pain over the last weeks, routines per week, the streak and the change."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    data = await context.services.progress.chart(user.id)
    if data is None:
        await message.reply_text(t("progress.not_set_up"))
        return
    if not data.enough:
        await message.reply_text(render.too_little(data))
        return
    await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
    # Drawing takes a few hundred milliseconds of CPU: keep it off the event loop.
    # Imported on first use: matplotlib costs most of the bot's start-up time and memory,
    # and only /progress needs it.
    from bot.chat.charts import progress_png

    png = await asyncio.to_thread(progress_png, data)
    await message.reply_photo(InputFile(png, filename="progress.png"), caption=render.caption(data))


# --------------------------------------------------------------------------- settings


def add_to_settings(menu: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """The /settings menu with a "weekly summary" button above Close."""
    rows = list(menu.inline_keyboard)
    button = keyboard([[(t("progress.settings_button"), f"{PREFIX}:{ASK}")]]).inline_keyboard
    return InlineKeyboardMarkup([*rows[:-1], *button, *rows[-1:]])


async def on_summary_button(update: Update, context: Ctx) -> None:
    """The weekly summary button in /settings, and the day (or "off") chosen after it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    await acknowledge(query)
    if not isinstance(message, Message) or message.chat.id != query.from_user.id:
        return
    user_id, value = query.from_user.id, query.data.partition(":")[2]
    weekly = context.services.weekly
    if value == ASK:
        # The settings menu closes: the day menu takes its place (once, for the first press).
        await context.services.onboarding.cancel(user_id)
        if await settle(query):
            await _ask_day(message, (await weekly.choice(user_id)).weekday)
        return
    if value != OFF and not (value.isdigit() and 0 <= int(value) <= 6):
        return
    chosen = await weekly.choose(user_id, None if value == OFF else int(value))
    # The day menu becomes the answer: a second tap makes the same edit, which is no change.
    if chosen is None:
        text = t("progress.not_set_up")
    elif chosen.weekday is None:
        text = t("progress.settings_saved_off")
    else:
        text = t("progress.settings_saved", day=render.WEEKDAYS[chosen.weekday])
    await edit_in_place(query, text)


async def _ask_day(message: Message, current: int | None) -> None:
    days = [(name, f"{PREFIX}:{n}") for n, name in enumerate(render.WEEKDAYS)]
    rows = [*chunked(days, 3)]
    if current is not None:
        rows.append([(t("progress.btn_off"), f"{PREFIX}:{OFF}")])
        text = t("progress.settings_ask", current=f"{render.WEEKDAYS[current]}s")
    else:
        text = t("progress.settings_ask_off")
    await message.reply_text(text, reply_markup=keyboard(rows))


# --------------------------------------------------------------------------- the tick


async def send_summary(bot: Bot, job: SummaryJob) -> tuple[Outcome, int | None]:
    """Send one summary; never raises, so one user's failure cannot stop the others."""
    text = render.weekly(job.numbers, job.changes)
    try:
        sent = await bot.send_message(job.chat_id, text)
    except Forbidden:
        return Outcome.BLOCKED, None
    except BadRequest as exc:
        gone = any(reason in exc.message.lower() for reason in _GONE)
        return (Outcome.BLOCKED if gone else Outcome.FAILED), None
    except NetworkError:
        # It may have arrived; a summary is never sent twice, so it is not retried.
        return Outcome.UNKNOWN, None
    except TelegramError:
        return Outcome.FAILED, None
    return Outcome.SENT, sent.message_id


async def run_summaries(app: App, *, enrol: bool = True) -> int:
    """Enrol users onboarded without settings (if asked), then send what is due; count sent."""
    services: Services = app.bot_data[SERVICES_KEY]
    weekly = services.weekly
    while enrol and await weekly.enrol():
        pass
    sent = 0
    while jobs := await weekly.claim():
        results = [(job, *await send_summary(app.bot, job)) for job in jobs]
        await weekly.record(results)
        sent += sum(1 for _job, outcome, _id in results if outcome is Outcome.SENT)
    if sent:
        log.info("weekly summaries: %s sent", sent)
    return sent


class SummaryTick:
    """The job callback: one tick at a time per process."""

    def __init__(self) -> None:
        self._running = asyncio.Lock()
        # Onboarding enrols users itself; the first run after a start catches up on the rest.
        self._enrolled = False

    async def __call__(self, context: Ctx) -> None:
        """Send what is due; a tick still busy makes the next one a no-op."""
        if self._running.locked():
            return
        app = cast(App, context.application)

        async def tick() -> None:
            await run_summaries(app, enrol=not self._enrolled)
            self._enrolled = True

        async with self._running:
            # A database outage is said once, not with a traceback every tick (bot.chat.jobs).
            await watch_of(app).run(app.bot_data[SERVICES_KEY], tick)


def schedule_summaries(app: App) -> Job[Ctx]:
    """Start the one repeating weekly-summary job."""
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot[job-queue] is needed for the summary tick")
    return app.job_queue.run_repeating(
        SummaryTick(),
        interval=TICK_SECONDS,
        first=5.0,
        name=JOB_NAME,
        job_kwargs={"max_instances": 2, "coalesce": True, "misfire_grace_time": None},
    )


def handlers() -> list[BaseHandler[Update, Ctx, None]]:
    """The progress handlers, to sit in the main group before the catch-all text handlers."""
    return [
        CommandHandler("progress", on_progress, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_summary_button, pattern=rf"^{PREFIX}:"),
    ]

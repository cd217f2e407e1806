"""/progress through the real Application, and in `backcoach shell`, on both databases."""

from __future__ import annotations

import asyncio
import os
import re
import struct
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from pain_kit import with_stream
from test_onboarding import FULL, answer_all

from bot.chat.context import App
from bot.chat.handlers.progress import JOB_NAME, SummaryTick, run_summaries
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.migrate import upgrade
from bot.db.tables import MorningPain, PlayedRoutine, Push, User
from bot.services import Services, build_services
from bot.services.clock import FrozenClock

USER = 1001
PNG = b"\x89PNG\r\n\x1a\n"


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == PNG
    width, height = struct.unpack(">II", content[16:24])
    return width, height


async def seed(services: Services, today: date, *, answers: int) -> None:
    """An onboarded Mon/Wed/Fri user with `answers` pain answers, each on a planned day kept."""
    now = services.clock.now()
    days = [today - timedelta(days=n) for n in range(1, 60)]
    planned = [day for day in days if day.weekday() in (0, 2, 4)][:answers]
    async with services.sessions.begin() as s:
        s.add(
            User(
                id=USER,
                chat_id=USER,
                first_name="Ann",
                created_at=now,
                consent_at=now,
                onboarded_at=now,
                safety="clear",
                baseline_pain=5,
                level=2,
                days_mask=0b10101,
                push_time=time(7, 30),
                tz="Europe/London",
            )
        )
        await s.flush()
        for n, day in enumerate(planned):
            when = datetime.combine(day, time(8), tzinfo=UTC)
            s.add(Push(user_id=USER, local_date=day, kind="morning", due_at=when, status="sent"))
            s.add_all(
                with_stream(MorningPain(user_id=USER, local_date=day, pain=3 + n % 3, at=when))
            )
            s.add(
                PlayedRoutine(
                    user_id=USER,
                    chat_id=USER,
                    local_date=day,
                    status="done",
                    phase="ended",
                    minutes_planned=15,
                    pain_used=3,
                    items=[],
                    created_at=when,
                    updated_at=when,
                )
            )


async def test_progress_sends_a_phone_sized_png_with_the_streak(
    chat: Conversation, api: MemoryBotApi, services: Services, clock: FrozenClock
) -> None:
    await seed(services, clock.now().date(), answers=6)
    await chat.say("/progress")
    (call,) = api.calls("sendPhoto")
    upload = call.params["photo"]
    assert upload.filename == "progress.png"
    assert png_size(upload.content) == (1080, 1350)
    caption = call.params["caption"]
    assert "Streak: 6 planned days in a row" in caption
    assert "Pain since your first week" in caption


async def test_too_few_answers_are_said_not_drawn(
    chat: Conversation, api: MemoryBotApi, services: Services, clock: FrozenClock
) -> None:
    await seed(services, clock.now().date(), answers=2)
    await chat.say("/progress")
    assert api.calls("sendPhoto") == []
    text = chat.last_text()
    assert "at least 3 pain answers, and I have 2 so far" in text
    assert "Streak: 2 planned days" in text


async def test_progress_before_setting_up_points_to_start(
    chat: Conversation, api: MemoryBotApi
) -> None:
    await chat.say("/progress")
    assert api.calls("sendPhoto") == []
    assert "/start" in chat.last_text()


async def test_help_lists_progress(chat: Conversation) -> None:
    await chat.say("/help")
    assert "/progress – " in chat.last_text()


def test_the_shell_prints_where_the_chart_was_saved(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/s.db"

    async def prepare() -> None:
        await upgrade(url)
        from bot.config import load_settings

        services = build_services(load_settings(database_url=url, data_dir=tmp_path / "var"))
        try:
            await seed(services, datetime.now(ZoneInfo("Europe/London")).date(), answers=5)
        finally:
            await services.close()

    asyncio.run(prepare())
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--db", url],
        input="/progress\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = re.search(r"🤖 \[photo\] (\S+\.png) — 🔥 Streak", result.stdout)
    assert found is not None, result.stdout
    path = Path(found.group(1))
    assert path.is_file() and path.is_relative_to(tmp_path)
    assert png_size(path.read_bytes()) == (1080, 1350)


# --------------------------------------------------------------------------- weekly summary


async def test_the_summary_day_is_a_setting_and_the_tick_sends_it_once(
    app: App, chat: Conversation, api: MemoryBotApi, services: Services, clock: FrozenClock
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/settings"])
    await chat.press("📅 Weekly summary")
    assert "comes on Sundays" in chat.last_text()
    await chat.press("Wednesday")
    assert "Wednesday evenings" in chat.last_text()
    await chat.say("hello")
    assert "/help" in chat.last_text()  # the settings menu is closed, no question waits

    clock.set(datetime(2026, 11, 25, 17, 59, tzinfo=UTC))
    assert await run_summaries(app) == 0
    clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    assert await run_summaries(app) == 1
    text = chat.last_text()
    assert text.startswith("📅 Your week, 19 Nov – 25 Nov")
    assert "Routines done: 0." in text and "first week" in text
    assert await run_summaries(app) == 0
    assert sum("📅 Your week," in str(c.params.get("text")) for c in api.calls("sendMessage")) == 1


async def test_the_summary_can_be_switched_off_and_on(
    app: App, chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/settings"])
    await chat.press("📅 Weekly summary")
    await chat.press("Switch off")
    assert "no weekly summaries" in chat.last_text()
    clock.set(datetime(2026, 11, 22, 18, tzinfo=UTC))
    assert await run_summaries(app) == 0

    await chat.say("/settings")
    await chat.press("📅 Weekly summary")
    assert "switched off" in chat.last_text()
    assert "Switch off" not in str(chat.api.buttons(chat.api.last_message(USER)))
    await chat.press("Sunday")
    clock.set(datetime(2026, 11, 29, 18, tzinfo=UTC))
    assert await run_summaries(app) == 1


async def test_onboarding_itself_enrols_so_later_ticks_need_no_scan(
    app: App, chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    scans = 0
    enrol = services.weekly.enrol

    async def counting_enrol(limit: int = 100) -> int:
        nonlocal scans
        scans += 1
        return await enrol(limit)

    services.weekly.enrol = counting_enrol  # type: ignore[method-assign]
    tick = SummaryTick()
    context = SimpleNamespace(application=app)
    await tick(context)  # type: ignore[arg-type]
    assert scans == 1  # the first run after a start catches up on older users
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    clock.set(datetime(2026, 11, 22, 18, tzinfo=UTC))  # Sunday 18:00 in London
    await tick(context)  # type: ignore[arg-type]
    assert scans == 1  # no scan over all users every minute
    assert chat.last_text().startswith("📅 Your week,")


async def test_the_summary_tick_is_scheduled(app: App) -> None:
    assert app.job_queue is not None
    assert [job.name for job in app.job_queue.get_jobs_by_name(JOB_NAME)] == [JOB_NAME]

"""Polling confirms an update to Telegram only after it is handled, so a crash loses nothing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from fakes.waiting import until
from sqlalchemy import func, select

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.polling import ConfirmingPoller
from bot.db.tables import User
from bot.services import Services

USERS = range(2001, 2031)


def greeted(api: MemoryBotApi) -> dict[int, int]:
    return {u: sum("BackCoach" in m.get("text", "") for m in api.sent_to(u)) for u in USERS}


async def users_stored(services: Services) -> int:
    async with services.sessions.begin() as s:
        return int(await s.scalar(select(func.count()).select_from(User)) or 0)


async def crash_while_handling(app: App, nth: int) -> None:
    """Run a poller and kill it (no clean-up at all) while it handles its `nth` update."""
    reached = asyncio.Event()
    real = app.process_update
    seen = 0

    async def hang_at_nth(update: object) -> None:
        nonlocal seen
        seen += 1
        if seen == nth:
            reached.set()
            await asyncio.Event().wait()  # never returns: the process dies here
        await real(update)

    app.process_update = hang_at_nth  # type: ignore[method-assign]
    task = asyncio.create_task(ConfirmingPoller(app, poll_timeout=1).run())
    await asyncio.wait_for(reached.wait(), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    app.process_update = real  # type: ignore[method-assign]


async def run_until(app: App, check: Any) -> None:
    poller = ConfirmingPoller(app, poll_timeout=1)
    task = asyncio.create_task(poller.run())
    try:
        await until(check, within=20)
    finally:
        poller.stop()
        await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("nth", [1, 17])
async def test_thirty_starts_survive_a_crash_at_any_point_of_the_batch(
    nth: int, app: App, api: MemoryBotApi, services: Services
) -> None:
    for user in USERS:
        api.add_user(user, first_name=f"U{user}")
        api.user_says(user, "/start")
    await crash_while_handling(app, nth)
    # Nothing was confirmed: Telegram still holds the whole batch.
    assert len(api.pending_updates()) == len(USERS)
    await run_until(app, lambda: all(greeted(api).values()))
    assert await users_stored(services) == len(USERS)
    # Each person greeted once, though up to 16 of them were handled before the crash.
    assert set(greeted(api).values()) == {1}
    assert api.pending_updates() == []


async def test_stopping_mid_batch_confirms_what_was_handled_and_keeps_the_rest(
    app: App, api: MemoryBotApi, services: Services
) -> None:
    for user in USERS:
        api.add_user(user, first_name=f"U{user}")
        api.user_says(user, "/start")
    poller = ConfirmingPoller(app, poll_timeout=1)
    real = app.process_update
    handled = 0

    async def stop_after_five(update: object) -> None:
        nonlocal handled
        await real(update)
        handled += 1
        if handled == 5:
            poller.stop()

    app.process_update = stop_after_five  # type: ignore[method-assign]
    await asyncio.wait_for(poller.run(), 20)
    assert len(api.pending_updates()) == len(USERS) - 5
    assert await users_stored(services) == 5


async def test_a_failing_get_updates_is_retried_with_one_warning(
    app: App, api: MemoryBotApi, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api.inject_fault("getUpdates", 500, times=2)
    api.add_user(2001)
    api.user_says(2001, "/start")
    await run_until(app, lambda: api.sent_to(2001))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "getUpdates" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

"""Crashes: a new Application and services over the same database carry on where the old left.

A "kill -9" here is dropping the old Application without any shutdown: its jobs, live cards
and memory are gone; only the database and Telegram's chat remain.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from test_player import (
    USER,
    card,
    fixed_routine,
    labels,
    ready_user,
    records,
    routine_row,
)

from bot.app import build_application
from bot.chat import timers
from bot.chat.context import App
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.transports.shell import Conversation
from bot.config import Settings
from bot.db.tables import RoutineTimer
from bot.domain import player as pl
from bot.services import Services, build_services
from bot.services.clock import FrozenClock
from bot.services.player import Reply

Restart = Callable[[], Coroutine[Any, Any, tuple[App, Conversation]]]
ROUTINE = fixed_routine(
    ("knee_side_plank", None),  # hold 10 s × 2 sets, each side, rest 20 s
    ("front_plank", None),
    ("cat_camel", None),
    ("pelvic_tilt", None),
)


@pytest.fixture(autouse=True)
def routine(services: Services) -> None:
    services.player.builder = ROUTINE


@pytest.fixture
async def restart(
    settings: Settings, clock: FrozenClock, api: MemoryBotApi
) -> AsyncIterator[Restart]:
    """Start a fresh process over the same database and the same Telegram."""
    started: list[tuple[Services, App]] = []

    async def start() -> tuple[App, Conversation]:
        services = build_services(settings, clock=clock)
        services.player.builder = ROUTINE
        app = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
        await app.initialize()
        started.append((services, app))
        # What the start-up job does: countdowns come back, due timers fire.
        await timers.restore(app)
        return app, Conversation(app, api, USER)

    yield start
    for services, app in started:
        await app.shutdown()
        await services.close()


def sends(api: MemoryBotApi, since: int = 0) -> list[str]:
    return [str(c.params.get("text")) for c in api.calls("sendMessage")[since:]]


async def first_hold_running(chat: Conversation, services: Services) -> None:
    """A ready user opens today's routine and starts the first hold (10 s, left side)."""
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    await chat.press("▶️ Start timer")


async def test_after_a_crash_mid_exercise_the_user_continues_on_the_same_card(
    chat: Conversation, services: Services, restart: Restart
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    await chat.press("✅ Done")
    assert chat.last_text().startswith("Exercise 2 of 4\nFront plank")

    _app2, chat2 = await restart()
    await chat2.press("⏭ Skip")  # the card sent before the crash still works
    assert chat2.last_text().startswith("Exercise 3 of 4")
    await chat2.say("/routine")
    assert chat2.messages()[-2]["text"] == "Picking up where you left off:"
    assert chat2.last_text().startswith("Exercise 3 of 4")
    await chat2.say("done")
    assert chat2.last_text().startswith("Exercise 4 of 4")
    assert [r.outcome for r in await records(services)] == ["done", "skipped", "done", None]


async def test_a_hold_that_ended_while_down_fires_once_on_restart(
    chat: Conversation,
    services: Services,
    api: MemoryBotApi,
    clock: FrozenClock,
    restart: Restart,
) -> None:
    await first_hold_running(chat, services)
    clock.advance(timedelta(seconds=4))
    before = len(api.calls("sendMessage"))

    clock.advance(timedelta(seconds=8))  # down for a while; the hold ended 2 s ago
    app2, chat2 = await restart()
    assert sends(api, before) == [
        "🔔 Release — left side, set 1 of 2. Rest 5 s, then hold, right side, set 1 of 2."
    ]
    await restart()  # a second restart (or instance) finds nothing left to fire
    await timers.sweep(app2)
    assert len(sends(api, before)) == 1
    # The rest starts when the late release went out; the restarted process plays on.
    clock.advance(timedelta(seconds=6))
    await timers.sweep(app2)
    await timers.runtime(app2).editor.tick()
    assert "⏱ Hold, right side, set 1 of 2" in card(chat2)
    async with services.sessions() as s:
        statuses = [
            t.status for t in await s.scalars(select(RoutineTimer).order_by(RoutineTimer.id))
        ]
    assert statuses == ["fired", "fired", "pending"]


async def test_a_hold_that_ended_long_ago_is_reported_missed_once_with_the_card(
    chat: Conversation,
    services: Services,
    api: MemoryBotApi,
    clock: FrozenClock,
    restart: Restart,
) -> None:
    await first_hold_running(chat, services)
    old_card = chat.messages()[-1]["message_id"]
    before = len(api.calls("sendMessage"))

    clock.advance(timedelta(minutes=5))
    _app2, chat2 = await restart()
    await restart()
    new = sends(api, before)
    assert new[0] == (
        "Sorry — I was offline when your hold, left side, set 1 of 2 ended. "
        "Here's where you are now:"
    )
    assert len(new) == 2 and new[1].startswith("Exercise 1 of 4\nKnees-down side plank")
    assert "⏸ Paused · Hold, right side, set 1 of 2 — 10 s to go" in new[1]
    old = next(m for m in chat2.messages() if m["message_id"] == old_card)
    assert not MemoryBotApi.buttons(old)  # the stale card lost its buttons
    assert labels(chat2)[0] == "▶️ Resume"
    await chat2.press("▶️ Resume")
    assert "⏱ Hold, right side, set 1 of 2 — 10 s left" in card(chat2)
    async with services.sessions() as s:
        statuses = [
            t.status for t in await s.scalars(select(RoutineTimer).order_by(RoutineTimer.id))
        ]
    assert statuses == ["missed", "pending"]


async def test_two_processes_firing_the_same_timer_send_one_release(
    chat: Conversation,
    services: Services,
    api: MemoryBotApi,
    app: App,
    clock: FrozenClock,
    restart: Restart,
) -> None:
    await first_hold_running(chat, services)
    timer_id = (await routine_row(services)).timer_id
    assert timer_id is not None
    app2, _ = await restart()
    before = len(api.calls("sendMessage"))
    clock.advance(timedelta(seconds=10))
    results = await asyncio.gather(timers.fire(app, timer_id), timers.fire(app2, timer_id))
    assert sorted(r.reply.value for r in results) == ["ok", "stale"]
    assert len(sends(api, before)) == 1


async def test_a_step_whose_card_was_never_sent_is_shown_again_not_acted_on(
    chat: Conversation, services: Services, clock: FrozenClock, restart: Restart
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    routine = await routine_row(services)
    # The process commits "done" and dies before Telegram gets the next card.
    await services.player.press(USER, routine.id, 0, "c", pl.Action.DONE, None)
    clock.advance(timedelta(seconds=20))
    _app2, chat2 = await restart()
    await chat2.say("done")
    assert chat2.last_text().startswith("Exercise 2 of 4")
    assert [r.outcome for r in await records(services)] == ["done", None, None, None]
    await chat2.press("✅ Done")
    assert chat2.last_text().startswith("Exercise 3 of 4")


async def test_a_running_countdown_comes_back_after_a_restart_and_ends_on_time(
    chat: Conversation,
    services: Services,
    api: MemoryBotApi,
    clock: FrozenClock,
    restart: Restart,
) -> None:
    await first_hold_running(chat, services)
    clock.advance(timedelta(seconds=2))
    app2, chat2 = await restart()  # 8 s of the hold left
    before = len(api.calls("sendMessage"))
    clock.advance(timedelta(seconds=3))
    await timers.runtime(app2).editor.tick()
    assert "⏱ Hold, left side, set 1 of 2 — 5 s left" in card(chat2)
    clock.advance(timedelta(seconds=5))
    await timers.sweep(app2)
    assert sends(api, before)[0].startswith("🔔 Release — left side, set 1 of 2.")


async def test_a_bell_owed_by_a_process_that_died_after_firing_rings_once_late(
    chat: Conversation,
    services: Services,
    api: MemoryBotApi,
    clock: FrozenClock,
    restart: Restart,
) -> None:
    await first_hold_running(chat, services)
    clock.advance(timedelta(seconds=11))
    async with services.sessions() as s:
        [timer] = await s.scalars(select(RoutineTimer))
    # The old process fired the timer (stored), then died before its bell went out.
    fired = await services.player.fire(timer.id)
    assert fired.reply is Reply.OK
    before = len(api.calls("sendMessage"))
    app2, chat2 = await restart()
    assert sends(api, before) == []  # a live process may still be ringing it: not yet
    clock.advance(timedelta(seconds=6))
    await timers.sweep(app2)
    late = sends(api, before)
    assert len(late) == 2 and late[0].startswith("🔔") and "late" in late[0]
    # The card where the routine stands, with its buttons, so the person carries on.
    assert labels(chat2) and "right side" in card(chat2).lower()
    await timers.sweep(app2)
    await restart()
    assert len(sends(api, before)) == 2  # rung once, whoever sweeps next

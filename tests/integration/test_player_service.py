"""The player service on both databases: what a routine is built from, races, claims."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.tables import PlayedRoutine, RoutineTimer, User
from bot.domain import player as pl
from bot.domain.understanding import When
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.player import Reply
from bot.services.player_inputs import PlanInputs
from content.library import Library
from content.model import Dose, Routine
from content.routines import RoutineRequest, build_routine

pytestmark = pytest.mark.db

USER = 2002


async def add_user(services: Services, *, baseline: int = 3, level: int = 2) -> None:
    now = services.clock.now()
    async with services.sessions.begin() as s:
        s.add(
            User(
                id=USER, chat_id=USER, first_name="Bo", created_at=now, active=True,
                consent_at=now, onboarded_at=now, safety="clear", baseline_pain=baseline,
                level=level, days_mask=0b1111111, push_time=time(7, 0), tz="Asia/Tokyo",
                paused_indefinitely=False,
            )
        )  # fmt: skip


def capture(services: Services) -> list[RoutineRequest]:
    """Record every request the player builds from (and build it as usual)."""
    seen: list[RoutineRequest] = []

    def builder(library: Library, request: RoutineRequest) -> Routine:
        seen.append(request)
        return build_routine(library, request)

    services.player.builder = builder
    return seen


async def play_through(services: Services, *, skip_first: bool = False) -> list[str]:
    """Open, start, done (or skip first) every exercise, answer the end; return the ids."""
    opened = await services.player.open(USER, USER)
    assert opened.snapshot is not None
    rid = opened.snapshot.routine_id
    ids = [item.exercise.id for item in opened.snapshot.items]
    await services.player.press(USER, rid, 0, "i", pl.Action.GO, None)
    for n in range(len(ids)):
        action = pl.Action.SKIP if skip_first and n == 0 else pl.Action.DONE
        result = await services.player.press(USER, rid, n, "c", action, None)
        assert result.reply is Reply.OK
    end = await services.player.press(USER, rid, len(ids) - 1, "e", pl.Action.PAIN, 2)
    assert end.summary is not None and end.summary.end is pl.End.DONE
    return ids


async def test_a_routine_is_built_from_level_pain_history_and_the_local_date(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services, baseline=3, level=2)
    seen = capture(services)
    first_ids = await play_through(services, skip_first=True)
    today = date(2026, 11, 21)  # 06:00 UTC is 15:00 in Tokyo, the same day
    first = seen[0]
    assert (first.level, first.pain, first.minutes, first.today) == (2, 3, 15, today)
    assert first.seed == today.toordinal() and first.history == ()

    clock.advance(timedelta(days=1))
    await services.pain.typed(USER, 5, When.MORNING)  # the newest report
    await services.player.open(USER, USER)
    second = seen[-1]
    assert second.pain == 5 and second.today == today + timedelta(days=1)
    done = {(d.exercise_id, d.on) for d in second.history}
    assert done == {(eid, today) for eid in first_ids[1:]}  # the skipped one is not history


async def test_the_adaptation_inputs_reach_the_builder(services: Services) -> None:
    await add_user(services)
    seen = capture(services)
    bridge = Dose(kind="reps", amount=12, sets=2, rest_s=30)

    async def inputs(_s: Any, user_id: int, today: date) -> PlanInputs:
        assert (user_id, today) == (USER, date(2026, 11, 21))
        return PlanInputs(doses={"glute_bridge": bridge}, excluded=frozenset({"cat_camel"}))

    services.player.plan_inputs = inputs
    opened = await services.player.open(USER, USER)
    assert seen[0].doses == {"glute_bridge": bridge}
    assert seen[0].excluded == frozenset({"cat_camel"})
    assert opened.snapshot is not None
    assert "cat_camel" not in [i.exercise.id for i in opened.snapshot.items]


async def test_two_opens_at_once_make_one_routine(services: Services) -> None:
    await add_user(services)
    results = await asyncio.gather(*(services.player.open(USER, USER) for _ in range(3)))
    ids = {r.snapshot.routine_id for r in results if r.snapshot is not None}
    assert len(ids) == 1
    async with services.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(PlayedRoutine)) == 1


async def start_hold(services: Services) -> tuple[int, int]:
    """An open routine whose first exercise is a 15 s hold, running; (routine, timer) ids."""

    def one_hold(library: Library, request: RoutineRequest) -> Routine:
        built = build_routine(library, request)
        plank = next(i for i in built.items if i.dose.kind == "hold" and i.dose.amount < 60)
        return built.model_copy(update={"items": (plank,)})

    services.player.builder = one_hold
    opened = await services.player.open(USER, USER)
    assert opened.snapshot is not None
    rid = opened.snapshot.routine_id
    await services.player.press(USER, rid, 0, "i", pl.Action.GO, None)
    started = await services.player.press(USER, rid, 0, "c", pl.Action.TIMER, None)
    assert started.snapshot is not None and started.snapshot.timer is not None
    return rid, started.snapshot.timer.timer_id


async def test_a_timer_fires_once_however_many_try(services: Services, clock: FrozenClock) -> None:
    await add_user(services)
    _rid, timer_id = await start_hold(services)
    early = await services.player.fire(timer_id)
    assert early.reply is Reply.NOT_DUE and early.due is not None
    clock.advance(timedelta(minutes=1))
    results = await asyncio.gather(*(services.player.fire(timer_id) for _ in range(4)))
    assert sorted(r.reply.value for r in results) == ["ok", "stale", "stale", "stale"]
    async with services.sessions() as s:
        timer = await s.get(RoutineTimer, timer_id)
        assert timer is not None and timer.status == "missed"


async def test_a_pause_racing_the_timers_end_leaves_one_consistent_state(
    services: Services, clock: FrozenClock
) -> None:
    await add_user(services)
    rid, timer_id = await start_hold(services)
    clock.advance(timedelta(seconds=15))
    fired, paused = await asyncio.gather(
        services.player.fire(timer_id),
        services.player.press(USER, rid, 0, "c", pl.Action.PAUSE, None),
    )
    async with services.sessions() as s:
        routine = await s.get(PlayedRoutine, rid)
        timer = await s.get(RoutineTimer, timer_id)
    assert routine is not None and timer is not None
    if timer.status == "fired":  # the end won; the pause then applied to what came next
        assert fired.reply is Reply.OK
    else:  # the pause won; the end found nothing to fire
        assert timer.status == "cancelled" and fired.reply is Reply.STALE
        assert paused.reply is Reply.OK and routine.phase == "paused"
    pending = [t for t in [timer] if t.status == "pending"]
    assert not pending or routine.timer_id == pending[0].id


async def test_nobody_else_can_press_a_users_routine(services: Services) -> None:
    await add_user(services)
    opened = await services.player.open(USER, USER)
    assert opened.snapshot is not None
    other = await services.player.press(999, opened.snapshot.routine_id, 0, "i", pl.Action.GO, None)
    assert other.reply is Reply.ENDED


async def test_pending_timers_are_listed_for_the_sweep(services: Services) -> None:
    await add_user(services)
    _rid, timer_id = await start_hold(services)
    now: datetime = services.clock.now()
    assert [t.timer_id for t in await services.player.pending_timers(now)] == []
    soon = await services.player.pending_timers(now + timedelta(seconds=20))
    assert [t.timer_id for t in soon] == [timer_id]
    running = await services.player.running()
    assert [r.timer.timer_id for r in running if r.timer] == [timer_id]

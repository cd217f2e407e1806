"""Three weeks of simulated routine days through the services and the database.

Each routine is opened through the real player service (so the builder gets the plan's doses),
then its records are written as a player would leave them, and the plan is read back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from bot.chat import render_player
from bot.db.tables import ExerciseRecord, PlanChange, PlayedRoutine, User
from bot.domain.adaptation import ChangeKind, Reason
from bot.domain.feel import Feel
from bot.domain.understanding import When
from bot.services import Services
from bot.services.clock import FrozenClock

pytestmark = pytest.mark.db

USER = 77
MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # London is on UTC in November
intros: list[str] = []  # the intro card of every routine opened, as the user saw it


async def onboarded(services: Services) -> None:
    async with services.sessions.begin() as s:
        s.add(
            User(
                id=USER, chat_id=USER, first_name="Vi", created_at=MONDAY - timedelta(days=2),
                consent_at=MONDAY, onboarded_at=MONDAY, safety="clear", baseline_pain=3,
                pain_duration="chronic", activity="some", level=2, days_mask=0b10101,
                push_time=time(7, 0), tz="Europe/London",
            )
        )  # fmt: skip


async def play(
    services: Services,
    clock: FrozenClock,
    *,
    end_pain: int = 1,
    hurt: tuple[str, int] | None = None,
) -> dict[str, dict[str, object]]:
    """Open today's routine, mark every exercise done, end it.

    With `hurt` (kind, pain), the first exercise that has an easier version hurts instead.
    """
    result = await services.player.open(USER, USER)
    assert result.snapshot is not None, result
    intros.append(render_player.intro(result.snapshot)[0])
    clock.advance(timedelta(minutes=20))
    async with services.sessions.begin() as s:
        routine = await s.scalar(
            select(PlayedRoutine)
            .where(PlayedRoutine.user_id == USER)
            .order_by(PlayedRoutine.id.desc())
        )
        assert routine is not None
        rows = list(
            await s.scalars(select(ExerciseRecord).where(ExerciseRecord.routine_id == routine.id))
        )
        library = services.plans.library
        target = next((r for r in rows if library.get(r.exercise_id).easier), None)
        for row in rows:
            row.outcome, row.at, row.pain = "done", clock.now(), 1
            if hurt is not None and row is target:
                row.outcome, row.pain_kind, row.pain = "hurt", hurt[0], hurt[1]
        await s.execute(
            update(PlayedRoutine)
            .where(PlayedRoutine.id == routine.id)
            .values(status="done", ended_at=clock.now(), end_pain=end_pain, phase="done")
        )
        return {r.exercise_id: r.dose for r in rows}


async def changes(services: Services) -> list[PlanChange]:
    async with services.sessions() as s:
        return list(await s.scalars(select(PlanChange).order_by(PlanChange.id)))


async def test_three_calm_weeks_earn_progress_step_by_step(
    services: Services, clock: FrozenClock
) -> None:
    await onboarded(services)
    clock.set(MONDAY)
    played: list[tuple[date, dict[str, dict[str, object]]]] = []
    for week in range(3):
        for day in (0, 2, 4):
            clock.set(MONDAY + timedelta(weeks=week, days=day))
            played.append((clock.now().date(), await play(services, clock)))
            # "How did that feel?" Easy; and the next morning is settled.
            assert await services.player.feel(USER, Feel.EASY) is not None
            clock.set(MONDAY + timedelta(weeks=week, days=day + 1))
            await services.pain.typed(USER, 2, When.MORNING)
    history = await changes(services)
    ups = [c for c in history if c.kind in {ChangeKind.DOSE_UP, ChangeKind.LADDER_UP}]
    assert ups, "nine calm routines earned nothing"
    assert all(c.reason == Reason.EARNED for c in ups)
    # Nothing moves before two easy routines in a row have been judged.
    assert min(c.local_date for c in ups) > (MONDAY + timedelta(days=2)).date()
    # The routine after a dose step carries exactly the new dose.
    step = next(c for c in ups if c.kind == ChangeKind.DOSE_UP)
    after = [d for day, d in played if day >= step.local_date and step.exercise_id in d]
    assert after, f"{step.exercise_id} never came back after its step up"
    assert after[0][step.exercise_id] == step.detail["after"]
    plan = await services.plans.view(USER)
    assert plan is not None and plan.changes


async def test_a_sharp_hurt_moves_the_exercise_down_and_it_stays_down(
    services: Services, clock: FrozenClock
) -> None:
    await onboarded(services)
    clock.set(MONDAY)
    await play(services, clock)
    clock.set(MONDAY + timedelta(days=2))
    hurt_day = await play(services, clock, hurt=("sharp", 6), end_pain=5)
    library = services.plans.library
    target = next(e for e in hurt_day if library.get(e).easier)
    easier = library.get(target).easier
    # The player would re-ask the red-flag questions now; say they came back clear.
    for days in (4, 7, 9):
        clock.set(MONDAY + timedelta(days=days))
        routine = await play(services, clock)
        assert target not in routine, f"day {days}: {target} is back within 7 days"
    history = await changes(services)
    down = [c for c in history if c.exercise_id == target and c.kind == ChangeKind.LADDER_DOWN]
    assert len(down) == 1 and down[0].reason == Reason.HURT_SHARP
    assert down[0].detail["after"] == easier
    # The next routine's intro card says what changed and why.
    name, easier_name = library.get(target).name, library.get(easier).name
    assert f"{name} → {easier_name} (easier) — it gave a sharp or shooting pain" in intros[-3]
    assert "sharp or shooting" not in intros[-1]  # said once, on the routine it changed
    view = await services.plans.view(USER)
    assert view is not None and easier in view.plan.exercises


async def test_high_morning_pain_gives_gentle_days(services: Services, clock: FrozenClock) -> None:
    await onboarded(services)
    clock.set(MONDAY)
    await play(services, clock, end_pain=6)
    clock.set(MONDAY + timedelta(days=1, hours=-0.5))
    await services.pain.typed(USER, 8, When.MORNING)
    clock.set(MONDAY + timedelta(days=2))
    routine = await play(services, clock)
    categories = {services.plans.library.get(e).category.value for e in routine}
    assert categories <= {"warm-up", "mobility", "stretch", "aerobic"}, categories
    assert any(c.kind == ChangeKind.GENTLE_ON for c in await changes(services))


async def test_an_offer_waiting_for_an_answer_is_not_repeated(
    services: Services, clock: FrozenClock
) -> None:
    from bot.db.tables import PlanOffer
    from bot.domain.adaptation import Offer, OfferKind

    await onboarded(services)
    offer = Offer(kind=OfferKind.LEVEL_UP, reason=Reason.STEADY, on=MONDAY.date(), level=3)
    for _ in range(2):
        async with services.sessions.begin() as s:
            await services.plans._offer(s, USER, [offer, offer])
    async with services.sessions() as s:
        assert len(list(await s.scalars(select(PlanOffer)))) == 1

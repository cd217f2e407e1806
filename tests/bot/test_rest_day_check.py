"""The morning question on a rest day, as the user sees it.

Ann's mornings are Monday, Wednesday and Friday at 07:30 (London, on UTC in November).
After any Monday routine (issue 14: every routine, not only a sore one) she is asked "How is
your back this morning?" on Tuesday at 07:30 too, and her answer feeds the plan.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from pushes_kit import add_ready_user, morning_answers, pushes_of, unpaced, utc  # noqa: F401
from sqlalchemy import select, update
from telegram import Update

from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import PlanChange, User
from bot.domain.adaptation import ChangeKind, Reason
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.pushes import Rested

pytestmark = pytest.mark.db

USER = 1001
MON, WED, FRI = 0, 2, 4
MONDAY_EVENING = utc(2026, 11, 23, 18)
TUESDAY_0730 = utc(2026, 11, 24, 7, 30)
WEDNESDAY_0730 = utc(2026, 11, 25, 7, 30)
SCALE = [str(n) for n in range(11)]


@pytest.fixture
async def ann(services: Services, chat: Conversation, clock: FrozenClock) -> Conversation:
    """Ann finished onboarding on Monday morning: Mon/Wed/Fri at 07:30, pain 2 then."""
    clock.set(utc(2026, 11, 23, 9))
    await add_ready_user(
        services, USER, first_name="Ann", days=(MON, WED, FRI), at=time(7, 30), baseline_pain=2
    )
    return chat


async def tick(app: App, clock: FrozenClock, at: datetime) -> int:
    """The push job's tick at `at`: how many messages went out."""
    clock.set(at)
    return (await run_pushes(app)).sent


async def play(chat: Conversation, clock: FrozenClock, *, end_pain: int) -> None:
    """Play today's whole routine by buttons and answer the end question."""
    clock.set(MONDAY_EVENING if clock.now() < MONDAY_EVENING else clock.now())
    await chat.say("/routine")
    await chat.press("▶️ Start")
    while chat.last_text().startswith("Exercise "):
        await chat.press("✅ Done")
    assert chat.last_text().startswith("How is your back right now")
    await chat.press(str(end_pain))
    assert f"Your back now: {end_pain}/10" in chat.last_text()


async def hurt_later(
    ann: Conversation, clock: FrozenClock, kind: str, pain: int | None = None
) -> None:
    """At 21:00 on Monday, Ann says the first exercise of her routine hurt (and how much)."""
    clock.set(utc(2026, 11, 23, 21))
    await ann.say("it hurt")
    await ann.press(labels(ann.messages()[-1])[0])
    await ann.press(kind)
    if pain is not None:
        await ann.press(str(pain))


async def change_ann(services: Services, **values: object) -> None:
    """Change Ann's schedule as /settings would, and move her pushes with it."""
    async with services.sessions.begin() as s:
        await s.execute(update(User).where(User.id == USER).values(**values))
    await services.pushes.refresh(USER)


def labels(message: dict[str, Any]) -> list[str]:
    return [label for label, _ in MemoryBotApi.buttons(message)]


def now_showing(chat: Conversation, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it stands after edits."""
    return next(m for m in chat.messages() if m["message_id"] == message["message_id"])


async def press_on(chat: Conversation, message: dict[str, Any], label: str) -> None:
    """Press a button of this (possibly older) message."""
    data = dict(MemoryBotApi.buttons(message))[label]
    update = chat.api.user_presses(chat.user_id, message["message_id"], data)
    await chat.app.process_update(Update.de_json(update, chat.app.bot))


async def test_after_a_sore_routine_the_rest_day_asks_once_and_records_the_answer(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=5)
    seen = len(ann.messages())
    assert await tick(app, clock, TUESDAY_0730 - timedelta(minutes=1)) == 0
    assert await tick(app, clock, TUESDAY_0730) == 1
    [question] = ann.messages()[seen:]
    assert question["text"].startswith("Good morning, Ann!")
    assert "rest day" in question["text"] and "How is your back this morning?" in question["text"]
    assert labels(question) == SCALE  # the pain scale only: nothing to start today
    # A second tick, a restart, a busy minute: the question is never asked twice.
    assert await tick(app, clock, TUESDAY_0730 + timedelta(minutes=1)) == 0
    await press_on(ann, question, "3")
    answered = now_showing(ann, question)
    assert answered["text"].startswith("Thanks — 3/10 noted. Sounds settled.")
    assert "Your next routine comes Wed 25 Nov at 07:30." in answered["text"]
    assert labels(answered) == []
    assert await morning_answers(services, USER) == [(date(2026, 11, 24), 3)]
    # Settled: Wednesday's push shows the routine at once, no question first.
    assert await tick(app, clock, WEDNESDAY_0730) == 1
    assert "Start now" in labels(ann.messages()[-1])[0]


async def test_a_bad_rest_day_morning_makes_the_next_days_gentle(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=4)
    await tick(app, clock, TUESDAY_0730)
    question = ann.messages()[-1]
    clock.advance(timedelta(minutes=10))
    await press_on(ann, question, "8")
    answered = now_showing(ann, question)["text"]
    assert "8/10" in answered and "gentle" in answered and "doctor or physiotherapist" in answered
    # A late tap from a second device (another number) changes nothing: the first counts.
    push_id = int(dict(MemoryBotApi.buttons(question))["2"].split(":")[1])
    again = await services.pushes.morning_pain(USER, push_id, 2)
    assert isinstance(again, Rested) and again.pain == 8
    assert await morning_answers(services, USER) == [(date(2026, 11, 24), 8)]
    # The 24-hour rule reads it: gentle days from now, for the reason the user gave.
    clock.set(utc(2026, 11, 24, 12))
    view = await services.plans.view(USER)
    assert view is not None and view.gentle
    async with services.sessions() as s:
        reasons = {(c.kind, c.reason) for c in await s.scalars(select(PlanChange))}
    assert (ChangeKind.GENTLE_ON, Reason.MORNING_SEVERE) in reasons


async def test_a_calm_routine_is_asked_about_on_the_rest_day_too(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    # Issue 14: after routines ending at 0-3 the next morning was never asked about.
    await play(ann, clock, end_pain=2)
    seen = len(ann.messages())
    assert await tick(app, clock, TUESDAY_0730) == 1
    for hour in (8, 12):
        assert await tick(app, clock, utc(2026, 11, 24, hour, 30)) == 0
    [question] = ann.messages()[seen:]
    assert "How is your back this morning?" in question["text"]
    assert labels(question) == SCALE
    assert [p.kind for p in await pushes_of(services, USER)] == ["check"]


async def test_a_sore_routine_before_a_chosen_morning_asks_in_that_mornings_push(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    # Ann plays on Tuesday, a rest day; Wednesday has its own push, which asks first.
    clock.set(utc(2026, 11, 24, 18))
    await play(ann, clock, end_pain=6)
    seen = len(ann.messages())
    assert await tick(app, clock, WEDNESDAY_0730) == 1
    [push] = ann.messages()[seen:]
    assert "How is your back this morning?" in push["text"] and "rest day" not in push["text"]
    assert labels(push) == SCALE
    assert [p.kind for p in await pushes_of(services, USER)] == ["morning"]


async def test_it_hurt_reported_later_brings_the_question_next_morning(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=1)
    await hurt_later(ann, clock, "Muscles working", 4)
    assert await tick(app, clock, TUESDAY_0730) == 1
    assert "How is your back this morning?" in ann.last_text()


async def test_leg_symptoms_hold_the_question_until_the_safety_check_is_clear(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=1)
    # Into the leg: recorded with the tap itself, no score asked; the screen comes next.
    await hurt_later(ann, clock, "Into the leg")
    assert "Safety question 1 of 7" in ann.last_text()
    seen = len(ann.messages())
    # The red-flag questions come first; unanswered, nothing else is sent.
    assert await tick(app, clock, TUESDAY_0730) == 0
    assert all("How is your back this morning?" not in m["text"] for m in ann.messages()[seen:])
    assert [p.status for p in await pushes_of(services, USER)] == ["cancelled"]


async def test_a_new_usual_time_moves_the_question(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=5)
    # A later usual time moves the question with it.
    await change_ann(services, push_time=time(9, 0))
    assert await tick(app, clock, TUESDAY_0730) == 0
    assert await tick(app, clock, utc(2026, 11, 24, 9)) == 1
    assert "How is your back this morning?" in ann.last_text()


async def test_a_pause_drops_the_question(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=5)
    await ann.say("/pause")
    await ann.press("A day")
    seen = len(ann.messages())
    assert await tick(app, clock, TUESDAY_0730) == 0
    assert ann.messages()[seen:] == []
    assert [(p.kind, p.status) for p in await pushes_of(services, USER)] == [("check", "cancelled")]


async def test_a_rest_day_made_a_chosen_day_gets_one_message_that_asks(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=5)
    await change_ann(services, days_mask=0b11111)
    seen = len(ann.messages())
    assert await tick(app, clock, TUESDAY_0730) == 1
    [push] = ann.messages()[seen:]
    assert "How is your back this morning?" in push["text"] and "rest day" not in push["text"]
    kinds = sorted((p.kind, p.status) for p in await pushes_of(services, USER))
    assert kinds == [("check", "cancelled"), ("morning", "sent")]


async def test_yesterdays_question_cannot_be_answered_tomorrow(
    app: App, clock: FrozenClock, ann: Conversation, services: Services
) -> None:
    await play(ann, clock, end_pain=5)
    await tick(app, clock, TUESDAY_0730)
    question = ann.messages()[-1]
    clock.set(utc(2026, 11, 25, 6))
    await press_on(ann, question, "4")
    alerts = [c.params.get("text") for c in ann.api.calls("answerCallbackQuery")]
    assert any(a and "earlier day" in a for a in alerts)
    assert await morning_answers(services, USER) == []

"""The routine player through the real Application and the in-memory Bot API (both databases).

Helpers here are shared by the other player handler tests (`from test_player import ...`).
"""

from __future__ import annotations

import asyncio
from datetime import time, timedelta
from typing import Any

from sqlalchemy import select
from telegram import Update

from bot.chat import timers
from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import ExerciseRecord, PlayedRoutine, User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.texts import t
from content.library import load_library
from content.model import Dose, Routine, RoutineItem, Section
from content.routines import estimate_seconds

USER = 1001
LIBRARY = load_library()


async def all_routines(services: Services) -> list[PlayedRoutine]:
    """Every routine row, oldest first."""
    async with services.sessions() as s:
        return list(await s.scalars(select(PlayedRoutine).order_by(PlayedRoutine.id)))


async def ready_user(
    services: Services,
    user_id: int = USER,
    *,
    safety: str = "clear",
    onboarded: bool = True,
    baseline: int = 2,
    level: int = 2,
) -> None:
    """A user who finished onboarding (Mon/Wed/Fri at 07:30, London)."""
    now = services.clock.now()
    async with services.sessions.begin() as s:
        s.add(
            User(
                id=user_id,
                chat_id=user_id,
                first_name="Ann",
                created_at=now,
                active=True,
                consent_at=now,
                onboarded_at=now if onboarded else None,
                safety=safety,
                baseline_pain=baseline,
                pain_duration="chronic",
                activity="some",
                level=level,
                days_mask=0b10101,
                push_time=time(7, 30),
                tz="Europe/London",
                paused_indefinitely=False,
            )
        )
    await services.pushes.refresh(user_id)


def fixed_routine(*items: tuple[str, Dose | None]) -> Any:
    """A builder that always returns these exercises (None: the library's starting dose)."""

    def build(_library: Any, _request: Any) -> Routine:
        built = []
        for exercise_id, dose in items:
            ex = LIBRARY.get(exercise_id)
            d = dose or ex.dose_start
            built.append(
                RoutineItem(
                    exercise_id=ex.id,
                    section=Section.STRETCH,
                    dose=d,
                    est_seconds=estimate_seconds(ex, d),
                )
            )
        return Routine(items=tuple(built), budget_minutes=15, effective_level=2, gentle=False)

    return build


def texts(chat: Conversation) -> list[str]:
    return [str(m.get("text", "")) for m in chat.messages()]


def card(chat: Conversation) -> str:
    """The newest message with buttons (the live card, even after a release message)."""
    for message in reversed(chat.messages()):
        if MemoryBotApi.buttons(message):
            return str(message.get("text", ""))
    return ""


def labels(chat: Conversation) -> list[str]:
    for message in reversed(chat.messages()):
        buttons = MemoryBotApi.buttons(message)
        if buttons:
            return [label for label, _ in buttons]
    return []


async def routine_row(services: Services, user_id: int = USER) -> PlayedRoutine:
    async with services.sessions() as s:
        row = await s.scalar(
            select(PlayedRoutine)
            .where(PlayedRoutine.user_id == user_id)
            .order_by(PlayedRoutine.id.desc())
        )
        assert row is not None
        return row


async def records(services: Services, user_id: int = USER) -> list[ExerciseRecord]:
    routine = await routine_row(services, user_id)
    async with services.sessions() as s:
        rows = await s.scalars(
            select(ExerciseRecord)
            .where(ExerciseRecord.routine_id == routine.id)
            .order_by(ExerciseRecord.idx)
        )
        return list(rows)


async def advance(app: App, clock: FrozenClock, seconds: float) -> None:
    """Let time pass: due timers fire, countdown edits that are due go out."""
    clock.advance(timedelta(seconds=seconds))
    await timers.sweep(app)
    await timers.runtime(app).editor.tick()


# --------------------------------------------------------------------------- the intro


async def test_routine_intro_lists_the_exercises_with_doses_and_minutes(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    text = chat.last_text()
    assert text.startswith("Today's routine · about 15 min")
    routine = await routine_row(services)
    assert routine.status == "open" and len(routine.items) >= 5
    for item in routine.items:
        assert LIBRARY.get(item["exercise_id"]).name in text
    assert "hold 5 s × 8" in text or "reps" in text
    assert labels(chat) == ["▶️ Start", "Not today", "⏱ Shorter (10 min)"]


async def test_shorter_rebuilds_a_ten_minute_routine(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    before = await routine_row(services)
    await chat.press("⏱ Shorter")
    assert chat.last_text().startswith("Today's routine · about 10 min")
    assert "Shorter" not in " ".join(labels(chat))
    after = await routine_row(services)
    assert after.id == before.id and after.short and after.minutes_planned == 10
    assert len(after.items) < len(before.items)
    assert len(await records(services)) == len(after.items)


async def test_not_today_ends_it_kindly(chat: Conversation, services: Services) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("Not today")
    assert "rest is part of the plan" in chat.last_text()
    assert "Next routine: Mon 23 Nov at 07:30" in chat.last_text()
    assert (await routine_row(services)).status == "declined"
    # Changing one's mind the same day is fine.
    await chat.say("start")
    assert chat.last_text().startswith("Today's routine")


async def test_no_routine_before_onboarding_or_with_an_unclear_safety_screen(
    chat: Conversation, services: Services, api: MemoryBotApi
) -> None:
    await chat.say("/routine")
    assert "/start" in chat.last_text()
    await ready_user(services, safety="doctor")
    await chat.say("/routine")
    assert "doctor" in chat.last_text()
    async with services.sessions.begin() as s:
        user = await s.get(User, USER)
        assert user is not None
        user.safety = "pending"
    await chat.say("start")
    assert "safety questions" in chat.last_text()
    assert labels(chat) == ["Take the safety check"]
    async with services.sessions() as s:
        assert (await s.scalars(select(PlayedRoutine))).first() is None


# --------------------------------------------------------------------------- playing


async def test_a_whole_routine_by_buttons_ends_with_pain_and_a_summary(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    count = len((await routine_row(services)).items)
    await chat.press("▶️ Start")
    for n in range(1, count + 1):
        assert chat.last_text().startswith(f"Exercise {n} of {count}")
        assert "Caution: " in chat.last_text() and "\n1. " in chat.last_text()
        await chat.press("✅ Done")
    assert chat.last_text().startswith("How is your back right now")
    await chat.press("3")
    summary = chat.last_text()
    assert "Well done, Ann!" in summary
    assert f"Done {count} · skipped 0 · hurt 0 · 0 min" in summary
    assert "Your back now: 3/10" in summary
    assert "Next routine: Mon 23 Nov at 07:30." in summary
    routine = await routine_row(services)
    assert routine.status == "done" and routine.end_pain == 3
    assert all(r.outcome == "done" and r.at is not None for r in await records(services))
    # Today's is played; another /routine says so rather than start again.
    await chat.say("/routine")
    assert "already" in chat.last_text()


async def test_typed_words_work_like_the_buttons(chat: Conversation, services: Services) -> None:
    services.player.builder = fixed_routine(
        ("pelvic_tilt", None), ("cat_camel", None), ("glute_bridge", None), ("sphinx", None),
        ("bird_dog", None), ("knee_to_chest", None), ("dead_bug", None),
    )  # fmt: skip
    await ready_user(services)
    await chat.say("start")
    assert chat.last_text().startswith("Today's routine")
    await chat.say("Let's go!")
    assert chat.last_text().startswith("Exercise 1 of 7")
    for n, word in enumerate(["did it", "FINISHED", "next ✅", "doen", "skip"], start=2):
        await chat.say(word)
        assert chat.last_text().startswith(f"Exercise {n} of 7"), word
    await chat.say("banana")
    assert "done, skip, it hurt or stop" in chat.last_text()
    await chat.say("stop")
    assert chat.last_text().startswith("How is your back right now")
    await chat.say("about 2")
    assert "Done 4 · skipped 1 · hurt 0" in chat.last_text()
    assert (await routine_row(services)).status == "stopped"
    outcomes = [r.outcome for r in await records(services)]
    assert outcomes == ["done", "done", "done", "done", "skipped", None, None]


async def test_words_without_a_routine_say_how_to_start(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("skip")
    assert "/routine" in chat.last_text()


async def test_done_outside_a_routine_asks_and_records_todays_routine(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("done")
    assert chat.last_text() == "Did you do today's routine on your own?"
    await chat.press("Not yet")
    assert "/routine" in chat.last_text()
    await chat.say("did it")
    await chat.press("Yes, I did it")
    assert chat.last_text().startswith("Noted — well done!")
    routine = await routine_row(services)
    assert routine.status == "done" and routine.ended_at is not None
    assert {r.outcome for r in await records(services)} == {"done"}
    await chat.say("done")
    await chat.press("Yes, I did it")
    assert "already" in chat.last_text()
    assert len([r for r in await all_routines(services)]) == 1


async def test_it_hurt_after_a_routine_is_recorded_for_that_exercise(
    chat: Conversation, services: Services
) -> None:
    services.player.builder = fixed_routine(("glute_bridge", None), ("cat_camel", None))
    await ready_user(services)
    await chat.say("done")
    await chat.press("Yes, I did it")
    await chat.say("ouch, it hurt")
    assert "Which exercise of your last routine" in chat.last_text()
    await chat.press("Glute bridge")
    await chat.press("Sharp")
    await chat.press("6")
    assert any("take it into account" in m["text"] for m in chat.messages())
    # A sharp pain brings the red-flag questions back before the next routine.
    assert "Safety question 1 of 7" in chat.last_text()
    rows = {r.exercise_id: r for r in await records(services)}
    bridge = rows["glute_bridge"]
    assert (bridge.outcome, bridge.pain_kind, bridge.pain) == ("hurt", "sharp", 6)
    assert rows["cat_camel"].outcome == "done"
    # The plan takes it: the bridge rests (it has no easier version) and the reason is kept.
    view = await services.plans.view(USER)
    assert view is not None
    assert any(c.exercise_id == "glute_bridge" for c in view.changes)
    assert "glute_bridge" in view.plan.excluded


# --------------------------------------------------------------------------- stale buttons


async def test_a_double_tap_counts_once_and_old_cards_change_nothing(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    card, done = chat.find_button("✅ Done")
    first = api.user_presses(USER, card["message_id"], done)
    second = api.user_presses(USER, card["message_id"], done)
    await app.process_update(Update.de_json(first, app.bot))
    await app.process_update(Update.de_json(second, app.bot))
    assert (await routine_row(services)).position == 1
    notices = [c.params.get("text") for c in api.calls("answerCallbackQuery")]
    assert notices[-1] == "Already noted ✓"
    assert [r.outcome for r in await records(services)][:2] == ["done", None]


async def test_two_devices_at_once_give_one_result(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    card, skip = chat.find_button("⏭ Skip")
    _, done = chat.find_button("✅ Done")
    taps = [
        api.user_presses(USER, card["message_id"], skip),
        api.user_presses(USER, card["message_id"], done),
    ]
    await asyncio.gather(*(app.process_update(Update.de_json(u, app.bot)) for u in taps))
    routine = await routine_row(services)
    assert routine.position == 1
    first = (await records(services))[0]
    assert first.outcome in ("skipped", "done")
    assert sum(t.startswith("Exercise 2 of") for t in texts(chat)) == 1


async def test_yesterdays_routine_has_ended(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    card, done = chat.find_button("✅ Done")
    clock.advance(timedelta(days=1))
    await app.process_update(
        Update.de_json(api.user_presses(USER, card["message_id"], done), app.bot)
    )
    assert api.calls("answerCallbackQuery")[-1].params.get("text") == "That routine has ended."
    routine = await routine_row(services)
    assert routine.status == "expired"
    assert (await records(services))[0].outcome is None


async def test_a_button_pressed_in_another_chat_does_nothing(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    message, go = chat.find_button("▶️ Start")
    forged = api.user_presses(USER, message["message_id"], go)
    forged["callback_query"]["from"] = {"id": 777, "is_bot": False, "first_name": "Eve"}
    await app.process_update(Update.de_json(forged, app.bot))
    assert api.calls("answerCallbackQuery")[-1].params.get("text") == "That routine has ended."
    assert (await routine_row(services)).phase == "intro"


async def test_the_morning_messages_start_button_opens_the_routine(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    from bot.chat.jobs import run_pushes

    await ready_user(services)
    user = await services.users.get(USER)
    assert user is not None and user.next_due_at is not None
    clock.set(user.next_due_at + timedelta(seconds=5))
    await run_pushes(app)
    assert "Good morning, Ann!" in chat.last_text()
    await chat.press("▶️ Start now")
    assert chat.last_text().startswith("Today's routine · about 15 min")
    assert not MemoryBotApi.buttons(chat.messages()[-2])  # the push's buttons are spent
    routine = await routine_row(services)
    assert routine.local_date == user.next_due_date
    await chat.press("▶️ Start")
    assert chat.last_text().startswith("Exercise 1 of")


async def test_an_old_intros_button_cannot_act_on_the_card(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    intro, not_today = chat.find_button("Not today")
    late_tap = api.user_presses(USER, intro["message_id"], not_today)  # from a second phone
    await chat.press("▶️ Start")
    await app.process_update(Update.de_json(late_tap, app.bot))
    assert api.calls("answerCallbackQuery")[-1].params.get("text") == "Already noted ✓"
    routine = await routine_row(services)
    assert (routine.status, routine.phase) == ("open", "card")


async def test_a_safety_screen_that_is_no_longer_clear_stops_the_routine(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    async with services.sessions.begin() as s:
        user = await s.get(User, USER)
        assert user is not None
        user.safety = "doctor"  # a new screen (in /settings) found a red flag
    await chat.press("✅ Done")
    said = texts(chat)
    assert "Your safety check isn't clear right now, so I've stopped this routine." in said
    assert "doctor" in chat.last_text()
    routine = await routine_row(services)
    assert routine.status == "safety"
    assert (await records(services))[0].outcome is None


async def test_a_redelivered_done_ticks_off_one_exercise(
    chat: Conversation, services: Services
) -> None:
    # After a crash Telegram sends the last update again; it must not also finish the next one.
    services.player.builder = fixed_routine(
        ("pelvic_tilt", None), ("cat_camel", None), ("sphinx", None)
    )
    await ready_user(services)
    await chat.say("start")
    await chat.say("go")
    update = chat.api.user_says(USER, "done")
    for _ in range(2):
        await chat.app.process_update(Update.de_json(update, chat.app.bot))
    assert [r.outcome for r in await records(services)] == ["done", None, None]
    assert any(m["text"].startswith("Exercise 2 of 3") for m in chat.messages())


async def test_a_sharp_pain_in_a_routine_left_unfinished_still_changes_the_next_one(
    chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    while True:  # done, until an exercise with an easier version is on the card
        snap = await services.player.current(USER)
        assert snap is not None and snap.item is not None
        if LIBRARY.get(snap.item.exercise.id).easier:
            break
        await chat.press("✅ Done")
    target = snap.item.exercise
    await chat.press("🤕 It hurt")
    await chat.press("⚡ Sharp or shooting")
    await chat.say("6")
    # Ann puts the phone away; that routine is never ended. Two days later the sharp pain
    # brings the red-flag questions back first; once they are clear, the routine:
    clock.advance(timedelta(days=2))
    await chat.say("/routine")
    assert chat.last_text() == t("player.blocked_pending")
    await chat.press("Take the safety check")
    for _ in range(7):
        await chat.press("No")
    await chat.say("/routine")
    intro = chat.last_text()
    assert target.name in intro and "sharp or shooting" in intro
    opened = await services.player.current(USER)
    assert opened is not None
    assert target.id not in [item.exercise.id for item in opened.items]
    assert (await all_routines(services))[0].status == "expired"

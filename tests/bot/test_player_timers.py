"""Hold and rest timers, sides and sets, pause and resume, and the countdown's pace."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from test_player import advance, card, fixed_routine, labels, ready_user, records, routine_row

from bot.chat import timers
from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import RoutineTimer
from bot.services import Services
from bot.services.clock import FrozenClock


@pytest.fixture(autouse=True)
def routine(services: Services) -> None:
    services.player.builder = fixed_routine(
        ("knee_side_plank", None),  # hold 10 s × 2 sets, each side (alternating), rest 20 s
        ("front_plank", None),  # hold 15 s × 2 sets, rest 30 s
        ("bird_dog", None),  # 8 reps × 2 sets, each side, alternating, rest 30 s
    )


def new_messages(api: MemoryBotApi, since: int) -> list[str]:
    return [str(c.params.get("text")) for c in api.calls("sendMessage")[since:]]


async def start_first_card(chat: Conversation, services: Services) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")


async def test_holds_sides_and_sets_are_sequenced_with_release_messages(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    assert chat.last_text().startswith("Exercise 1 of 3\nKnees-down side plank")
    await chat.press("▶️ Start timer")
    assert "⏱ Hold, left side, set 1 of 2 — 10 s left" in chat.last_text()
    assert labels(chat)[0] == "⏸ Pause"
    sent = len(api.calls("sendMessage"))

    await advance(app, clock, 10)
    assert new_messages(api, sent) == [
        "🔔 Release — left side, set 1 of 2. Rest 5 s, then hold, right side, set 1 of 2."
    ]
    await advance(app, clock, 5)  # the short rest between sides ends quietly
    assert len(new_messages(api, sent)) == 1
    assert "⏱ Hold, right side, set 1 of 2 — 10 s left" in card(chat)
    await advance(app, clock, 10)
    await advance(app, clock, 20)
    await advance(app, clock, 10)
    await advance(app, clock, 5)
    await advance(app, clock, 10)
    assert new_messages(api, sent) == [
        "🔔 Release — left side, set 1 of 2. Rest 5 s, then hold, right side, set 1 of 2.",
        "🔔 Release — right side, set 1 of 2. Rest 20 s, then hold, left side, set 2 of 2.",
        "🔔 Go! Hold, left side, set 2 of 2 — 10 s.",
        "🔔 Release — left side, set 2 of 2. Rest 5 s, then hold, right side, set 2 of 2.",
        "🔔 Release — that was the last one. Well done! Tap ✅ Done for the next exercise.",
    ]
    # The last release carries the buttons; the card follows once the chat's pace allows.
    assert labels(chat) == ["✅ Done — next exercise", "🤕 It hurt", "⏹ Stop"]
    assert chat.last_text().startswith("🔔 Release — that was the last one.")
    await advance(app, clock, 3)
    old_card = next(m for m in chat.messages() if m["text"].startswith("Exercise 1 of 3"))
    assert "✅ All done" in old_card["text"] and not MemoryBotApi.buttons(old_card)
    await chat.press("✅ Done — next exercise")
    assert chat.last_text().startswith("Exercise 2 of 3\nFront plank")
    first = (await records(services))[0]
    assert first.outcome == "done" and first.started_at is not None
    async with services.sessions() as s:
        fired = list(await s.scalars(select(RoutineTimer).order_by(RoutineTimer.id)))
    assert [t.status for t in fired] == ["fired"] * 7
    assert [(t.kind, t.seconds) for t in fired][:3] == [("hold", 10), ("rest", 5), ("hold", 10)]


async def test_a_timer_can_be_paused_and_resumed(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    await chat.press("⏭ Skip")
    await chat.press("▶️ Start timer")
    await advance(app, clock, 4)
    await chat.press("⏸ Pause")
    assert "⏸ Paused · Hold, set 1 of 2 — 11 s to go" in chat.last_text()
    sent = len(api.calls("sendMessage"))
    await advance(app, clock, 120)
    assert new_messages(api, sent) == []  # nothing fires while paused
    await chat.say("resume")
    assert "⏱ Hold, set 1 of 2 — 11 s left" in card(chat)
    await advance(app, clock, 10)
    assert new_messages(api, sent) == []
    await advance(app, clock, 1)
    assert new_messages(api, sent) == ["🔔 Release — set 1 of 2. Rest 30 s, then hold, set 2 of 2."]
    await chat.say("pause")
    assert "⏸ Paused · Rest" in card(chat)
    async with services.sessions() as s:
        rows = await s.scalars(select(RoutineTimer).order_by(RoutineTimer.id))
        statuses = [t.status for t in rows]
    assert statuses == ["cancelled", "fired", "cancelled"]


async def test_sets_of_reps_are_guided_with_a_rest_timer(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    await chat.say("skip")
    await chat.say("skip")
    assert chat.last_text().startswith("Exercise 3 of 3\nBird dog")
    await chat.press("▶️ Start timer")
    assert "👉 8 reps each side, alternating, set 1 of 2" in chat.last_text()
    assert labels(chat)[0] == "➡️ Next: 8 reps each side, alternating, set 2 of 2"
    await chat.say("next")
    assert "😮‍💨 Rest — 30 s · next: 8 reps each side, alternating, set 2 of 2" in chat.last_text()
    sent = len(api.calls("sendMessage"))
    await advance(app, clock, 30)
    assert new_messages(api, sent) == ["🔔 Go! 8 reps each side, alternating, set 2 of 2."]
    await advance(app, clock, 3)
    assert labels(chat)[:2] == ["✅ Done", "⏭ Skip"]  # the last block: done ends it
    await chat.say("done")
    assert chat.last_text().startswith("How is your back right now")
    assert [r.outcome for r in await records(services)] == ["skipped", "skipped", "done"]


async def test_the_countdown_edits_at_most_every_three_seconds_and_not_at_the_end(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    await chat.press("⏭ Skip")
    await chat.press("▶️ Start timer")  # a 15 s hold
    started = clock.now()
    edits: list[datetime] = []
    ends: list[datetime] = []
    seen_edits, seen_sends = len(api.calls("editMessageText")), len(api.calls("sendMessage"))
    for _ in range(40):
        await advance(app, clock, 0.5)
        now_edits, now_sends = len(api.calls("editMessageText")), len(api.calls("sendMessage"))
        edits += [clock.now()] * (now_edits - seen_edits)
        ends += [clock.now()] * (now_sends - seen_sends)
        seen_edits, seen_sends = now_edits, now_sends
    due = started + timedelta(seconds=15)
    assert ends[0] == due  # the release message comes on time, as a new message
    during = [e for e in edits if e < due]
    assert 3 <= len(during) <= 5
    gaps = [b - a for a, b in zip([started, *during], during, strict=False)]
    assert min(gaps) >= timedelta(seconds=3)
    assert max(during) <= due - timedelta(seconds=1.5)
    # After the release, the card waits a second before it shows the rest.
    after = [e for e in edits if e >= due]
    assert after and min(after) - due >= timedelta(seconds=1)
    texts = [c.params["text"] for c in api.calls("editMessageText")]
    assert any("— 12 s left" in t or "— 11 s left" in t for t in texts)


async def test_it_hurt_stops_the_timer_and_a_mild_ache_carries_on(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    await chat.press("▶️ Start timer")
    await advance(app, clock, 4)
    await chat.press("🤕 It hurt")
    assert chat.last_text() == "Sorry it hurt. What did it feel like?"
    sent = len(api.calls("sendMessage"))
    await advance(app, clock, 30)
    assert new_messages(api, sent) == []  # the hold stopped at once
    await chat.press("💪 Muscles working")
    assert chat.last_text().startswith("How strong was it")
    await chat.press("3")
    assert "muscles working — that's normal" in chat.messages()[-2]["text"]
    assert "⏸ Paused · Hold, left side, set 1 of 2 — 6 s to go" in card(chat)
    first = (await records(services))[0]
    assert (first.pain_kind, first.pain, first.outcome) == ("ache", 3, None)
    await chat.press("▶️ Resume")
    await advance(app, clock, 6)
    assert new_messages(api, sent)[-1].startswith("🔔 Release — left side, set 1 of 2.")


async def test_too_much_ache_stops_the_exercise_and_offers_the_next(
    chat: Conversation, services: Services
) -> None:
    await start_first_card(chat, services)
    await chat.say("ouch")
    await chat.say("my muscles are aching")
    await chat.say("7")
    assert "Above 5 is more than we want today" in chat.last_text()
    assert labels(chat) == ["➡️ Next exercise", "🏁 End for today"]
    await chat.press("➡️ Next exercise")
    assert chat.last_text().startswith("Exercise 2 of 3")
    first = (await records(services))[0]
    assert (first.pain_kind, first.pain, first.outcome) == ("ache", 7, "hurt")


async def test_sharp_pain_stops_the_exercise_at_once_and_can_end_the_routine(
    chat: Conversation, services: Services
) -> None:
    await start_first_card(chat, services)
    await chat.press("🤕 It hurt")
    await chat.press("⚡ Sharp or shooting")
    assert chat.last_text().startswith("Stop this exercise now")
    await chat.say("6/10")
    assert "Sharp or shooting pain means this exercise stops here" in chat.last_text()
    await chat.say("stop")
    assert chat.last_text().startswith("How is your back right now")
    await chat.press("4")
    assert any("Done 0 · skipped 0 · hurt 1" in str(m.get("text")) for m in chat.messages())
    assert "Safety question 1 of 7" in chat.last_text()  # before the next routine
    first = (await records(services))[0]
    assert (first.pain_kind, first.pain, first.outcome) == ("sharp", 6, "hurt")
    assert (await routine_row(services)).status == "stopped"


async def test_leg_symptoms_end_the_routine_and_bring_the_red_flag_questions_back(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    await chat.press("▶️ Start timer")
    await chat.say("it hurts")
    # Said at the "what did it feel like?" question: recorded at once, before any score.
    await chat.say("tingling down my leg")
    texts = [str(m.get("text")) for m in chat.messages()]
    assert any(t.startswith("I've stopped today's routine") for t in texts)
    assert any(t.startswith("Numbness, tingling, weakness or pain spreading") for t in texts)
    assert "Safety question 1 of 7" in chat.last_text()
    routine = await routine_row(services)
    assert routine.status == "safety" and routine.timer_id is None
    first = (await records(services))[0]
    assert (first.pain_kind, first.pain, first.outcome) == ("leg_numbness", None, "hurt")
    user = await services.users.get(1001)
    assert user is not None and user.safety == "pending"
    await timers.sweep(app)
    await chat.say("/routine")
    assert "safety questions" in chat.last_text()


async def test_naming_the_kind_of_pain_goes_straight_to_how_strong(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App, clock: FrozenClock
) -> None:
    await start_first_card(chat, services)
    await chat.press("▶️ Start timer")
    await chat.say("ouch, sharp pain in my back!")
    assert chat.last_text().startswith("Stop this exercise now")
    sent = len(api.calls("sendMessage"))
    await advance(app, clock, 30)
    assert new_messages(api, sent) == []
    await chat.say("5")
    first = (await records(services))[0]
    assert (first.pain_kind, first.pain, first.outcome) == ("sharp", 5, "hurt")

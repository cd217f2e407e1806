"""Repeats are quiet: a button tapped twice (or ten times) gives one effect and one reply.

Taps are queued on the message as the person saw it, before the bot handles the first one:
that is what a double tap, an impatient finger or a second phone does. A repeat answers the
press (a short notice at most), sends and edits nothing, and never ends in an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pushes_kit import add_ready_user, pushes_of, unpaced  # noqa: F401  (autouse fixture)
from sqlalchemy import select
from telegram import Update
from test_onboarding import FULL, TO_DAYS, answer_all
from test_player import fixed_routine, ready_user, records, routine_row

from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.db.tables import MorningPain, PlanOffer
from bot.domain.adaptation import Offer, OfferKind, Reason
from bot.domain.onboarding import days_from_mask
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.texts import t

USER = 1001
MORNING = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # Ann's push time (every day, London)
INTRO = "Today's routine · about"


@pytest.fixture(autouse=True)
def no_errors(caplog: pytest.LogCaptureFixture, api: MemoryBotApi) -> Iterator[None]:
    """Every test here: no ERROR record, and nobody is told something went wrong."""
    caplog.set_level(logging.WARNING)
    yield
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == []
    told = [c for c in api.calls("sendMessage") if c.params.get("text") == t("core.error")]
    assert told == []


def sent(api: MemoryBotApi) -> list[str]:
    """Texts of every message the bot sent (edits not included), oldest first."""
    return [str(c.params.get("text", "")) for c in api.calls("sendMessage")]


def edits(api: MemoryBotApi) -> int:
    """How many edits Telegram accepted."""
    methods = ("editMessageText", "editMessageReplyMarkup")
    return sum(1 for c in api.calls() if c.method in methods and c.error_code is None)


def notices(api: MemoryBotApi) -> list[str]:
    """Every answer to a press: its notice, or "" for a silent one."""
    return [str(c.params.get("text") or "") for c in api.calls("answerCallbackQuery")]


class Counts:
    """What the bot did since a moment: messages sent and edits made."""

    def __init__(self, api: MemoryBotApi) -> None:
        self.api = api
        self.messages, self.edits = len(sent(api)), edits(api)

    def new_messages(self) -> list[str]:
        return sent(self.api)[self.messages :]

    def new_edits(self) -> int:
        return edits(self.api) - self.edits


async def tap(chat: Conversation, *labels: str, times: int = 1) -> Counts:
    """Tap these buttons of the newest message with buttons, all on the drawing seen now.

    Every tap is queued before the first is handled, as when a finger is quicker than the
    bot: the later ones land on the message as it was, not as the bot redraws it. Returns
    what the bot had done before them, to count what they made it do.
    """
    pressed = [chat.find_button(label) for label in labels for _ in range(times)]
    before = Counts(chat.api)
    queued = [chat.api.user_presses(USER, m["message_id"], data) for m, data in pressed]
    for update in queued:
        await chat.app.process_update(Update.de_json(update, chat.app.bot))
    return before


def chosen_days(chat: Conversation) -> list[str]:
    """The days ticked on the picker as it stands now."""
    picker = chat.api.last_message(USER)
    return [label for label, _ in MemoryBotApi.buttons(picker) if label.startswith("✅")]


# --------------------------------------------------------------------------- the symptoms


async def test_a_double_tap_on_yes_erase_erases_once_and_says_so_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    await chat.say("/delete")
    before = await tap(chat, "Yes, erase everything", times=2)
    assert before.new_messages() == [t("privacy.deleted")]
    assert await services.users.get(USER) is None
    assert notices(api)[-2:] == ["", ""]  # both presses answered, quietly


async def test_a_double_tap_on_a_pause_length_pauses_once_without_an_error(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await add_ready_user(services, USER)
    await chat.say("/pause")
    before = await tap(chat, "A week", times=2)
    assert before.new_messages() == []
    assert before.new_edits() == 1
    assert chat.last_text().startswith("Paused until")
    user = await services.users.get(USER)
    assert user is not None and user.paused_until is not None


async def test_ten_taps_on_start_now_open_one_intro_card(
    app: App, chat: Conversation, api: MemoryBotApi, services: Services, clock: FrozenClock
) -> None:
    await add_ready_user(services, USER)
    clock.set(MORNING)
    await run_pushes(app)
    before = await tap(chat, "▶️ Start now", times=10)
    new = before.new_messages()
    assert len(new) == 1 and new[0].startswith(INTRO)
    assert len(api.calls("answerCallbackQuery")) == 10
    assert all(len(notice) < 40 for notice in notices(api))  # a short notice at most
    [push] = await pushes_of(services, USER)
    assert push.response == "started"
    routine = await routine_row(services)
    assert (routine.phase, routine.status) == ("intro", "open")


async def test_start_now_after_a_tap_that_died_before_the_routine_opened_opens_it(
    app: App,
    chat: Conversation,
    api: MemoryBotApi,
    services: Services,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await add_ready_user(services, USER)
    clock.set(MORNING)
    await run_pushes(app)
    message, data = chat.find_button("▶️ Start now")

    async def dies(*_args: Any, **_kwargs: Any) -> None:
        raise asyncio.CancelledError  # the process is killed here

    with monkeypatch.context() as patch:
        patch.setattr(services.player, "open", dies)
        with pytest.raises(asyncio.CancelledError):
            await chat._process(api.user_presses(USER, message["message_id"], data))
    [push] = await pushes_of(services, USER)
    assert push.response == "started"  # the tap was recorded, but no routine opened
    # The buttons are still there, so the person can tap again, and this time it opens.
    before = len(chat.messages())
    await chat._process(api.user_presses(USER, message["message_id"], data))
    new = [m.get("text", "") for m in chat.messages()[before:]]
    assert len(new) == 1 and new[0].startswith(INTRO)
    routine = await routine_row(services)
    assert (routine.phase, routine.status) == ("intro", "open")


async def test_days_tapped_quickly_on_the_same_picker_all_count(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*TO_DAYS, "[Pick days]"])
    await tap(chat, "Mon", "Tue", "Thu")  # all three on the picker as first drawn
    assert t("onboarding.stale") not in notices(api)
    assert chosen_days(chat) == ["✅ Mon", "✅ Tue", "✅ Thu"]
    await chat.press("Done")
    user = await services.users.get(USER)
    assert user is not None and days_from_mask(user.days_mask or 0) == {0, 1, 3}


# --------------------------------------------------------------------------- the day picker


async def test_a_double_tap_on_a_day_keeps_it_chosen(chat: Conversation, api: MemoryBotApi) -> None:
    await answer_all(chat, [*TO_DAYS, "[Pick days]"])
    before = await tap(chat, "Wed", times=2)  # the second tap must not take it off again
    assert chosen_days(chat) == ["✅ Wed"]
    assert before.new_messages() == [] and before.new_edits() == 1
    await tap(chat, "✅ Wed", "Fri")  # off again, and another day, on one drawing
    assert chosen_days(chat) == ["✅ Fri"]


async def test_done_too_soon_tapped_twice_hints_once_on_the_picker(
    chat: Conversation, api: MemoryBotApi
) -> None:
    await answer_all(chat, [*TO_DAYS, "[Pick days]", "[Tue]"])
    before = await tap(chat, "Done", times=2)
    assert before.new_messages() == [] and before.new_edits() == 1
    assert "at least two" in chat.last_text()
    assert chosen_days(chat) == ["✅ Tue"]


async def test_a_day_tapped_after_done_is_refused_politely(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*TO_DAYS, "[Pick days]", "[Mon]", "[Thu]"])
    picker, saturday = chat.find_button("Sat")
    late = api.user_presses(USER, picker["message_id"], saturday)  # from a second phone
    await chat.press("Done")
    assert "What time" in chat.last_text()
    before = Counts(api)
    await chat.app.process_update(Update.de_json(late, chat.app.bot))
    assert notices(api)[-1] == t("onboarding.stale")
    assert before.new_messages() == [] and before.new_edits() == 0
    user = await services.users.get(USER)
    assert user is not None and days_from_mask(user.days_mask or 0) == {0, 3}


# --------------------------------------------------------------------------- privacy


async def test_a_double_tap_on_no_keep_it_answers_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/delete"])
    before = await tap(chat, "No, keep it", times=2)
    assert before.new_messages() == [t("privacy.delete_kept")]
    assert await services.users.get(USER) is not None


async def test_erase_then_keep_on_one_drawing_answers_the_first_only(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/delete"])
    before = await tap(chat, "Yes, erase everything", "No, keep it")
    assert before.new_messages() == [t("privacy.deleted")]
    assert await services.users.get(USER) is None


async def test_withdraw_consent_tapped_twice_asks_once(
    chat: Conversation, api: MemoryBotApi
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/settings"])
    before = await tap(chat, "Withdraw consent", times=2)
    assert before.new_messages() == [t("privacy.delete_ask")]


# --------------------------------------------------------------------------- morning pushes


async def morning(app: App, clock: FrozenClock, services: Services, **user: Any) -> None:
    """Ann is set up (every day at 07:00, London) and her morning push has just gone out."""
    await add_ready_user(services, USER, **user)
    clock.set(MORNING)
    assert (await run_pushes(app)).sent == 1


@pytest.mark.parametrize(
    ("label", "said", "response"),
    [
        ("⏰ In 30 minutes", t("pushes.snoozed", time="07:30"), "snoozed"),
        ("Skip today", t("pushes.skipped"), "skipped"),
    ],
)
async def test_a_push_answer_tapped_twice_counts_and_says_so_once(
    app: App,
    chat: Conversation,
    api: MemoryBotApi,
    services: Services,
    clock: FrozenClock,
    label: str,
    said: str,
    response: str,
) -> None:
    await morning(app, clock, services)
    before = await tap(chat, label, times=2)
    assert before.new_messages() == [said]
    assert (await pushes_of(services, USER))[0].response == response
    clock.set(MORNING + timedelta(minutes=30))
    reminders = 1 if response == "snoozed" else 0  # one nudge, whatever the taps
    assert (await run_pushes(app)).sent == reminders


async def test_two_taps_on_the_morning_pain_scale_count_the_first_once(
    app: App, chat: Conversation, api: MemoryBotApi, services: Services, clock: FrozenClock
) -> None:
    await morning(app, clock, services, baseline_pain=6)  # the push asks about the back first
    scale, seven = chat.find_button("7")
    late = api.user_presses(USER, scale["message_id"], seven)  # handled further down
    before = await tap(chat, "3", "8")
    assert before.new_messages() == [] and before.new_edits() == 1
    assert t("pushes.pain_low") in chat.last_text()
    answers = await morning_pains(services)
    assert answers == [3]
    # A late tap on the scale, after Start: the card's buttons stay spent.
    await chat.press("▶️ Start now")
    await chat.app.process_update(Update.de_json(late, chat.app.bot))
    assert MemoryBotApi.buttons(chat.api.sent_to(USER)[0]) == []
    assert await morning_pains(services) == [3]


async def morning_pains(services: Services) -> list[int]:
    async with services.sessions() as s:
        return list(await s.scalars(select(MorningPain.pain)))


# --------------------------------------------------------------------------- the player


async def test_player_buttons_tapped_twice_act_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    services.player.builder = fixed_routine(("cat_camel", None), ("pelvic_tilt", None))
    await ready_user(services)
    await chat.say("/routine")
    before = await tap(chat, "▶️ Start", times=2)
    assert [m.split("\n")[0][:15] for m in before.new_messages()] == ["Exercise 1 of 2"]
    await tap(chat, "✅ Done", times=2)
    assert (await routine_row(services)).position == 1
    before = await tap(chat, "⏹ Stop", times=2)
    [asked] = before.new_messages()
    assert asked.startswith("How is your back right now")
    await tap(chat, "3", times=2)
    summary = chat.last_text()
    assert "Done 1 · skipped 0" in summary and summary.endswith(t("player.feel_ask"))
    before = await tap(chat, "Easy", "Hard")
    assert before.new_messages() == [] and before.new_edits() == 1
    assert chat.last_text().endswith(t("player.feel_noted_easy"))
    routine = await routine_row(services)
    assert (routine.status, routine.end_pain, routine.feel) == ("stopped", 3, "easy")
    assert [r.outcome for r in await records(services)] == ["done", None]


# --------------------------------------------------------------------------- afterwards


async def test_did_it_and_not_yet_tapped_twice_answer_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await ready_user(services)
    await chat.say("done")
    before = await tap(chat, "Not yet", times=2)
    assert before.new_messages() == [t("player.done_alone_not_yet")]
    await chat.say("done")
    before = await tap(chat, "Yes, I did it", times=2)
    [said] = before.new_messages()
    assert said.startswith("Noted — well done!")
    assert (await routine_row(services)).status == "done"


async def test_it_hurt_later_tapped_twice_at_each_question_records_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    services.player.builder = fixed_routine(("glute_bridge", None), ("cat_camel", None))
    await ready_user(services)
    await answer_all(chat, ["done", "[Yes, I did it]", "ouch, it hurt"])
    before = await tap(chat, "Glute bridge", times=2)
    await tap(chat, "Sharp", times=2)
    assert before.new_messages() == [] and before.new_edits() == 2
    await tap(chat, "6", times=2)
    new = before.new_messages()
    assert new[0] == t("player.hurt_later_recorded")
    assert len(new) == 2 and "Safety question 1 of 7" in new[1]  # sharp: the screen again
    bridge = (await records(services))[0]
    assert (bridge.outcome, bridge.pain_kind, bridge.pain) == ("hurt", "sharp", 6)


# --------------------------------------------------------------------------- settings and /plan


async def test_weekly_summary_buttons_tapped_twice_answer_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/settings"])
    before = await tap(chat, "📅 Weekly summary", times=2)
    [asked] = before.new_messages()
    assert "comes on Sundays" in asked
    before = await tap(chat, "Wednesday", times=2)
    assert before.new_messages() == [] and before.new_edits() == 1
    assert chat.last_text() == t("progress.settings_saved", day="Wednesday")
    assert (await services.weekly.choice(USER)).weekday == 2


async def test_an_offer_tapped_twice_is_taken_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    offer = Offer(kind=OfferKind.LEVEL_UP, reason=Reason.STEADY, on=date(2026, 11, 21), level=3)
    async with services.sessions.begin() as s:
        s.add(PlanOffer(user_id=USER, created_at=MORNING, detail=offer.model_dump(mode="json")))
    await chat.say("/plan")
    before = await tap(chat, "Yes, level 3", times=2)
    [taken] = before.new_messages()
    assert "Level 2 → 3" in taken
    assert notices(api)[-1] == t("plan.offer_stale")
    user = await services.users.get(USER)
    assert user is not None and user.level == 3


async def test_take_the_safety_check_tapped_twice_asks_once(
    chat: Conversation, api: MemoryBotApi, services: Services
) -> None:
    await ready_user(services, safety="pending")
    await chat.say("/routine")
    before = await tap(chat, "Take the safety check", times=2)
    [asked] = before.new_messages()
    assert "Safety question 1 of 7" in asked
    await chat.press("No")
    assert "Safety question 2 of 7" in chat.last_text()


async def test_the_all_clear_button_tapped_twice_asks_once(
    chat: Conversation, api: MemoryBotApi
) -> None:
    await answer_all(chat, ["/start", "[I agree]", "[No]", "[No]", "[No]", "[No]", "[Yes]"])
    assert "Please see a doctor today" in chat.last_text()
    before = await tap(chat, "✅ A clinician has checked me", times=2)
    assert before.new_messages() == [t("onboarding.clearance")]

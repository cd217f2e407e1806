"""Onboarding and /settings through the real Application, every step and bad input."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta

import pytest
from sqlalchemy import select
from telegram import Update

from bot.app import build_application
from bot.chat.context import App
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.transports.shell import Conversation
from bot.db.tables import Dialog, SafetyScreen
from bot.services import Services, build_services

USER = 1001
SAFETY_NO = ["No"] * 7


async def answer_all(chat: Conversation, steps: list[str]) -> None:
    """Press `[Label]` entries, type the rest."""
    for step in steps:
        if step.startswith("[") and step.endswith("]"):
            await chat.press(step[1:-1])
        else:
            await chat.say(step)


def pressed(labels: list[str]) -> list[str]:
    return [f"[{label}]" for label in labels]


TO_PAIN = ["/start", "[I agree]", *pressed(SAFETY_NO)]
TO_DAYS = [*TO_PAIN, "[4]", "[Longer]", "[Some]"]
TO_ZONE = [*TO_DAYS, "[Mon · Wed]", "[07:30]"]
FULL = [*TO_ZONE, "London", "[Yes]"]


async def test_whole_onboarding_with_buttons_ends_at_the_summary(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, FULL)
    text = chat.last_text()
    assert "Level 2" in text and "Mon · Wed · Fri" in text and "07:30" in text
    assert "Europe/London" in text
    user = await services.users.get(USER)
    assert user is not None
    assert (user.baseline_pain, user.pain_duration, user.activity) == (4, "chronic", "some")
    assert user.days_mask == 0b10101 and user.push_time == time(7, 30)
    assert user.tz == "Europe/London" and user.safety == "clear" and user.consent_at is not None
    assert user.onboarded_at is None  # not until they choose how to begin

    await chat.press("Wait for the morning")
    assert "Mon 23 Nov at 07:30" in chat.last_text()  # the clock stands on Sat 21 Nov
    user = await services.users.get(USER)
    assert user is not None and user.onboarded_at is not None
    async with services.sessions() as s:
        assert await s.get(Dialog, USER) is None


async def test_typed_answers_work_at_every_step(chat: Conversation, services: Services) -> None:
    await answer_all(
        chat,
        ["/start", "I agree", *["no"] * 7, "6/10", "longer", "mostly sitting",
         "tue thu sat", "7:45am", "Kolkata", "yes"],
    )  # fmt: skip
    assert "Here's your plan" in chat.last_text()
    user = await services.users.get(USER)
    assert user is not None
    assert user.baseline_pain == 6 and user.level == 1  # sitting and 6/10 start gently
    assert user.days_mask == (1 << 1) | (1 << 3) | (1 << 5)
    assert user.push_time == time(7, 45) and user.tz == "Asia/Kolkata"


async def test_not_now_stores_nothing(chat: Conversation, services: Services) -> None:
    await chat.say("/start")
    await chat.press("Not now")
    assert "/start" in chat.last_text()
    assert await services.users.get(USER) is None


@pytest.mark.parametrize(
    ("question", "urgent"),
    [(1, "emergency"), (2, "emergency"), (3, "emergency"), (4, "doctor"), (7, "doctor")],
)
async def test_any_yes_in_the_safety_screen_ends_with_advice_and_no_routine(
    chat: Conversation, services: Services, question: int, urgent: str
) -> None:
    await answer_all(chat, ["/start", "[I agree]", *pressed(["No"] * (question - 1)), "[Yes]"])
    text = chat.last_text()
    if urgent == "emergency":
        assert "emergency" in text.lower()
    else:
        assert "doctor" in text.lower()
    assert "routine" in text.lower()
    user = await services.users.get(USER)
    assert user is not None and user.safety == urgent and user.onboarded_at is None
    async with services.sessions() as s:
        screen = (await s.execute(select(SafetyScreen))).scalar_one()
        assert screen.verdict == urgent and screen.finished_at is not None
        assert len(screen.answers) == question
        assert all("at" in a for a in screen.answers.values())
    # Coming back does not skip the advice or reopen the questions.
    await chat.say("/start")
    assert chat.last_text() == text


async def test_a_clear_screen_is_stored_with_every_answer(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, TO_PAIN)
    async with services.sessions() as s:
        screen = (await s.execute(select(SafetyScreen))).scalar_one()
    assert screen.verdict == "clear" and len(screen.answers) == 7
    assert not any(a["yes"] for a in screen.answers.values())


@pytest.mark.parametrize("typed", ["6", "6/10", "six", "about 6", "6️⃣"])
async def test_pain_accepts_free_text(chat: Conversation, services: Services, typed: str) -> None:
    await answer_all(chat, [*TO_PAIN, typed])
    user = await services.users.get(USER)
    assert user is not None and user.baseline_pain == 6


@pytest.mark.parametrize(
    ("steps", "hint"),
    [
        (["/start", "banana"], "I agree"),
        (["/start", "[I agree]", "maybe"], "Yes or No"),
        ([*TO_PAIN, "banana"], "0 to 10"),
        ([*TO_PAIN, "12"], "0 to 10"),
        ([*TO_PAIN, "[4]", "whatever"], "three answers"),
        ([*TO_DAYS, "sometimes"], "at least two"),
        ([*TO_DAYS, "monday"], "at least two"),
        ([*TO_DAYS, "[Mon · Wed]", "25:99"], "7:45"),
        ([*TO_ZONE, "Qwzxqy"], "couldn't find"),
    ],
)
async def test_free_text_that_does_not_fit_gets_a_hint_and_the_same_question(
    chat: Conversation, steps: list[str], hint: str
) -> None:
    await answer_all(chat, steps[:-1])
    question = chat.api.last_message(USER)
    await chat.say(steps[-1])
    again = chat.api.last_message(USER)
    assert hint in again["text"]
    assert again["message_id"] != question["message_id"]
    assert [b for b, _ in MemoryBotApi.buttons(again)] == [
        b for b, _ in MemoryBotApi.buttons(question)
    ]


async def test_days_can_be_picked_one_by_one_and_need_two(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*TO_DAYS, "[Pick days]", "[Tue]", "[Done]"])
    assert "at least two" in chat.last_text()
    await answer_all(chat, ["[Sat]", "[Done]"])
    user = await services.users.get(USER)
    assert user is not None and user.days_mask == (1 << 1) | (1 << 5)


async def test_an_evening_time_needs_a_confirmation(chat: Conversation, services: Services) -> None:
    await answer_all(chat, [*TO_DAYS, "[Mon · Wed]", "19:00"])
    assert "isn't in the morning" in chat.last_text()
    await chat.press("No")
    assert "What time" in chat.last_text()
    await answer_all(chat, ["7.45 pm", "[Yes]"])
    user = await services.users.get(USER)
    assert user is not None and user.push_time == time(19, 45)


async def test_zone_from_a_shared_location(chat: Conversation, services: Services) -> None:
    await answer_all(chat, TO_ZONE)
    await chat.share_location(48.8566, 2.3522)
    assert "Europe/Paris" in chat.last_text()
    assert "where you are" in chat.last_text()
    await chat.press("Yes")
    user = await services.users.get(USER)
    assert user is not None and user.tz == "Europe/Paris"


async def test_zone_from_a_utc_offset_shows_the_local_time(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*TO_ZONE, "[Pick a UTC offset]", "[UTC+3]"])
    now = services.clock.now()
    assert f"{(now.hour + 3) % 24:02d}:{now.minute:02d}" in chat.last_text()
    await chat.press("No")
    assert "where are you" in chat.last_text()


async def test_an_ambiguous_city_offers_choices(chat: Conversation, services: Services) -> None:
    await answer_all(chat, [*TO_ZONE, "Springfield"])
    labels = [label for label, _ in chat.api.buttons(chat.api.last_message(USER))]
    assert "Springfield, US (America/Chicago)" in labels
    assert "Springfield, US (America/New_York)" in labels
    assert len(labels) == len(set(labels))
    await answer_all(chat, ["[Springfield, US (America/New_York)]", "[Yes]"])
    user = await services.users.get(USER)
    assert user is not None and user.tz == "America/New_York"


async def test_a_much_bigger_city_is_taken_without_a_list(chat: Conversation) -> None:
    await answer_all(chat, [*TO_ZONE, "sydney"])
    assert "Australia/Sydney" in chat.last_text() and "where you are" in chat.last_text()


async def test_change_something_from_the_summary(chat: Conversation, services: Services) -> None:
    await answer_all(chat, [*FULL, "[Change something]", "[Time]", "[08:00]"])
    assert "Here's your plan" in chat.last_text() and "08:00" in chat.last_text()
    user = await services.users.get(USER)
    assert user is not None and user.push_time == time(8, 0)


async def test_a_stale_button_changes_nothing(chat: Conversation, services: Services) -> None:
    # A typed answer leaves the old question's buttons on screen, to be tapped later.
    await answer_all(chat, [*TO_PAIN, "4"])
    pain_question = next(m for m in chat.messages() if "How strong" in m["text"])
    before = len(chat.messages())
    update = chat.api.user_presses(USER, pain_question["message_id"], _data_of(pain_question, "7"))
    await chat.app.process_update(Update.de_json(update, chat.app.bot))
    assert chat.api.calls("answerCallbackQuery")[-1].params.get("text") == (
        "That question has moved on."
    )
    assert len(chat.messages()) == before
    user = await services.users.get(USER)
    assert user is not None and user.baseline_pain == 4


def _data_of(message: dict[str, object], label: str) -> str:
    return next(d for text, d in MemoryBotApi.buttons(message) if text == label)


async def test_a_double_tap_counts_once(chat: Conversation, services: Services) -> None:
    await answer_all(chat, TO_PAIN)
    question = chat.api.last_message(USER)
    data = _data_of(question, "5")
    first = chat.api.user_presses(USER, question["message_id"], data)
    second = chat.api.user_presses(USER, question["message_id"], data)
    await chat.app.process_update(Update.de_json(first, chat.app.bot))
    await chat.app.process_update(Update.de_json(second, chat.app.bot))
    asked = [m for m in chat.messages() if "How long" in m["text"]]
    assert len(asked) == 1


async def test_two_devices_tapping_at_once_give_one_result(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, TO_PAIN)
    question = chat.api.last_message(USER)
    taps = [
        chat.api.user_presses(USER, question["message_id"], _data_of(question, label))
        for label in ("3", "8")
    ]
    await asyncio.gather(
        *(chat.app.process_update(Update.de_json(tap, chat.app.bot)) for tap in taps)
    )
    user = await services.users.get(USER)
    assert user is not None and user.baseline_pain in {3, 8}
    assert len([m for m in chat.messages() if "How long" in m["text"]]) == 1
    toasts = [c.params.get("text") for c in chat.api.calls("answerCallbackQuery")]
    assert toasts.count("That question has moved on.") == 1


async def test_a_button_cannot_change_another_users_data(
    chat: Conversation, services: Services, api: MemoryBotApi, app: App
) -> None:
    await answer_all(chat, TO_PAIN)
    question = chat.api.last_message(USER)
    other = Conversation(app, api, 2002, "Bo")
    await answer_all(other, TO_PAIN)
    update = chat.api.user_presses(USER, question["message_id"], _data_of(question, "9"))
    update["callback_query"]["from"] = {"id": 2002, "is_bot": False, "first_name": "Bo"}
    await app.process_update(Update.de_json(update, app.bot))
    for user_id in (USER, 2002):
        user = await services.users.get(user_id)
        assert user is not None and user.baseline_pain is None


async def test_help_and_cancel_work_mid_flow_and_start_resumes(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*TO_PAIN, "[4]"])
    await chat.say("/help")
    assert "/settings" in chat.last_text()
    await chat.press("Longer")  # the question is still open after /help
    await chat.say("/cancel")
    assert "/start" in chat.last_text()
    user = await services.users.get(USER)
    assert user is not None and user.baseline_pain == 4 and user.pain_duration == "chronic"
    await chat.say("/start")
    assert "pick up where we left off" in chat.messages()[-2]["text"]
    assert "How strong" in chat.last_text()


async def test_a_new_process_continues_at_the_same_question(
    chat: Conversation, services: Services, api: MemoryBotApi
) -> None:
    await answer_all(chat, [*TO_DAYS, "[Mon · Wed]"])
    assert "What time" in chat.last_text()
    # A second worker (or the same bot after kill -9) has only the database to go on.
    other = build_services(services.settings, clock=services.clock)
    second = build_application(other, DEFAULT_TOKEN, request=MemoryRequest(api))
    async with second:
        await second.process_update(Update.de_json(api.user_says(USER, "8:15"), second.bot))
    await other.close()
    assert "where are you" in chat.last_text()
    user = await services.users.get(USER)
    assert user is not None and user.push_time == time(8, 15)


async def test_returning_user_is_welcomed_back_not_asked_again(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    count = len(chat.messages())
    await chat.say("/start")
    assert len(chat.messages()) == count + 1
    assert chat.last_text().startswith("Welcome back")


async def test_settings_change_the_level_and_retake_the_safety_screen(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/settings"])
    assert "Your settings" in chat.last_text()
    await answer_all(chat, ["[Level]", "[1 ·]"])
    assert "Your settings" in chat.last_text() and "Level 1" in chat.last_text()
    await answer_all(chat, ["[Safety check]", "[No]", "[No]", "[Yes]"])
    assert "emergency" in chat.last_text().lower()
    user = await services.users.get(USER)
    assert user is not None and user.level == 1 and user.safety == "emergency"


async def test_settings_before_onboarding_points_to_start(chat: Conversation) -> None:
    await chat.say("/settings")
    assert "/start" in chat.last_text()


async def test_settings_pause_and_resume_the_morning_messages(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]", "/settings", "[Pause messages]"])
    await chat.press("1")  # the first length offered
    user = await services.users.get(USER)
    assert user is not None and (user.paused_until is not None or user.paused_indefinitely)
    await answer_all(chat, ["/settings"])
    assert "paused" in chat.last_text()
    await chat.press("Resume messages")
    user = await services.users.get(USER)
    assert user is not None and user.paused_until is None and not user.paused_indefinitely


async def test_changing_the_time_in_settings_moves_the_next_push_at_once(
    chat: Conversation, services: Services
) -> None:
    await answer_all(chat, [*FULL, "[Wait for the morning]"])
    before = await services.users.get(USER)
    assert before is not None and before.next_due_at is not None
    await answer_all(chat, ["/settings", "[Time]", "[09:00]"])
    after = await services.users.get(USER)
    assert after is not None and after.next_due_at is not None
    assert after.next_due_at - before.next_due_at == timedelta(hours=1, minutes=30)


async def test_a_redelivered_typed_answer_is_not_applied_twice(
    chat: Conversation, services: Services
) -> None:
    # After a crash Telegram sends an update again; a safety "no" must not also answer
    # the next question unseen.
    await answer_all(chat, ["/start", "[I agree]"])
    update = chat.api.user_says(USER, "no")
    await chat.app.process_update(Update.de_json(update, chat.app.bot))
    assert "2 of 7" in chat.last_text()
    await chat.app.process_update(Update.de_json(update, chat.app.bot))
    assert "2 of 7" in chat.last_text()
    async with services.sessions() as s:
        screen = (await s.execute(select(SafetyScreen))).scalar_one()
    assert list(screen.answers) == ["bladder_bowel"]


async def test_start_now_opens_the_first_routine(chat: Conversation, services: Services) -> None:
    await answer_all(chat, [*FULL, "[Start my first routine now]"])
    assert "Today's routine" in chat.last_text()
    labels = [label for label, _ in chat.api.buttons(chat.api.last_message(USER))]
    assert any("Start" in label for label in labels)
    user = await services.users.get(USER)
    assert user is not None and user.onboarded_at is not None


async def test_a_redelivered_button_press_is_quietly_ignored(chat: Conversation) -> None:
    # A press delivered again after a crash: its query was answered already (Telegram
    # refuses a second answer); the user sees no error and the next question stands.
    await answer_all(chat, ["/start"])
    consent = chat.api.last_message(USER)
    update = chat.api.user_presses(USER, consent["message_id"], _data_of(consent, "I agree"))
    for _ in range(2):
        await chat.app.process_update(Update.de_json(update, chat.app.bot))
    texts = [m["text"] for m in chat.messages()]
    assert not any("went wrong" in text for text in texts)
    assert "Safety question 1 of 7" in texts[-1]

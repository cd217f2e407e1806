"""The one way in: a safety signal wins in every state, typed numbers count at every number
question, and no dialog swallows the day. Through the real Application, on both databases.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from pushes_kit import add_ready_user, morning_answers, unpaced, utc  # noqa: F401
from sqlalchemy import select
from telegram import Update
from test_player import advance, card, fixed_routine, labels, ready_user, records, routine_row

from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.transports.shell import Conversation
from bot.db.tables import Dialog, PainReport, SafetyScreen, User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.services.morning_check import plan_check
from bot.texts import t

pytestmark = pytest.mark.db

USER = 1001
SATURDAY_0700 = utc(2026, 11, 21, 7)

# How people say each safety signal: fresh phrases, typed the way phones get typed.
SAID = {
    "bladder_bowel": "ive had a couple of accidents, cant seem to control my bladder since tuesday",
    "saddle_numbness": "its gone numb around my bum and privates",
    "both_legs": "both my legs feel weak and wobbly",
    "fever_unwell": "running a fever today, feel awful 🤒",
    "trauma": "slipped on the stairs this morning and landed on my back",
    "cancer_weight": "had bowel cancer 3 yrs ago fyi",
    "night_pain": "the pain wakes me every night whatever position i try",
    "leg": "i feel numb in my leg",
    "sharp": "owww sharp stabbing pain in my lower back",
}
RED_FLAGS = [k for k in SAID if k not in ("leg", "sharp")]

Setup = Callable[[Conversation, Services, App, FrozenClock], Awaitable[None]]


@pytest.fixture(autouse=True)
def routine(services: Services) -> None:
    services.player.builder = fixed_routine(
        ("knee_side_plank", None),  # holds with rests between sets
        ("front_plank", None),
        ("cat_camel", None),  # reps in one set: nothing to time
    )


# --------------------------------------------------------------------------- the states


async def _nothing(chat: Conversation, services: Services, app: App, clock: FrozenClock) -> None:
    await ready_user(services)


async def _onboarding(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await chat.say("/start")
    await chat.press("I agree")
    for _ in range(7):
        await chat.press("No")
    assert "How strong is your back pain" in chat.last_text()


async def _settings(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await ready_user(services)
    await chat.say("/settings")


async def _intro(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await ready_user(services)
    await chat.say("/routine")


async def _card(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _intro(chat, services, app, c)
    await chat.press("▶️ Start")


async def _running(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _card(chat, services, app, c)
    await chat.press("▶️ Start timer")
    assert "s left" in card(chat)


async def _rest(chat: Conversation, services: Services, app: App, clock: FrozenClock) -> None:
    await _running(chat, services, app, clock)
    for _ in range(20):
        if "Rest" in card(chat):
            return
        await advance(app, clock, 5)
    raise AssertionError("no rest came")


async def _paused(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _running(chat, services, app, c)
    await chat.press("⏸ Pause")


async def _hurt_kind(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _card(chat, services, app, c)
    await chat.say("it hurt")
    assert chat.last_text() == t("player.hurt_kind")


async def _hurt_pain(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _hurt_kind(chat, services, app, c)
    await chat.press("💪 Muscles working")


async def _hurt_next(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _card(chat, services, app, c)
    await chat.press("🤕 It hurt")
    await chat.press("⚡ Sharp")
    await chat.press("6")


async def _end_pain(chat: Conversation, services: Services, app: App, c: FrozenClock) -> None:
    await _card(chat, services, app, c)
    for _ in range(3):
        await chat.press("⏭ Skip")
    assert chat.last_text().startswith("How is your back right now")


async def _morning(chat: Conversation, services: Services, app: App, clock: FrozenClock) -> None:
    await add_ready_user(services, USER, first_name="Ann", baseline_pain=6)
    clock.set(SATURDAY_0700)
    assert (await run_pushes(app)).sent == 1
    assert "How is your back this morning?" in chat.last_text()


async def _rest_day(chat: Conversation, services: Services, app: App, clock: FrozenClock) -> None:
    await add_ready_user(services, USER, first_name="Ann", days=(0,), baseline_pain=2)
    async with services.sessions.begin() as s:
        user = await s.get(User, USER)
        assert user is not None
        await plan_check(s, user, after=date(2026, 11, 20), now=clock.now())
    clock.set(SATURDAY_0700)
    assert (await run_pushes(app)).sent == 1
    assert "rest day" in chat.last_text()


STATES: dict[str, Setup] = {
    "no dialog": _nothing,
    "onboarding": _onboarding,
    "settings": _settings,
    "intro": _intro,
    "card": _card,
    "running hold": _running,
    "rest": _rest,
    "paused": _paused,
    "hurt kind": _hurt_kind,
    "hurt pain": _hurt_pain,
    "hurt next": _hurt_next,
    "end question": _end_pain,
    "morning question": _morning,
    "rest-day question": _rest_day,
}
IN_ROUTINE = {
    "intro",
    "card",
    "running hold",
    "rest",
    "paused",
    "hurt kind",
    "hurt pain",
    "hurt next",
    "end question",
}
IN_EXERCISE = {"card", "running hold", "rest", "paused", "hurt kind"}


async def _safety_of(services: Services) -> str:
    async with services.sessions() as s:
        user = await s.get(User, USER)
        assert user is not None
        return user.safety


async def _open_routine_status(services: Services) -> str | None:
    try:
        return (await routine_row(services)).status
    except AssertionError:
        return None


# --------------------------------------------------------------------------- the matrix


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("flag", RED_FLAGS)
async def test_a_red_flag_phrase_is_asked_back_in_every_state(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, state: str, flag: str
) -> None:
    await STATES[state](chat, services, app, clock)
    before = await _safety_of(services)
    await chat.say(SAID[flag])
    # The question about exactly that red flag, with Yes and No; nothing else first.
    assert chat.last_text() == t(f"safety.{flag}")
    assert labels(chat) == ["Yes", "No"]
    assert any(m.get("text") == t("safety.asked_back") for m in chat.messages())
    if state in IN_ROUTINE:
        assert await _open_routine_status(services) == "safety"
    # Words alone never block: only a "yes" does.
    assert await _safety_of(services) == before


@pytest.mark.parametrize("state", STATES)
async def test_leg_symptoms_are_recorded_at_once_and_the_screen_comes_back_in_every_state(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, state: str
) -> None:
    await STATES[state](chat, services, app, clock)
    await chat.say(SAID["leg"])
    assert await _safety_of(services) == "pending"
    assert any(m.get("text") == t("safety.leg_heard") for m in chat.messages())
    assert "Safety question 1 of 7" in chat.last_text()
    if state in IN_ROUTINE:
        assert await _open_routine_status(services) == "safety"
    if state in IN_EXERCISE:
        first = (await records(services))[0]
        assert (first.pain_kind, first.outcome) == ("leg_numbness", "hurt")
    # Whatever comes next ("stop", a number, silence), nothing starts before the screen.
    await chat.say("stop")
    await chat.say("/routine")
    wanted = "set you up first" if state == "onboarding" else "safety questions"
    assert wanted in chat.last_text()


@pytest.mark.parametrize("state", STATES)
async def test_sharp_pain_stops_the_exercise_or_is_noted_against_one(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, state: str
) -> None:
    await STATES[state](chat, services, app, clock)
    await chat.say(SAID["sharp"])
    last = chat.last_text()
    if state in IN_EXERCISE:
        # The existing flow: the exercise stops at once, then "how strong?".
        assert last.startswith(t("player.hurt_stop_now"))
    elif state == "hurt pain":
        assert last == t("player.hint_pain")  # its kind is already said: the score is next
    elif state in ("hurt next", "end question"):
        # Noted against an exercise of this routine, named by the person.
        assert last.startswith("Sorry to hear that. Which exercise")
    else:
        assert last == t("safety.sharp_nothing")


# --------------------------------------------------------------------------- the answers


async def test_yes_to_an_emergency_flag_asked_back_is_the_screen_outcome(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.say("cant feel anything down there when i wipe")
    assert chat.last_text() == t("safety.saddle_numbness")
    await chat.say("yes")
    assert chat.last_text().startswith("⚠️ Please get medical help now")
    assert await _safety_of(services) == "emergency"
    async with services.sessions() as s:
        screen = await s.scalar(select(SafetyScreen))
    assert screen is not None and screen.reason == "said" and screen.verdict == "emergency"
    assert screen.answers["saddle_numbness"]["yes"] is True
    await chat.say("/routine")
    assert "urgent medical help" in chat.last_text()


async def test_yes_to_a_doctor_flag_asks_the_emergency_questions_first(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _nothing(chat, services, app, clock)
    await chat.say("I fell off a ladder on sunday")
    assert chat.last_text() == t("safety.trauma")
    await chat.press("Yes")
    # Held now; the three emergency questions decide between "today" and "now".
    assert await _safety_of(services) == "pending"
    assert t("safety.bladder_bowel") in chat.last_text()
    for _ in range(3):
        await chat.press("No")
    assert chat.last_text().startswith("Thank you for telling me. Please see a doctor")
    assert await _safety_of(services) == "doctor"


async def test_no_to_a_flag_asked_back_returns_to_the_question_that_was_open(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _onboarding(chat, services, app, clock)
    await chat.say("fever and chills since yesterday")
    await chat.say("nope")
    assert "How strong is your back pain" in chat.last_text()
    await chat.say("4")
    assert "How long" in chat.last_text()
    assert await _safety_of(services) == "clear"


async def test_no_with_nothing_open_reassures_and_the_routine_can_start_again(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.say("I had a bad fall yesterday")
    await chat.press("No")
    assert chat.last_text() == t("safety.reassured")
    await chat.say("/routine")
    assert chat.last_text().startswith("Today's routine")


async def test_unsure_leg_words_ask_one_question_and_yes_acts_as_leg_symptoms(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.say("not sure if my leg is numb or just asleep")
    assert chat.last_text() == t("safety.leg_question")
    assert await _open_routine_status(services) == "open"  # a question, not a stop
    await chat.say("yes")
    assert await _safety_of(services) == "pending"
    assert "Safety question 1 of 7" in chat.last_text()
    assert await _open_routine_status(services) == "safety"


async def test_negated_and_past_symptoms_raise_nothing_and_the_card_goes_on(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    for said in ("no numbness or tingling", "my leg was numb last year but its fine now"):
        await chat.say(said)
        assert chat.last_text().startswith("Type start for the timer")
    await chat.say("done")
    assert card(chat).startswith("Exercise 2 of 3")
    assert await _safety_of(services) == "clear"


@pytest.mark.parametrize("answer", ["👍", "👎", "n/a", "no?", "sometimes"])
async def test_the_safety_screen_takes_only_clear_words(
    chat: Conversation, services: Services, answer: str
) -> None:
    await chat.say("/start")
    await chat.press("I agree")
    question = chat.last_text()
    await chat.say(answer)
    assert chat.last_text().startswith(t("onboarding.hint_safety"))
    assert question.split("\n\n")[-1] in chat.last_text()  # the same question again
    await chat.say("no, never")
    assert "Safety question 2 of 7" in chat.last_text()


async def test_a_red_flag_typed_at_its_own_screen_question_is_its_yes(
    chat: Conversation, services: Services
) -> None:
    await chat.say("/start")
    await chat.press("I agree")
    await chat.say("yes i have wet myself a few times this week")
    assert chat.last_text().startswith("⚠️ Please get medical help now")


async def test_before_consent_nothing_is_stored_and_the_screen_comes_first(
    chat: Conversation, services: Services
) -> None:
    await chat.say("/start")
    await chat.say("my leg is numb and i fell yesterday")
    assert any(m.get("text") == t("safety.before_consent") for m in chat.messages())
    async with services.sessions() as s:
        assert await s.scalar(select(SafetyScreen)) is None
    await chat.press("I agree")
    assert "Safety question 1 of 7" in chat.last_text()


# --------------------------------------------------------------------------- the day


async def test_settings_left_open_never_swallows_routine_words(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.say("/settings")
    await chat.say("done")
    assert card(chat).startswith("Exercise 2 of 3")
    await chat.say("it hurt")
    assert chat.last_text() == t("player.hurt_kind")
    await chat.press("💪 Muscles working")
    await chat.say("3")
    # The menu closed itself once the routine took the words.
    async with services.sessions() as s:
        assert await s.get(Dialog, USER) is None


async def test_the_settings_menu_the_bot_opened_after_a_leg_recheck_is_gone(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.say("tingling down my left leg")
    for _ in range(7):
        await chat.press("No")
    assert chat.last_text() == t("safety.cleared")
    await chat.say("/routine")
    await chat.press("▶️ Start")
    await chat.say("done")
    assert card(chat).startswith("Exercise 2 of 3")


@pytest.mark.parametrize("said", ["4", "4/10", "about a 4", "worse, maybe 7"])
async def test_typed_numbers_answer_every_number_question(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str
) -> None:
    value = int(said.split()[-1].split("/")[0]) if said[0].isdigit() else int(said[-1])
    await _end_pain(chat, services, app, clock)
    await chat.say(said)
    assert f"Your back now: {value}/10" in chat.last_text()
    await _hurt_pain_again(chat, services, app, clock, said, value)


async def _hurt_pain_again(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str, value: int
) -> None:
    clock.advance(timedelta(days=2))
    await chat.say("/routine")
    await chat.press("▶️ Start")
    await chat.say("it hurt")
    await chat.press("💪 Muscles working")
    await chat.say(said)
    pain = [r.pain for r in await records(services) if r.pain is not None]
    assert pain == [value]


@pytest.mark.parametrize("said", ["4", "4/10", "about a 4"])
async def test_typed_numbers_answer_the_rest_day_question(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str
) -> None:
    await _rest_day(chat, services, app, clock)
    await chat.say(said)
    assert chat.last_text().startswith("Thanks — 4/10 noted.")
    assert await morning_answers(services, USER) == [(date(2026, 11, 21), 4)]


@pytest.mark.parametrize("said", ["not today", "nah not today thanks"])
async def test_not_today_at_the_intro_declines(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str
) -> None:
    await _intro(chat, services, app, clock)
    await chat.say(said)
    assert chat.last_text().startswith("No problem — rest is part of the plan too.")


@pytest.mark.parametrize("said", ["i want to stop", "stop please", "enough for today"])
async def test_stop_words_on_a_card_stop(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str
) -> None:
    await _card(chat, services, app, clock)
    await chat.say(said)
    assert chat.last_text().startswith("How is your back right now")


async def test_start_now_typed_at_the_plan_opens_the_first_routine(
    chat: Conversation, services: Services
) -> None:
    await chat.say("/start")
    await chat.press("I agree")
    for _ in range(7):
        await chat.press("No")
    for answer in ("2", "Longer", "Some", "Mon · Wed"):
        await chat.press(answer)
    await chat.press("07:00")
    await chat.say("London")
    await chat.press("Yes")
    await chat.say("start now")
    assert chat.last_text().startswith("Today's routine")


async def test_a_card_without_a_timer_never_suggests_start(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.press("✅ Done")
    await chat.press("✅ Done")
    assert card(chat).startswith("Exercise 3 of 3\nCat")
    await chat.say("hmm")
    assert chat.last_text() == t("player.hint_card_plain")
    assert "start" not in chat.last_text().lower()


async def test_a_caption_with_safety_words_is_heard(chat: Conversation, services: Services) -> None:
    await ready_user(services)
    said = "look at this bruise, i fell down the stairs last night"
    update = chat.api.user_sends(USER, "photo", caption=said)
    await chat.app.process_update(Update.de_json(update, chat.app.bot))
    assert chat.last_text() == t("safety.trauma")


async def test_into_the_leg_by_button_is_recorded_before_any_score(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _card(chat, services, app, clock)
    await chat.press("🤕 It hurt")
    await chat.press("🦵 Into the leg")
    # Recorded with the tap: "stop" or silence afterwards changes nothing.
    first = (await records(services))[0]
    assert (first.pain_kind, first.outcome) == ("radiating", "hurt")
    assert await _safety_of(services) == "pending"
    assert "Safety question 1 of 7" in chat.last_text()
    await chat.say("stop")
    clock.advance(timedelta(days=2))
    await chat.say("/routine")
    assert "safety questions" in chat.last_text()


@pytest.mark.parametrize(("said", "value"), [("about a 6", 6), ("worse, maybe 7", 7), ("3/10", 3)])
async def test_a_typed_score_answers_the_onboarding_pain_question(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str, value: int
) -> None:
    await _onboarding(chat, services, app, clock)
    await chat.say(said)
    assert "How long" in chat.last_text()
    async with services.sessions() as s:
        user = await s.get(User, USER)
    assert user is not None and user.baseline_pain == value


@pytest.mark.parametrize("said", ["done", "start", "it hurt", "skip"])
async def test_routine_words_during_set_up_bring_the_open_question_back(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str
) -> None:
    await _onboarding(chat, services, app, clock)
    await chat.say(said)
    assert "How strong is your back pain" in chat.last_text()
    assert chat.last_text().startswith(t("onboarding.hint_pain"))


@pytest.mark.parametrize(("said", "value"), [("about a 5", 5), ("it was sharp, maybe 6", 6)])
async def test_a_typed_score_answers_how_strong_a_past_exercise_hurt(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str, value: int
) -> None:
    await _end_pain(chat, services, app, clock)
    await chat.press("2")
    await chat.say("it hurt")
    await chat.press("Knees-down side plank")
    await chat.press("💪 Muscles working")
    assert chat.last_text() == t("player.hurt_pain")
    await chat.say(said)
    assert chat.last_text().startswith("Thank you — I'll take it into account")
    first = (await records(services))[0]
    assert (first.outcome, first.pain_kind, first.pain) == ("hurt", "ache", value)
    async with services.sessions() as s:
        assert await s.get(Dialog, USER) is None


async def test_a_worse_morning_typed_in_words_is_kept_in_the_pain_stream(
    chat: Conversation, services: Services, app: App, clock: FrozenClock
) -> None:
    await _nothing(chat, services, app, clock)
    await chat.say("my back is worse this morning, 6/10")
    assert chat.last_text() == t("core.pain_noted", pain=6)
    async with services.sessions() as s:
        rows = (await s.scalars(select(PainReport).where(PainReport.source == "typed"))).all()
    assert [(r.kind, r.value) for r in rows] == [("morning", 6)]


@pytest.mark.parametrize(("said", "feel"), [("too easy", "easy"), ("hmm about right", "right")])
async def test_how_a_routine_felt_can_be_typed(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, said: str, feel: str
) -> None:
    await _end_pain(chat, services, app, clock)
    await chat.press("2")
    await chat.say(said)
    assert (await routine_row(services)).feel == feel


@pytest.mark.parametrize(("pain", "too_much"), [(6, True), (9, True), (5, False)])
async def test_an_end_pain_above_5_is_answered_not_cheered(
    chat: Conversation, services: Services, app: App, clock: FrozenClock, pain: int, too_much: bool
) -> None:
    await _card(chat, services, app, clock)
    for _ in range(3):
        await chat.press("✅ Done")
    await chat.press(str(pain))
    summary = next(m["text"] for m in chat.messages() if "Your back now:" in m.get("text", ""))
    assert (t("player.summary_lighter") in summary) is too_much
    assert ("🎉" in summary) is not too_much

"""A red flag holds routines until the person confirms a clinician's all-clear (issue 14, item 5),
and high pain at sign-up gets an answer (item 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.chat.transports.shell import Conversation
from bot.db.tables import SafetyScreen, User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.texts import t

pytestmark = pytest.mark.db

USER = 1001


async def _flagged(chat: Conversation, *, emergency: bool) -> None:
    await chat.say("/start")
    await chat.press("I agree")
    if emergency:
        await chat.press("Yes")  # bladder or bowel trouble
    else:
        for _ in range(4):
            await chat.press("No")
        await chat.press("Yes")  # a recent fall


async def _safety(services: Services) -> str:
    async with services.sessions() as s:
        user = await s.get(User, USER)
        assert user is not None
        return user.safety


async def test_seven_noes_right_under_an_emergency_message_no_longer_start_a_routine(
    chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await _flagged(chat, emergency=True)
    assert chat.last_text().startswith("⚠️ Please get medical help now")
    # The old "take the safety check again" way round: the red flag stays.
    await chat.press("✅ A clinician has checked me")
    assert chat.last_text() == t("onboarding.held_day")
    assert await _safety(services) == "emergency"
    clock.advance(timedelta(hours=23))
    await chat.press("✅ A clinician has checked me")
    assert chat.last_text() == t("onboarding.held_day")
    clock.advance(timedelta(hours=1, minutes=1))
    await chat.press("✅ A clinician has checked me")
    assert chat.last_text() == t("onboarding.clearance")
    await chat.say("yes")
    assert any(m.get("text") == t("safety.clearance_noted") for m in chat.messages())
    assert "Safety question 1 of 7" in chat.last_text()
    for _ in range(7):
        await chat.press("No")
    assert await _safety(services) == "clear"
    async with services.sessions() as s:
        rows = (await s.scalars(select(SafetyScreen).order_by(SafetyScreen.id))).all()
    assert [r.reason for r in rows] == ["onboarding", "clinician_cleared", "cleared"]
    await chat.say("/privacy")
    assert "you told me a clinician had checked you" in chat.last_text()


async def test_after_a_see_a_doctor_outcome_the_all_clear_needs_no_wait(
    chat: Conversation, services: Services
) -> None:
    await _flagged(chat, emergency=False)
    assert "Please see a doctor today" in chat.last_text()
    await chat.press("✅ A clinician has checked me")
    await chat.press("No")
    assert chat.last_text() == t("onboarding.held")
    assert await _safety(services) == "doctor"
    await chat.press("✅ A clinician has checked me")
    await chat.press("Yes")
    assert "Safety question 1 of 7" in chat.last_text()


async def test_the_safety_check_again_button_shows_the_red_flag_until_cleared(
    chat: Conversation, services: Services
) -> None:
    await _flagged(chat, emergency=False)
    await chat.say("/start")
    assert "Please see a doctor today" in chat.last_text()
    assert await _safety(services) == "doctor"


@pytest.mark.parametrize(("said", "noted"), [("9", True), ("8", True), ("7", False)])
async def test_high_pain_at_sign_up_gets_a_gentle_start_and_when_to_see_someone(
    chat: Conversation, said: str, noted: bool
) -> None:
    await chat.say("/start")
    await chat.press("I agree")
    for _ in range(7):
        await chat.press("No")
    await chat.say(said)
    texts = [m.get("text") for m in chat.messages()]
    assert (t("onboarding.high_pain") in texts) is noted
    assert "How long" in chat.last_text()

"""A sharp pain brings the red-flag questions back before the next routine (DESIGN.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_player import card, fixed_routine, ready_user

from bot.chat.transports.shell import Conversation
from bot.db.tables import User
from bot.services import Services
from bot.services.clock import FrozenClock
from bot.texts import t

pytestmark = pytest.mark.db

USER = 1001


@pytest.fixture(autouse=True)
def routine(services: Services) -> None:
    services.player.builder = fixed_routine(
        ("knee_side_plank", None), ("front_plank", None), ("cat_camel", None)
    )


async def _safety(services: Services) -> str:
    async with services.sessions() as s:
        user = await s.get(User, USER)
        assert user is not None
        return user.safety


async def _sharp_on_the_first_card(chat: Conversation, services: Services) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    await chat.say("owww sharp pain")
    await chat.press("6")
    assert chat.last_text().startswith(t("player.hurt_sharp"))


async def test_the_rest_of_today_goes_on_and_the_screen_comes_at_its_end(
    chat: Conversation, services: Services
) -> None:
    await _sharp_on_the_first_card(chat, services)
    await chat.press("➡️ Next exercise")
    assert card(chat).startswith("Exercise 2 of 3")
    assert await _safety(services) == "clear"  # today's routine is not cut short
    await chat.press("⏹ Stop")
    await chat.press("2")
    texts = [str(m.get("text")) for m in chat.messages()]
    assert t("player.sharp_rescreen") in texts
    assert "Safety question 1 of 7" in chat.last_text()
    assert await _safety(services) == "pending"
    await chat.say("/routine")
    assert chat.last_text() == t("player.blocked_pending")


async def test_a_clear_screen_lets_the_next_routine_start(
    chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await _sharp_on_the_first_card(chat, services)
    await chat.press("🏁 End for today")
    await chat.press("3")
    for _ in range(7):
        await chat.press("No")
    assert chat.last_text() == t("safety.cleared")
    clock.advance(timedelta(days=2))
    await chat.say("/routine")
    assert chat.last_text().startswith("Today's routine")


async def test_a_sharp_pain_left_unfinished_brings_the_screen_before_the_next_routine(
    chat: Conversation, services: Services, clock: FrozenClock
) -> None:
    await _sharp_on_the_first_card(chat, services)
    clock.advance(timedelta(days=2))  # the phone went away; the routine expires
    await chat.say("/routine")
    assert chat.last_text() == t("player.blocked_pending")
    assert await _safety(services) == "pending"


async def test_a_sharp_pain_told_afterwards_brings_the_screen(
    chat: Conversation, services: Services
) -> None:
    await ready_user(services)
    await chat.say("/routine")
    await chat.press("▶️ Start")
    for _ in range(3):
        await chat.press("✅ Done")
    await chat.press("1")
    await chat.say("that plank gave me a stabbing pain earlier")
    await chat.press("Front plank")
    await chat.press("5")
    assert "Safety question 1 of 7" in chat.last_text()
    assert await _safety(services) == "pending"

"""One update delivered twice (a webhook answer lost, a crash before polling confirmed it):
one effect and one reply; a reply lost in a crash is shown again when Telegram resends."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, update
from test_onboarding import TO_PAIN, TO_ZONE, answer_all

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.chat.transports.webhook import SECRET_HEADER, build_web_app
from bot.db.tables import HandledUpdate, PainReport, SafetyScreen, User
from bot.services import Services

USER = 1001
SECRET = "redelivery-secret-0123"


class Telegram:
    """Delivers updates to the webhook route the way Telegram does, again when asked."""

    def __init__(self, app: App, services: Services) -> None:
        web = build_web_app(app, services, SECRET, "/telegram")
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot")

    async def deliver(self, update: dict[str, Any]) -> None:
        answer = await self.http.post(
            "/telegram", content=json.dumps(update), headers={SECRET_HEADER: SECRET}
        )
        assert answer.status_code == 200


@pytest.fixture
async def telegram(app: App, services: Services) -> Telegram:
    return Telegram(app, services)


async def owe_the_reply(services: Services, update_id: int) -> None:
    """As if the process died after storing the answer and before the reply went out."""
    async with services.sessions.begin() as s:
        await s.execute(
            update(HandledUpdate).where(HandledUpdate.update_id == update_id).values(replied=False)
        )


async def test_a_typed_city_delivered_twice_is_stored_once_and_asked_about_once(
    chat: Conversation, api: MemoryBotApi, services: Services, telegram: Telegram
) -> None:
    await answer_all(chat, TO_ZONE)
    before = len(chat.messages())
    city = api.user_says(USER, "london")
    await telegram.deliver(city)
    await telegram.deliver(city)
    new = chat.messages()[before:]
    assert len(new) == 1, [m.get("text") for m in new]
    assert "Europe/London" in new[0]["text"]
    await chat.press("Yes")
    user = await services.users.get(USER)
    assert user is not None and user.tz == "Europe/London"


async def test_a_press_delivered_three_times_moves_the_dialog_on_once(
    chat: Conversation, api: MemoryBotApi, services: Services, telegram: Telegram
) -> None:
    await answer_all(chat, TO_PAIN)
    message, data = chat.find_button("4")
    before = len(chat.messages())
    press = api.user_presses(USER, message["message_id"], data)
    for _ in range(3):
        await telegram.deliver(press)
    new = chat.messages()[before:]
    assert len(new) == 1, [m.get("text") for m in new]
    async with services.sessions.begin() as s:
        reports = await s.scalar(select(func.count()).select_from(PainReport))
    assert reports == 1


async def test_start_delivered_twice_greets_once(
    chat: Conversation, api: MemoryBotApi, services: Services, telegram: Telegram
) -> None:
    start = api.user_says(USER, "/start")
    await telegram.deliver(start)
    greeted = len(chat.messages())
    await telegram.deliver(start)
    assert len(chat.messages()) == greeted
    async with services.sessions.begin() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 1


async def test_a_press_resent_after_a_crash_is_not_applied_again_and_start_shows_the_step(
    chat: Conversation, api: MemoryBotApi, services: Services, telegram: Telegram
) -> None:
    await answer_all(chat, [*TO_PAIN[:-1]])  # the last safety question is open
    message, data = chat.find_button("No")
    press = api.user_presses(USER, message["message_id"], data)
    await telegram.deliver(press)
    asked = chat.last_text()
    count = len(chat.messages())
    # Died before the press was on record as answered: Telegram sends it again.
    async with services.sessions.begin() as s:
        await s.execute(delete(HandledUpdate).where(HandledUpdate.update_id == press["update_id"]))
    await telegram.deliver(press)
    assert len(chat.messages()) == count
    async with services.sessions.begin() as s:
        screens = (await s.scalars(select(SafetyScreen))).all()
    assert len(screens) == 1 and len(screens[0].answers) == 7
    # Had the reply been lost, /start brings the question where the conversation stands.
    await chat.say("/start")
    assert chat.last_text() == asked


async def test_a_typed_answer_whose_reply_was_lost_is_asked_again_once(
    chat: Conversation, api: MemoryBotApi, services: Services, telegram: Telegram
) -> None:
    await answer_all(chat, TO_ZONE)
    city = api.user_says(USER, "Paris")
    await telegram.deliver(city)
    asked = chat.last_text()
    count = len(chat.messages())
    await owe_the_reply(services, city["update_id"])
    await telegram.deliver(city)
    await telegram.deliver(city)
    # One more message, and it holds the question where the conversation stands.
    assert len(chat.messages()) == count + 1
    assert asked in chat.last_text()
    await chat.press("Yes")
    user = await services.users.get(USER)
    assert user is not None and user.tz == "Europe/Paris"


async def test_start_in_the_middle_of_a_routine_brings_its_card_back(
    chat: Conversation, services: Services
) -> None:
    from test_player import card, ready_user

    await ready_user(services)
    await chat.say("/routine")
    await chat.press("Start")
    live = card(chat)
    # Its reply lost, or just away for a while: /start shows where the routine stands.
    await chat.say("/start")
    assert card(chat) == live
    assert "Welcome back" not in chat.last_text()

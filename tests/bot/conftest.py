"""Handler tests: the real Application over an in-memory Bot API, no network."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import build_application
from bot.chat.context import App
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.transports.shell import Conversation
from bot.services import Services

USER = 1001


@pytest.fixture
def api() -> MemoryBotApi:
    """Telegram, in memory."""
    return MemoryBotApi()


@pytest.fixture
async def app(services: Services, api: MemoryBotApi) -> AsyncIterator[App]:
    """The bot's Application, initialised (getMe done), not polling."""
    application = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    async with application:
        yield application


@pytest.fixture
def chat(app: App, api: MemoryBotApi) -> Conversation:
    """A private chat with user 1001 ("Ann")."""
    return Conversation(app, api, USER)

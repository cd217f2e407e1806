"""No log level carries what people wrote or their names, library loggers included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.shell import Conversation
from bot.logs import setup_logging

NAME = "Wilhelmina"
TYPED = "my neighbour Quixlebottom shouts"
CITY = "Zanzibarvillequux"
LIBRARIES = ["telegram", "telegram.ext", "telegram.Bot", "httpx", "httpcore", "apscheduler"]


@pytest.fixture(params=["DEBUG", "INFO"])
def captured(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    names = [*LIBRARIES, "aiosqlite", "asyncpg", "sqlalchemy", "alembic", "uvicorn.access"]
    saved = {name: logging.getLogger(name).level for name in names}
    stream = io.StringIO()
    setup_logging(request.param)
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_library_loggers_stay_at_info_or_above_even_at_debug(captured: io.StringIO) -> None:
    for name in LIBRARIES:
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name


async def test_a_conversation_logs_no_text_and_no_name(
    captured: io.StringIO, app: App, api: MemoryBotApi
) -> None:
    chat = Conversation(app, api, 2002, first_name=NAME)
    logging.getLogger("bot.probe").debug("probe line")  # the capture does work at DEBUG
    await chat.say("/start")
    await chat.say(TYPED)
    await chat.press("I agree")
    await chat.say(TYPED)
    await chat.say(CITY)
    assert any(NAME in m.get("text", "") for m in chat.messages())  # the bot did greet her
    out = captured.getvalue()
    if logging.getLogger().level == logging.DEBUG:
        assert "probe line" in out
    assert NAME not in out
    assert TYPED not in out and "Quixlebottom" not in out
    assert CITY not in out

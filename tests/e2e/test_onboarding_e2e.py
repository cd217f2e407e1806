"""Onboarding through a real polling process and the HTTP Bot API, with a kill -9 mid-way."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.bot_process import kill_9, start_bot, stop
from fakes.http_botapi import BotApiServer
from fakes.waiting import until_sync

from bot.chat.offline.botapi import MemoryBotApi

pytestmark = pytest.mark.e2e

USER = 5151


def step(server: BotApiServer, action: str) -> None:
    """Type a text or press `[Label]`, then wait for the bot's answer and the offset to move."""
    api = server.api
    count = len(api.calls("sendMessage")) + len(api.calls("editMessageText"))
    if action.startswith("["):
        label = action[1:-1]
        message = next(m for m in reversed(api.sent_to(USER)) if MemoryBotApi.buttons(m))
        data = next(d for text, d in MemoryBotApi.buttons(message) if text.startswith(label))
        api.user_presses(USER, message["message_id"], data)
    else:
        api.user_says(USER, action)
    # Every onboarding answer ends with a new question, and every question has buttons.
    until_sync(
        lambda: len(api.calls("sendMessage")) + len(api.calls("editMessageText")) > count
        and bool(MemoryBotApi.buttons(api.last_message(USER))),
        within=15,
    )
    # Confirmed by the next getUpdates offset: a restart will not see it again.
    until_sync(lambda: not api.pending_updates(), within=15)


def test_onboarding_survives_a_kill_9_and_resumes_at_the_same_question(
    tmp_path: Path,
    db_url: str,
    botapi: BotApiServer,
) -> None:
    botapi.api.add_user(USER)
    first = start_bot(tmp_path, db_url, botapi)
    try:
        for action in ["/start", "[I agree]", *["[No]"] * 7, "3", "[Longer]"]:
            step(botapi, action)
        assert "How active" in botapi.api.last_message(USER)["text"]
    finally:
        kill_9(first)

    second = start_bot(tmp_path, db_url, botapi)
    try:
        for action in ["[Active]", "[Mon · Tue · Thu · Fri]", "[08:00]", "Sydney", "[Yes]"]:
            step(botapi, action)
    finally:
        code, err = stop(second)
    assert code == 0, err
    summary = botapi.api.last_message(USER)["text"]
    assert "Level 3" in summary and "Mon · Tue · Thu · Fri" in summary
    assert "08:00" in summary and "Australia/Sydney" in summary

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


def step(server: BotApiServer, action: str, expect: str) -> None:
    """Type a text or press `[Label]`, then wait for the question that should follow."""
    api = server.api
    seen = len(api.calls("sendMessage"))
    if action.startswith("["):
        label = action[1:-1]
        message = next(m for m in reversed(api.sent_to(USER)) if MemoryBotApi.buttons(m))
        data = next(d for text, d in MemoryBotApi.buttons(message) if text.startswith(label))
        api.user_presses(USER, message["message_id"], data)
    else:
        api.user_says(USER, action)

    def arrived() -> bool:
        fresh = api.calls("sendMessage")[seen:]
        return any(expect in str(c.params.get("text", "")) for c in fresh if c.ok)

    try:
        until_sync(arrived, within=15)
    except AssertionError:
        raise AssertionError(f"after {action!r} no {expect!r}: {api.calls()[-5:]}") from None
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
        script = [
            ("/start", "Shall we start?"),
            ("[I agree]", "Safety question 1 of 7"),
            *[("[No]", f"Safety question {n} of 7") for n in range(2, 8)],
            ("[No]", "How strong"),
            ("3", "How long"),
            ("[Longer]", "How active"),
        ]
        for action, expect in script:
            step(botapi, action, expect)
        assert "How active" in botapi.api.last_message(USER)["text"]
    finally:
        kill_9(first)

    second = start_bot(tmp_path, db_url, botapi)
    try:
        script = [
            ("[Active]", "Which days"),
            ("[Mon · Tue · Thu · Fri]", "What time"),
            ("[08:00]", "where are you"),
            ("Sydney", "where you are"),
            ("[Yes]", "Here's your plan"),
        ]
        for action, expect in script:
            step(botapi, action, expect)
    finally:
        code, err = stop(second)
    assert code == 0, err
    summary = botapi.api.last_message(USER)["text"]
    assert "Level 3" in summary and "Mon · Tue · Thu · Fri" in summary
    assert "08:00" in summary and "Australia/Sydney" in summary

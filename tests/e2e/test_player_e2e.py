"""A whole routine through a real polling process and the HTTP Bot API, with two kill -9s."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fakes.bot_process import kill_9, start_bot, stop
from fakes.http_botapi import BotApiServer
from fakes.waiting import until_sync

from bot.chat.offline.botapi import MemoryBotApi

pytestmark = pytest.mark.e2e

USER = 6161
ONBOARDING = [
    "/start", "[I agree]", *["[No]"] * 7, "2", "[Longer]", "[Some]",
    "[Mon · Wed · Fri]", "[07:30]", "London", "[Yes]", "[Start my first routine now]",
]  # fmt: skip


def answers(api: MemoryBotApi) -> int:
    return len(api.calls("sendMessage")) + len(api.calls("editMessageText"))


def step(server: BotApiServer, action: str) -> None:
    """Type a text or press `[Label]` on the newest message with buttons, and wait for it."""
    api = server.api
    count = answers(api)
    if action.startswith("["):
        # The button may still be on its way (a second message to the same update).
        message_id, data = until_sync(lambda: find_button(api, action[1:-1]), within=15)
        api.user_presses(USER, message_id, data)
    else:
        api.user_says(USER, action)
    until_sync(lambda: answers(api) > count, within=15)
    # Confirmed by the next getUpdates offset: a restart will not see it again.
    until_sync(lambda: not api.pending_updates(), within=15)
    settle(api)


def find_button(api: MemoryBotApi, label: str) -> tuple[int, str] | None:
    """The newest message with buttons, if it has one starting with `label`."""
    message = next((m for m in reversed(api.sent_to(USER)) if MemoryBotApi.buttons(m)), None)
    if message is None:
        return None
    for text, data in MemoryBotApi.buttons(message):
        if text.startswith(label):
            return message["message_id"], data
    return None


def settle(api: MemoryBotApi, quiet: float = 0.05) -> None:
    """Wait until the bot has said everything it says to one update (quiet for a moment)."""
    while True:
        before = answers(api)
        time.sleep(quiet)
        if answers(api) == before:
            return


def last(server: BotApiServer) -> str:
    return str(server.api.last_message(USER).get("text", ""))


def test_a_routine_plays_to_its_summary_across_two_kill_9s(
    tmp_path: Path, db_url: str, botapi: BotApiServer
) -> None:
    api = botapi.api
    api.add_user(USER)
    first = start_bot(tmp_path, db_url, botapi)
    try:
        for action in [*ONBOARDING, "/routine"]:
            step(botapi, action)
        assert last(botapi).startswith("Today's routine · about 15 min")
        step(botapi, "[▶️ Start]")
        found = re.match(r"Exercise 1 of (\d+)", last(botapi))
        assert found, last(botapi)
        total = int(found.group(1))
        step(botapi, "[▶️ Start timer]")  # the warm-up walk: a hold of a few minutes
        assert "left" in last(botapi)
        card_id = api.last_message(USER)["message_id"]
    finally:
        kill_9(first)

    # Mid-hold: the new process brings the countdown back on the same card.
    edits = len(api.calls("editMessageText"))
    second = start_bot(tmp_path, db_url, botapi)
    try:
        until_sync(lambda: len(api.calls("editMessageText")) > edits, within=20)
        edit = api.calls("editMessageText")[-1]
        assert edit.params["message_id"] == card_id and " s left" in edit.params["text"]
        step(botapi, "[✅ Done]")
        assert last(botapi).startswith(f"Exercise 2 of {total}")
        step(botapi, "did it")
        assert last(botapi).startswith(f"Exercise 3 of {total}")
    finally:
        kill_9(second)

    # Mid-exercise: the same card, the same step.
    third = start_bot(tmp_path, db_url, botapi)
    try:
        for n in range(3, total + 1):
            assert last(botapi).startswith(f"Exercise {n} of {total}")
            step(botapi, "[✅ Done]")
        assert last(botapi).startswith("How is your back right now")
        step(botapi, "[3]")
    finally:
        code, err = stop(third)
    assert code == 0, err
    summary = last(botapi)
    assert f"Done {total} · skipped 0 · hurt 0" in summary and "Your back now: 3/10" in summary
    assert "Next routine: " in summary

"""A whole routine through a real polling process and the HTTP Bot API, with two kill -9s."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from fakes.bot_process import kill_9, start_bot, stop
from fakes.http_botapi import BotApiServer
from fakes.waiting import until_sync
from sqlalchemy import delete

from bot.chat.offline.botapi import ApiCall, MemoryBotApi
from bot.db.engine import make_engine, make_sessions
from bot.db.tables import User

pytestmark = pytest.mark.e2e

USER = 6161


def onboarded_user(db_url: str) -> None:
    """The user as onboarding leaves them (onboarding has its own end-to-end test)."""

    async def add() -> None:
        engine = make_engine(db_url)
        now = datetime.now(UTC)
        async with make_sessions(engine).begin() as s:
            await s.execute(delete(User).where(User.id == USER))
            s.add(
                User(
                    id=USER, chat_id=USER, first_name="Ann", created_at=now, active=True,
                    consent_at=now, onboarded_at=now, safety="clear", baseline_pain=2, level=2,
                    days_mask=0b10101, push_time=time(7, 30), tz="Europe/London",
                    paused_indefinitely=False,
                )
            )  # fmt: skip
        await engine.dispose()

    asyncio.run(add())


def last(server: BotApiServer) -> str:
    sent = server.api.sent_to(USER)
    return str(sent[-1].get("text", "")) if sent else ""


def find_button(api: MemoryBotApi, label: str) -> tuple[int, str] | None:
    """The newest message with buttons, if it has one starting with `label`."""
    message = next((m for m in reversed(api.sent_to(USER)) if MemoryBotApi.buttons(m)), None)
    if message is None:
        return None
    for text, data in MemoryBotApi.buttons(message):
        if text.startswith(label):
            return message["message_id"], data
    return None


def card_edits(api: MemoryBotApi) -> list[ApiCall]:
    """Edits in this user's chat (a shared database may hold other tests' routines)."""
    return [c for c in api.calls("editMessageText") if c.params.get("chat_id") == USER and c.ok]


def act(server: BotApiServer, action: str, expect: str) -> str:
    """Type a text or press `[Label]`, then wait until the newest message starts with `expect`."""
    api = server.api
    if action.startswith("["):
        message_id, data = until_sync(lambda: find_button(api, action[1:-1]), within=15)
        api.user_presses(USER, message_id, data)
    else:
        api.user_says(USER, action)
    until_sync(lambda: last(server).startswith(expect), within=15)
    # Confirmed by the next getUpdates offset: a restart will not see it again.
    until_sync(lambda: not api.pending_updates(), within=15)
    return last(server)


def test_a_routine_plays_to_its_summary_across_two_kill_9s(
    tmp_path: Path, db_url: str, botapi: BotApiServer
) -> None:
    api = botapi.api
    api.add_user(USER)
    onboarded_user(db_url)
    first = start_bot(tmp_path, db_url, botapi)
    try:
        act(botapi, "/routine", "Today's routine · about 15 min")
        card = act(botapi, "[▶️ Start]", "Exercise 1 of")
        found = re.match(r"Exercise 1 of (\d+)", card)
        assert found, card
        total = int(found.group(1))
        # The warm-up walk: a hold of a few minutes.
        until_sync(lambda: find_button(api, "▶️ Start timer"), within=15)
        act(botapi, "[▶️ Start timer]", "Exercise 1 of")
        until_sync(lambda: " s left" in last(botapi), within=15)
        card_id = api.last_message(USER)["message_id"]
    finally:
        kill_9(first)

    # Mid-hold: the new process brings the countdown back on the same card.
    edits = len(card_edits(api))
    second = start_bot(tmp_path, db_url, botapi)
    try:
        until_sync(lambda: len(card_edits(api)) > edits, within=20)
        edit = card_edits(api)[-1]
        assert edit.params["message_id"] == card_id and " s left" in edit.params["text"]
        act(botapi, "[✅ Done]", f"Exercise 2 of {total}")
        act(botapi, "did it", f"Exercise 3 of {total}")
    finally:
        kill_9(second)

    # Mid-exercise: the same card, the same step.
    third = start_bot(tmp_path, db_url, botapi)
    try:
        for n in range(4, total + 1):
            act(botapi, "[✅ Done]", f"Exercise {n} of {total}")
        act(botapi, "[✅ Done]", "How is your back right now")
        summary = act(botapi, "[3]", "Well done, Ann!")
    finally:
        code, err = stop(third)
    assert code == 0, err
    assert f"Done {total} · skipped 0 · hurt 0" in summary and "Your back now: 3/10" in summary
    assert "Next routine: " in summary

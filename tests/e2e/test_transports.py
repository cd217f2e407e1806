"""The real `backcoach run` (polling and webhook) against the HTTP Bot API server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fakes.bot_process import free_port, start_bot, stop
from fakes.http_botapi import BotApiServer
from fakes.waiting import until_sync

pytestmark = pytest.mark.e2e

USER = 4242
SECRET = "e2e-secret-0123456789"
WORDS_NOBODY_LOGS = "purple elephant lullaby"


def texts(server: BotApiServer) -> list[str]:
    return [m.get("text", "") for m in server.api.sent_to(USER)]


def test_polling_answers_registers_commands_and_stops_cleanly(
    tmp_path: Path, db_url: str, botapi: BotApiServer
) -> None:
    process = start_bot(tmp_path, db_url, botapi)
    try:
        botapi.api.add_user(USER)
        botapi.api.user_says(USER, "/start")
        until_sync(lambda: len(texts(botapi)) >= 2, within=30)
        botapi.api.user_says(USER, "/help")
        until_sync(lambda: any("/settings" in t for t in texts(botapi)), within=10)
        botapi.api.user_says(USER, WORDS_NOBODY_LOGS)
        until_sync(lambda: len(texts(botapi)) >= 4, within=10)
    finally:
        code, err = stop(process)
    assert code == 0, err
    assert "BackCoach" in texts(botapi)[0]
    commands = botapi.api.calls("setMyCommands")
    assert commands and "help" in str(commands[-1].params["commands"])
    # Logs: never the token, never what the user wrote.
    assert botapi.api.token not in err
    assert botapi.api.token.split(":")[1] not in err
    assert WORDS_NOBODY_LOGS not in err


def test_webhook_checks_the_secret_and_answers_after_processing(
    tmp_path: Path, db_url: str, botapi: BotApiServer
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    process = start_bot(
        tmp_path,
        db_url,
        botapi,
        "--webhook",
        BACKCOACH_WEBHOOK_URL=url,
        BACKCOACH_WEBHOOK_SECRET=SECRET,
        BACKCOACH_WEBHOOK_PORT=str(port),
    )
    try:
        until_sync(lambda: botapi.api.webhook is not None, within=30)
        assert botapi.api.webhook is not None and botapi.api.webhook.secret_token == SECRET
        health = until_sync(lambda: _get(f"http://127.0.0.1:{port}/healthz"), within=10)
        assert health.status_code == 200

        botapi.api.add_user(USER)
        botapi.api.user_says(USER, "/start")
        until_sync(lambda: len(texts(botapi)) >= 2, within=10)

        # Wrong or missing secret: 403, and nothing is processed.
        botapi.api.add_user(777, first_name="Eve")
        before = len(botapi.api.calls())
        forged = {
            "update_id": 999_999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 777, "type": "private"},
                "from": {"id": 777, "is_bot": False, "first_name": "Eve"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
            answer = httpx.post(url, json=forged, headers=headers, timeout=5)
            assert answer.status_code == 403
        assert len(botapi.api.calls()) == before
        assert botapi.api.sent_to(777) == []

        # With the secret, the reply is already sent when the 200 comes back.
        forged["message"]["text"] = "/help"  # type: ignore[index]
        forged["message"]["entities"][0]["length"] = 5  # type: ignore[index]
        answer = httpx.post(
            url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10
        )
        assert answer.status_code == 200
        assert any("/settings" in m.get("text", "") for m in botapi.api.sent_to(777)), [
            (c.method, c.error_code, c.result) for c in botapi.api.calls()[-3:]
        ]
    finally:
        code, err = stop(process)
    assert code == 0, err
    assert botapi.api.token not in err and SECRET not in err


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None

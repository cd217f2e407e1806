"""Webhook input with the secret: non-objects 400, big bodies 413, non-updates a quiet 200."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.webhook import MAX_BODY, SECRET_HEADER, build_web_app
from bot.services import Services

SECRET = "s3cret-s3cret-s3cret"
HEADERS = {SECRET_HEADER: SECRET}


def client(app: App, services: Services) -> httpx.AsyncClient:
    web = build_web_app(app, services, SECRET, "/telegram")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot")


def no_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("body", [b"[]", b"null", b"5", b'"update"', b"{nope", b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_is_a_400(
    body: bytes, app: App, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client(app, services) as http:
        answer = await http.post("/telegram", content=body, headers=HEADERS)
    assert answer.status_code == 400
    assert no_errors(caplog) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"update_id": 6, "message": 5},
        {"update_id": 7, "message": {"message_id": 1}},
        {"update_id": 8, "callback_query": []},
        {"update_id": "nine"},
        {"message": {"text": "hi"}},
        {},
    ],
)
async def test_an_object_that_is_not_an_update_is_dropped_with_a_200(
    payload: dict[str, object],
    app: App,
    services: Services,
    api: MemoryBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with client(app, services) as http:
        answer = await http.post("/telegram", json=payload, headers=HEADERS)
    assert answer.status_code == 200
    assert no_errors(caplog) == []
    assert any(
        r.levelno == logging.DEBUG and "not a valid update" in r.getMessage()
        for r in caplog.records
    )
    assert api.calls("sendMessage") == []


async def test_a_body_declared_over_1_mb_is_a_413(app: App, services: Services) -> None:
    body = b'{"update_id": 1, "pad": "' + b"x" * MAX_BODY + b'"}'
    async with client(app, services) as http:
        answer = await http.post("/telegram", content=body, headers=HEADERS)
    assert answer.status_code == 413


async def test_a_chunked_body_is_cut_off_once_past_1_mb(app: App, services: Services) -> None:
    chunk = 64 * 1024
    sent = 0

    async def ten_megabytes() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"update_id": 1, "pad": "'
        for _ in range(10 * MAX_BODY // chunk):
            sent += chunk
            yield b"x" * chunk

    async with client(app, services) as http:
        answer = await http.post("/telegram", content=ten_megabytes(), headers=HEADERS)
    assert answer.status_code == 413
    assert sent <= MAX_BODY + 2 * chunk  # stopped reading right after the limit


async def test_a_body_just_under_the_limit_is_still_read(
    app: App, services: Services, api: MemoryBotApi
) -> None:
    body = b'{"update_id": 1, "pad": "' + b"x" * (MAX_BODY - 100) + b'"}'
    async with client(app, services) as http:
        answer = await http.post("/telegram", content=body, headers=HEADERS)
    assert answer.status_code == 200

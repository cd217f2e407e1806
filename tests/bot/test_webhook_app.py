"""The webhook's ASGI app in-process: secret check and health, without a real server."""

from __future__ import annotations

import httpx

from bot.chat.context import App
from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.transports.webhook import SECRET_HEADER, build_web_app, webhook_path
from bot.config import load_settings
from bot.services import Services, build_services

SECRET = "s3cret-s3cret-s3cret"


def client(app: App, services: Services) -> httpx.AsyncClient:
    web = build_web_app(app, services, SECRET, "/telegram")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://bot")


def start_update(user_id: int, update_id: int = 1) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_795_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_health_is_200_while_the_database_answers(app: App, services: Services) -> None:
    async with client(app, services) as http:
        answer = await http.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"database": "ok"}


async def test_health_is_503_when_the_database_does_not_answer(app: App) -> None:
    down = build_services(load_settings(database_url="postgresql://nobody@127.0.0.1:9/none"))
    try:
        async with client(app, down) as http:
            answer = await http.get("/healthz")
    finally:
        await down.close()
    assert answer.status_code == 503 and answer.json() == {"database": "down"}


async def test_wrong_secret_is_403_and_changes_nothing(
    app: App, services: Services, api: MemoryBotApi
) -> None:
    api.add_user(31)
    async with client(app, services) as http:
        for headers in ({SECRET_HEADER: SECRET[:-1] + "x"}, {SECRET_HEADER: ""}, {}):
            answer = await http.post("/telegram", json=start_update(31), headers=headers)
            assert answer.status_code == 403
    assert api.sent_to(31) == []
    assert await services.users.get(31) is None


async def test_the_update_is_handled_before_the_200(
    app: App, services: Services, api: MemoryBotApi
) -> None:
    api.add_user(32)
    async with client(app, services) as http:
        answer = await http.post(
            "/telegram", json=start_update(32), headers={SECRET_HEADER: SECRET}
        )
    assert answer.status_code == 200
    assert await services.users.get(32) is not None
    assert api.sent_to(32)


async def test_garbage_is_a_400(app: App, services: Services) -> None:
    async with client(app, services) as http:
        answer = await http.post("/telegram", content=b"{nope", headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 400


def test_the_route_follows_the_public_url() -> None:
    assert webhook_path("https://example.org/hooks/backcoach") == "/hooks/backcoach"
    assert webhook_path("https://example.org") == "/telegram"

"""/metrics: updates and their latency, handler errors, pushes, 429s and late timers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fakes.bot_process import free_port
from prometheus_client.parser import text_string_to_metric_families
from pushes_kit import add_ready_user
from telegram import Update

from bot.app import SIDE_SERVER_KEY, build_application, on_startup
from bot.chat.context import App
from bot.chat.jobs import run_pushes
from bot.chat.metrics import Metrics, SideServer, TimedUpdates, metrics_of, update_kind
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.transports.webhook import SECRET_HEADER, build_web_app
from bot.services import Services
from bot.services.clock import FrozenClock

SECRET = "s3cret-s3cret-s3cret"


def samples(text: str) -> dict[str, float]:
    """{"name{label=value,...}": value} of a Prometheus text page."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def command(user_id: int, text: str, update_id: int = 1) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_795_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


@pytest.fixture
def api() -> MemoryBotApi:
    return MemoryBotApi()


@pytest.fixture
async def app(services: Services, api: MemoryBotApi) -> AsyncIterator[App]:
    application = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    async with application:
        yield application


@pytest.fixture
async def http(app: App, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    web = build_web_app(app, services, SECRET, "/telegram")
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        yield client


async def post(http: httpx.AsyncClient, update: dict[str, object]) -> None:
    answer = await http.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 200


async def test_updates_and_their_latency_are_counted(
    http: httpx.AsyncClient, api: MemoryBotApi
) -> None:
    api.add_user(41)
    await post(http, command(41, "/help", 1))
    await post(http, command(41, "/help", 2))
    answer = await http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    assert found["backcoach_updates_total{kind=message}"] == 2
    assert found["backcoach_update_seconds_count{kind=message}"] == 2
    assert found["backcoach_update_seconds_sum{kind=message}"] > 0
    assert found["backcoach_handler_errors_total{}"] == 0


async def test_a_429_is_counted_and_the_message_still_goes(
    http: httpx.AsyncClient, api: MemoryBotApi, services: Services
) -> None:
    api.add_user(42)
    api.inject_fault("sendMessage", 429, retry_after=1)
    await post(http, command(42, "/help"))
    assert api.sent_to(42), "retried after the 429"
    found = samples((await http.get("/metrics")).text)
    assert found["backcoach_telegram_429_total{}"] == 1
    # Each attempt is charged to the send budget (shared by the workers on PostgreSQL).
    assert found["backcoach_send_budget_wait_seconds_count{}"] >= 2


async def test_a_failing_handler_is_counted(http: httpx.AsyncClient, api: MemoryBotApi) -> None:
    api.add_user(43)
    api.inject_fault("sendMessage", 403)
    await post(http, command(43, "/help"))
    found = samples((await http.get("/metrics")).text)
    assert found["backcoach_handler_errors_total{}"] == 1


async def test_pushes_are_counted_by_outcome(
    app: App, services: Services, api: MemoryBotApi, clock: FrozenClock
) -> None:
    for user_id in (51, 52):
        api.add_user(user_id)
        await add_ready_user(services, user_id)
    api.inject_fault("sendMessage", 403)  # the first push finds its user gone
    clock.advance(timedelta(hours=1, minutes=1))  # 07:01 in London: both are due
    report = await run_pushes(app)
    assert (report.sent, report.blocked) == (1, 1)
    found = samples(metrics_of(app.bot_data).text().decode())
    assert found["backcoach_pushes_total{kind=morning,outcome=sent}"] == 1
    assert found["backcoach_pushes_total{kind=morning,outcome=blocked}"] == 1
    assert found["backcoach_push_retries_total{}"] == 0


async def test_polling_updates_are_timed_by_the_update_processor(app: App) -> None:
    processor = app.update_processor
    assert isinstance(processor, TimedUpdates)
    assert processor.max_concurrent_updates == 1  # polling stays one update at a time
    update = Update.de_json(command(44, "/help"), app.bot)
    await processor.process_update(update, asyncio.sleep(0))
    found = samples(metrics_of(app.bot_data).text().decode())
    assert found["backcoach_updates_total{kind=message}"] == 1


def test_late_timers_and_dropped_pushes_count_as_late() -> None:
    metrics = Metrics()
    metrics.timer_fired("push_tick", 0.2)
    metrics.timer_fired("push_tick", 3.0)
    metrics.timer_fired("hold", -0.1)  # early never counts
    metrics.pushes_dropped(2)
    metrics.push_result("morning", "sent", attempts=3)
    found = samples(metrics.text().decode())
    assert found["backcoach_timers_late_total{kind=push_tick}"] == 1
    assert found["backcoach_timers_late_total{kind=push}"] == 2
    assert found["backcoach_timer_lateness_seconds_count{kind=push_tick}"] == 2
    assert found["backcoach_timer_lateness_seconds_count{kind=hold}"] == 1
    assert found["backcoach_pushes_total{kind=morning,outcome=dropped}"] == 2
    assert found["backcoach_push_retries_total{}"] == 2


def test_update_kinds_are_named_as_telegram_names_them() -> None:
    assert update_kind(Update.de_json(command(1, "/start"), None)) == "message"
    query = {
        "update_id": 2,
        "callback_query": {
            "id": "9",
            "chat_instance": "1",
            "from": {"id": 1, "is_bot": False, "first_name": "Ann"},
            "data": "x",
        },
    }
    assert update_kind(Update.de_json(query, None)) == "callback_query"
    assert update_kind("not an update") == "other"


@pytest.mark.parametrize("healthy", [True, False])
async def test_the_side_server_serves_health_and_metrics(healthy: bool) -> None:
    metrics = Metrics()
    metrics.telegram_429.inc()

    async def check() -> bool:
        return healthy

    server = SideServer(metrics, check, asyncio.get_running_loop(), "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            health = await client.get("/healthz")
            page = await client.get("/metrics")
            missing = await client.get("/nothing")
    finally:
        server.stop()
    assert health.status_code == (200 if healthy else 503)
    assert health.json() == {"database": "ok" if healthy else "down"}
    assert samples(page.text)["backcoach_telegram_429_total{}"] == 1
    assert missing.status_code == 404


async def test_the_app_starts_the_side_server_when_a_port_is_set(
    services: Services, api: MemoryBotApi
) -> None:
    services.settings.metrics_port = free_port()
    application = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    async with application:
        await on_startup(application)
        server = application.bot_data[SIDE_SERVER_KEY]
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                health = await client.get(f"http://127.0.0.1:{server.port}/healthz")
        finally:
            server.stop()
    assert health.status_code == 200

"""Pushes over real HTTP when Telegram misbehaves: 403, 429 with retry_after, 500, a slow answer."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from fakes.http_botapi import BotApiServer, serve_botapi
from pushes_kit import add_ready_users, pushes_of, utc
from telegram.request import HTTPXRequest

from bot.app import build_application
from bot.chat.context import App
from bot.chat.jobs import SendPolicy, run_pushes
from bot.services import Services
from bot.services.clock import FrozenClock

pytestmark = [pytest.mark.e2e, pytest.mark.db]

USERS = range(1, 11)
FAST_RETRIES = SendPolicy(attempts=4, backoff=0.001)
# Long enough that a busy machine never times out an ordinary send (0.3 s once did, under a
# full suite on two cores); the one test about a late answer waits past it.
READ_TIMEOUT = 2.0
SLOW = 0.15  # a slow answer that still comes in time


@pytest.fixture
def server() -> Iterator[BotApiServer]:
    """Telegram over HTTP on 127.0.0.1 (its own thread), with ten users who started the bot."""
    with serve_botapi() as srv:
        for user_id in USERS:
            srv.api.add_user(user_id, first_name=f"User{user_id}")
        yield srv


@pytest.fixture
async def app(services: Services, server: BotApiServer, clock: FrozenClock) -> AsyncIterator[App]:
    """The real Application with PTB's HTTP client and rate limiter; ten users due at 07:00."""
    await add_ready_users(services, USERS)
    clock.set(utc(2026, 11, 21, 7))
    request = HTTPXRequest(connection_pool_size=32, read_timeout=READ_TIMEOUT)
    application = build_application(
        services, server.api.token, request=request, base_url=server.base_url
    )
    async with application:
        yield application


def received(server: BotApiServer) -> Counter[int]:
    """How many messages each user has in their chat."""
    return Counter({user_id: len(server.api.sent_to(user_id)) for user_id in USERS})


def send_calls(server: BotApiServer) -> list[tuple[int, int | None]]:
    """(chat, error code) of every sendMessage that reached the server."""
    return [(c.params["chat_id"], c.error_code) for c in server.api.calls("sendMessage")]


async def test_a_user_who_blocked_the_bot_becomes_inactive_and_the_rest_get_theirs(
    app: App, server: BotApiServer, services: Services, clock: FrozenClock
) -> None:
    server.api.chat_member_update(3, "kicked")
    report = await run_pushes(app, policy=FAST_RETRIES)
    assert (report.sent, report.blocked) == (9, 1)
    assert received(server) == Counter({u: 0 if u == 3 else 1 for u in USERS})
    user = await services.users.get(3)
    assert user is not None and not user.active
    # Tomorrow nobody knocks on the closed door again.
    clock.set(utc(2026, 11, 22, 7))
    await run_pushes(app, policy=FAST_RETRIES)
    assert [chat for chat, _ in send_calls(server)].count(3) == 1


async def test_429_waits_retry_after_then_sends_once(
    app: App, server: BotApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def quick_sleep(delay: float, result: object = None) -> object:
        # Long waits (Telegram's retry_after) shrink a hundredfold but are recorded.
        if delay >= 0.5:
            slept.append(delay)
            delay /= 100
        return await real_sleep(delay, result)

    monkeypatch.setattr(asyncio, "sleep", quick_sleep)
    server.api.inject_fault("sendMessage", 429, times=1, retry_after=1)
    report = await run_pushes(app, policy=FAST_RETRIES)
    assert report.sent == 10
    assert received(server) == Counter(dict.fromkeys(USERS, 1))
    assert sum(1 for _, code in send_calls(server) if code == 429) == 1
    assert any(delay >= 1 for delay in slept)


async def test_500_is_retried_with_backoff_and_delivered_once(
    app: App, server: BotApiServer, services: Services
) -> None:
    server.api.inject_fault("sendMessage", 500, times=2)
    report = await run_pushes(app, policy=FAST_RETRIES)
    assert (report.sent, report.failed) == (10, 0)
    assert received(server) == Counter(dict.fromkeys(USERS, 1))
    assert sum(1 for _, code in send_calls(server) if code == 500) == 2
    assert max(p.attempts for p in await pushes_of(services)) >= 2


async def test_500_that_never_ends_gives_up_after_a_bounded_number_of_tries(
    app: App, server: BotApiServer, services: Services
) -> None:
    twice = SendPolicy(attempts=2, backoff=0.001)
    server.api.inject_fault("sendMessage", 500, times=1000)
    report = await run_pushes(app, policy=twice)
    assert (report.sent, report.failed) == (0, 10)
    assert len(send_calls(server)) == 10 * twice.attempts
    assert {p.status for p in await pushes_of(services)} == {"failed"}


async def test_a_slow_answer_holds_nobody_up(app: App, server: BotApiServer) -> None:
    server.api.inject_fault("sendMessage", "slow", times=1, delay=SLOW)
    started = time.monotonic()
    report = await run_pushes(app, policy=FAST_RETRIES)
    assert report.sent == 10
    assert time.monotonic() - started < 2.0
    assert received(server) == Counter(dict.fromkeys(USERS, 1))


async def test_no_answer_in_time_is_never_resent(
    app: App, server: BotApiServer, services: Services, clock: FrozenClock
) -> None:
    # Telegram takes the message but answers after the read timeout: maybe delivered.
    server.api.inject_fault("sendMessage", "slow", times=1, delay=READ_TIMEOUT + 0.2)
    report = await run_pushes(app, policy=FAST_RETRIES)
    assert (report.sent, report.unknown) == (9, 1)
    clock.set(utc(2026, 11, 21, 7, 30))
    assert (await run_pushes(app, policy=FAST_RETRIES)).sent == 0
    await asyncio.sleep(0.5)  # let the late answer land before counting
    assert received(server) == Counter(dict.fromkeys(USERS, 1))
    assert len(send_calls(server)) == 10
    assert [p.status for p in await pushes_of(services)].count("unknown") == 1

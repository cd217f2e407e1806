"""What lets several workers share one PostgreSQL: the send budget and the per-chat locks.

Each "worker" here is an object with an engine of its own, so every one talks to PostgreSQL over
its own connections, as separate processes would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from bot.app import build_application
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.chat.transports.webhook import SECRET_HEADER, build_web_app
from bot.services import Services
from bot.services.chat_order import (
    LOCK_NAMESPACE,
    ChatBusy,
    LocalChatOrder,
    PostgresChatOrder,
    build_chat_order,
    lock_key,
)
from bot.services.send_budget import (
    Bucket,
    LocalBudget,
    PostgresBudget,
    SendBudget,
    build_budget,
    default_bucket,
    reserve,
)

DOWN = "postgresql+asyncpg://nobody@127.0.0.1:9/none"


def excess(times: list[float], rate: float) -> float:
    """The largest (sends in a window - rate x window length) over every window."""
    worst, best_start = 0.0, float("-inf")
    for j, t in enumerate(sorted(times)):
        best_start = max(best_start, rate * t - j)
        worst = max(worst, (j + 1 - rate * t) + best_start)
    return worst


async def spend(budgets: list[SendBudget], each: int) -> list[float]:
    """`each` sends per budget, all asking at once; when each one was let through."""
    times: list[float] = []

    async def send(budget: SendBudget) -> None:
        await budget.acquire()
        times.append(time.monotonic())

    await asyncio.gather(*(send(b) for b in budgets for _ in range(each)))
    return times


# ---------------------------------------------------------------- the bucket, pure


@pytest.mark.parametrize(
    ("tat", "now", "expected"),
    [
        (0.0, 10.0, (10.1, 10.0)),  # idle: go now
        (10.1, 10.0, (10.2, 10.0)),  # within the burst of 3: still now
        (10.3, 10.0, (10.4, 10.1)),  # burst spent: wait for the next slot
        (15.0, 10.0, (15.1, 14.8)),  # a queue: the slot after it
    ],
)
def test_reserve_hands_out_slots_a_rate_apart_after_the_burst(
    tat: float, now: float, expected: tuple[float, float]
) -> None:
    new_tat, start = reserve(tat, now, Bucket(rate=10, burst=3))
    assert (round(new_tat, 6), round(start, 6)) == expected


def test_the_default_burst_is_a_second_s_worth_as_in_aioratelimiter() -> None:
    assert default_bucket(30) == Bucket(rate=30, burst=30)
    assert default_bucket(0.5) == Bucket(rate=0.5, burst=1)
    assert default_bucket(30, burst=5) == Bucket(rate=30, burst=5)
    assert Bucket(rate=30, burst=3).allows(1.0) == 33
    with pytest.raises(ValueError):
        Bucket(rate=0)


async def test_a_local_budget_paces_one_process() -> None:
    times = await spend([LocalBudget(Bucket(rate=200, burst=4))], 40)
    assert excess(times, 200) <= 4 + 1
    assert max(times) - min(times) >= (40 - 4) / 200 - 0.01


def test_sqlite_gets_a_local_budget_and_local_chat_locks() -> None:
    assert isinstance(build_budget("sqlite+aiosqlite:///x.db", 30), LocalBudget)
    assert type(build_chat_order("sqlite+aiosqlite:///x.db")) is LocalChatOrder


# ---------------------------------------------------------------- the budget across workers


@pytest.fixture
async def workers(pg_migrated: str) -> AsyncIterator[list[PostgresBudget]]:
    """Three budgets sharing one row, each with its own engine (three processes)."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    budgets = [PostgresBudget(pg_migrated, Bucket(rate=100, burst=5), name=name) for _ in range(3)]
    yield budgets
    for budget in budgets:
        await budget.close()


async def test_three_workers_together_stay_within_one_budget(
    workers: list[PostgresBudget],
) -> None:
    times = await spend(list(workers), 30)
    # 90 sends at 100/s with a burst of 5: about 0.85 s, never more than the bucket allows in
    # any window. The slack (0.1 s, 5 sends) is what a busy two-core machine adds when a
    # send's local timestamp is taken late; unpaced, the 90 would go in a few milliseconds and
    # three separate budgets overshoot by more than 20 (next test).
    assert max(times) - min(times) >= (90 - 5) / 100 - 0.1
    assert excess(times, 100) <= 5 + 5


async def test_budgets_of_their_own_would_overshoot() -> None:
    # The reason for sharing: three per-process budgets of 100/s send at up to 300/s together.
    times = await spend([LocalBudget(Bucket(rate=100, burst=5)) for _ in range(3)], 30)
    assert excess(times, 100) > 5 + 20


async def test_a_429_holds_every_worker(workers: list[PostgresBudget]) -> None:
    first, second, _ = workers
    await first.acquire()
    await first.hold(0.4)
    start = time.monotonic()
    await second.acquire()
    assert time.monotonic() - start >= 0.35


async def test_without_the_database_a_worker_paces_itself(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budget = PostgresBudget(DOWN, Bucket(rate=100, burst=2))
    try:
        times = await spend([budget], 10)
    finally:
        await budget.close()
    assert excess(times, 100) <= 2 + 1
    assert "shared send budget unavailable" in caplog.text


# ---------------------------------------------------------------- per-chat order


@pytest.mark.parametrize(
    "chat_id", [0, 1, 42, -1, 2**31, -(2**31), 2**63 - 1, -(2**63), -1001234567890]
)
def test_every_chat_id_folds_into_a_32_bit_key(chat_id: int) -> None:
    assert -(2**31) <= lock_key(chat_id) < 2**31
    assert lock_key(chat_id) == lock_key(chat_id)


def test_small_positive_chat_ids_keep_their_own_keys() -> None:
    assert len({lock_key(n) for n in range(1, 10_000)}) == 9_999


@pytest.fixture
async def orders(pg_migrated: str) -> AsyncIterator[list[PostgresChatOrder]]:
    made = [PostgresChatOrder(pg_migrated, lock_timeout_s=5) for _ in range(2)]
    yield made
    for order in made:
        await order.close()


async def test_one_chat_is_handled_by_one_worker_at_a_time(
    orders: list[PostgresChatOrder],
) -> None:
    a, b = orders
    events: list[str] = []
    a_holds = asyncio.Event()

    async def first() -> None:
        async with a.hold(7):
            events.append("a in")
            a_holds.set()
            await asyncio.sleep(0.3)
            events.append("a out")

    async def second() -> None:
        await a_holds.wait()
        async with b.hold(7):
            events.append("b in")

    async def other_chat() -> None:
        await a_holds.wait()
        async with b.hold(8):
            events.append("b other")

    await asyncio.gather(first(), second(), other_chat())
    assert events == ["a in", "b other", "a out", "b in"]


async def test_waiters_on_one_chat_go_in_the_order_they_came(
    orders: list[PostgresChatOrder], pg_migrated: str
) -> None:
    a, b = orders
    c = PostgresChatOrder(pg_migrated)
    order: list[str] = []
    try:
        async with a.hold(11):
            waiting = []
            for name, worker in [("b", b), ("c", c)]:

                async def wait(name: str = name, worker: PostgresChatOrder = worker) -> None:
                    async with worker.hold(11):
                        order.append(name)

                waiting.append(asyncio.create_task(wait()))
                await asyncio.sleep(0.15)  # b is queued in PostgreSQL before c asks
            order.append("a")
        await asyncio.gather(*waiting)
    finally:
        await c.close()
    assert order == ["a", "b", "c"]


async def test_a_dead_worker_holds_nothing(
    orders: list[PostgresChatOrder], pg_migrated: str
) -> None:
    # A worker holding chat 9 whose connection is cut (what kill -9 does to it).
    doomed = await asyncpg.connect(pg_migrated.replace("+asyncpg", ""))
    tx = doomed.transaction()
    await tx.start()
    await doomed.execute("SELECT pg_advisory_xact_lock($1, $2)", LOCK_NAMESPACE, lock_key(9))
    _, b = orders
    waiter = asyncio.create_task(_enter(b, 9))
    await asyncio.sleep(0.2)
    assert not waiter.done()
    doomed.terminate()
    await asyncio.wait_for(waiter, timeout=5)


async def _enter(order: PostgresChatOrder, chat_id: int) -> None:
    async with order.hold(chat_id):
        pass


async def test_a_lock_not_had_in_time_is_busy(pg_migrated: str) -> None:
    a, b = PostgresChatOrder(pg_migrated), PostgresChatOrder(pg_migrated, lock_timeout_s=0.2)
    try:
        async with a.hold(13):
            start = time.monotonic()
            with pytest.raises(ChatBusy):
                await _enter(b, 13)
            assert time.monotonic() - start < 2
        await _enter(b, 13)  # and the connection that timed out went back clean
    finally:
        await a.close()
        await b.close()


async def test_without_the_database_the_update_is_busy() -> None:
    order = PostgresChatOrder(DOWN)
    try:
        with pytest.raises(ChatBusy):
            await _enter(order, 1)
    finally:
        await order.close()


async def test_updates_without_a_chat_take_no_lock(orders: list[PostgresChatOrder]) -> None:
    a, b = orders
    async with a.hold(None), b.hold(None):
        pass


async def test_local_order_serialises_a_chat_and_forgets_idle_ones() -> None:
    order = LocalChatOrder()
    events: list[str] = []

    async def handle(name: str, delay: float) -> None:
        async with order.hold(5):
            events.append(f"{name} in")
            await asyncio.sleep(delay)
            events.append(f"{name} out")

    await asyncio.gather(handle("first", 0.05), handle("second", 0))
    assert events == ["first in", "first out", "second in", "second out"]
    assert not order._locks and not order._users


# ---------------------------------------------------------------- the webhook route


class _Busy(LocalChatOrder):
    def hold(self, chat_id: int | None):  # type: ignore[no-untyped-def, override]
        raise ChatBusy("held elsewhere")


async def test_a_busy_chat_answers_503_so_telegram_retries(services: Services) -> None:
    api = MemoryBotApi()
    app = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    secret = "s3cret-s3cret-s3cret"
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1_795_000_000,
            "chat": {"id": 31, "type": "private"},
            "from": {"id": 31, "is_bot": False, "first_name": "Ann"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    async with app:
        web = build_web_app(app, services, secret, "/telegram", _Busy())
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
            answer = await http.post("/telegram", json=update, headers={SECRET_HEADER: secret})
    assert answer.status_code == 503
    assert api.sent_to(31) == []

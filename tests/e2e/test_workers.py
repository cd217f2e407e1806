"""Three webhook workers on one PostgreSQL behind one address, one of them killed mid-way.

The HTTP Bot API fake doubles as the load balancer: it hands each webhook update to the next of
three worker URLs, like a reverse proxy in front of `backcoach run --webhook` workers. As on
Telegram, updates of different chats travel in parallel and those of one chat one after
another. Fifty users go through onboarding with their updates spread over the workers; one
worker gets SIGKILL half-way. Then every user's morning push falls due at once, each user
starts the routine from it and its first hold timer, every hold is made due at once (so each
surviving worker's timer sweep goes for all of them), and each user stops and reports their
pain. The test finds each answer stored once, each push and each timer's release sent once,
and every message the three workers sent within the one shared send budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.bot_process import free_port, kill_9, start_bot, stop
from fakes.http_botapi import SECRET_HEADER, BotApiServer, WebhookDelivery, listening_socket
from fakes.journeys import Player, newest_buttons
from fakes.waiting import until_sync
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.chat.offline.botapi import ApiCall, MemoryBotApi
from bot.chat.render_pushes import PUSH_PREFIX
from bot.db.tables import Base
from bot.services.send_budget import default_bucket

pytestmark = pytest.mark.e2e

WORKERS = 3
USERS = 50
FIRST_USER = 6_100_001
SECRET = "workers-secret-0123456789"
# Messages per second for the three workers together. Low enough that the workers, left
# alone, go faster at times (about 150/s here), so the budget is what holds them back; high
# enough to keep the test short (some 1,700 messages).
RATE = 80.0
# A small burst keeps the check strict: any window may hold BURST more than RATE x its length.
BURST = 5
# A message takes its slot in the budget, then reaches the fake a little later; a worker or
# this process paused by a busy machine (CI shares two cores with PostgreSQL) delivers a few
# together. Windows are measured with this much allowance: 33 messages, where a budget per
# worker instead of a shared one overshoots by about 95 and three unpaced workers by more.
JITTER_S = 0.4
# Telegram's default number of parallel webhook connections is 40; fewer keeps the shared
# PostgreSQL server's connection count modest while other test runs use it too.
CONCURRENCY = 16
STUCK_AFTER_S = 10.0
ONBOARDING_WITHIN_S = 60.0


def chat_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (what Telegram keeps in order)."""
    for kind in ("message", "edited_message", "my_chat_member"):
        if kind in update:
            return int(update[kind]["chat"]["id"])
    query = update["callback_query"]
    return int(query["message"]["chat"]["id"] if "message" in query else query["from"]["id"])


class RoundRobinBotApi(BotApiServer):
    """The HTTP Bot API fake, delivering each webhook update to the next worker in turn.

    A worker that refuses connections is taken out of the rotation (a passive health check);
    an update whose delivery fails for any reason goes to the next worker.
    """

    def __init__(self, api: MemoryBotApi, workers: list[str], concurrency: int) -> None:
        super().__init__(api, listening_socket(), webhook_retry_delay=0.02)
        self.workers = workers
        self.dead: set[str] = set()
        self.concurrency = concurrency
        self._turn = 0

    def _next_worker(self) -> str:
        alive = [w for w in self.workers if w not in self.dead] or self.workers
        self._turn += 1
        return alive[self._turn % len(alive)]

    async def _deliver_webhooks(self) -> None:
        in_flight: dict[int, asyncio.Task[None]] = {}
        busy_chats: set[int] = set()
        limits = httpx.Limits(max_connections=self.concurrency * 2)
        async with httpx.AsyncClient(timeout=self._webhook_timeout, limits=limits) as client:
            while True:
                webhook = self.api.webhook
                started = False
                if webhook is not None:
                    seen: set[int] = set()
                    for update in self.api.pending_updates():
                        chat = chat_of(update)
                        # Only a chat's oldest pending update may go, and only when none of
                        # its updates is in flight: one chat's updates stay in order.
                        if chat in seen or chat in busy_chats:
                            seen.add(chat)
                            continue
                        seen.add(chat)
                        if len(in_flight) >= self.concurrency:
                            break
                        busy_chats.add(chat)
                        task = asyncio.create_task(self._deliver(client, webhook.url, update))
                        in_flight[update["update_id"]] = task
                        task.add_done_callback(
                            lambda _t, u=update["update_id"], c=chat: (
                                in_flight.pop(u, None),
                                busy_chats.discard(c),
                            )
                        )
                        started = True
                if not started:
                    await asyncio.sleep(0.003)

    async def _deliver(self, client: httpx.AsyncClient, url: str, update: dict[str, Any]) -> None:
        update_id = update["update_id"]
        path = httpx.URL(url).path
        headers = {SECRET_HEADER: SECRET}
        for _attempt in range(self._max_attempts * 2):
            worker = self._next_worker()
            status: int | None = None
            error: str | None = None
            try:
                response = await client.post(worker + path, json=update, headers=headers)
            except httpx.ConnectError:
                error = "Connection refused"
                self.dead.add(worker)
            except httpx.TimeoutException:
                error = "Read timeout expired"
            except httpx.HTTPError as exc:
                error = f"Connection lost: {type(exc).__name__}"
            else:
                status = response.status_code
                if not response.is_success:
                    error = f"Wrong response from the webhook: {status}"
            self.deliveries.append(WebhookDelivery(update_id, worker, status, error))
            if error is None:
                self.api.ack_webhook_update(update_id)
                return
            self.api.note_webhook_error(error)
            await asyncio.sleep(self._retry_delay)
        self.api.ack_webhook_update(update_id)


@contextlib.contextmanager
def serve_round_robin(workers: list[str]) -> Iterator[RoundRobinBotApi]:
    """The round-robin fake in a background thread, as serve_botapi runs the plain one."""
    server = RoundRobinBotApi(MemoryBotApi(), workers, CONCURRENCY)
    thread = threading.Thread(target=asyncio.run, args=(server.serve(),), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        while thread.is_alive():
            server.request_stop()
            thread.join(0.05)


# ---------------------------------------------------------------- the users


class CallWatch:
    """The chats of the bot's calls since the last look (only finished calls count)."""

    def __init__(self, api: MemoryBotApi) -> None:
        self.api = api
        self.seen = len(api.calls())

    def chats(self, matching: Callable[[ApiCall], bool] = lambda _call: True) -> set[int]:
        """Chats the bot sent something to since the last look (only calls `matching`)."""
        found: set[int] = set()
        calls = self.api.calls()
        while self.seen < len(calls):
            call = calls[self.seen]
            if call.result is None and call.error_code is None:
                break  # still in progress: its params and message may not be there yet
            self.seen += 1
            chat = call.params.get("chat_id")
            if chat is not None and matching(call):
                found.add(int(chat))
        return found


def _is_push_call(call: ApiCall) -> bool:
    return f"{PUSH_PREFIX}:" in str(call.params.get("reply_markup"))


def _is_release_call(call: ApiCall) -> bool:
    return call.method == "sendMessage" and str(call.params.get("text", "")).startswith("🔔")


def _holding(api: MemoryBotApi, uid: int) -> bool:
    message = newest_buttons(api, uid)
    return message is not None and "⏸ Pause" in dict(MemoryBotApi.buttons(message))


def _summarised(api: MemoryBotApi, uid: int) -> bool:
    return any("Your back now: 3/10" in m.get("text", "") for m in api.sent_to(uid)[-2:])


def play_until(
    api: MemoryBotApi,
    pressed: dict[int, set[tuple[int, str]]],
    labels: set[str],
    finished: Callable[[MemoryBotApi, int], bool],
    within: float = 40.0,
) -> None:
    """Each user taps whichever of `labels` their newest message shows (each button once)
    until `finished` holds for every one of them."""
    waiting = set(pressed)
    watch = CallWatch(api)
    deadline = time.monotonic() + within
    look_all = 0.0
    while waiting:
        now = time.monotonic()
        assert now < deadline, f"{len(waiting)} users stuck, e.g. {api.sent_to(min(waiting))[-1:]}"
        touched = watch.chats()
        if now >= look_all:  # now and then everyone, in case a change slipped past
            touched, look_all = set(waiting), now + 1.0
        for uid in sorted(waiting & touched):
            if finished(api, uid):
                waiting.discard(uid)
                continue
            message = newest_buttons(api, uid)
            if message is None:
                continue
            for label, data in MemoryBotApi.buttons(message):
                key = (message["message_id"], data)
                if label in labels and key not in pressed[uid]:
                    pressed[uid].add(key)
                    api.user_presses(uid, message["message_id"], data)
                    break
        time.sleep(0.01)


# ---------------------------------------------------------------- database and measurements


def query(url: str, sql: str, **params: Any) -> list[Any]:
    """Rows of one statement (or nothing for a statement without rows), in a loop of its own."""

    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(sql), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def budget_excess(times: list[float], rate: float) -> float:
    """The largest (sends in a window - rate x window length) over every window.

    A token bucket of `burst` tokens refilled at `rate` lets this reach `burst` and no more.
    """
    worst, best_start = 0.0, float("-inf")
    for j, t in enumerate(sorted(times)):
        best_start = max(best_start, rate * t - j)  # the window's first send is i, i <= j
        worst = max(worst, (j + 1 - rate * t) + best_start)
    return worst


def peak_per_second(times: list[float]) -> int:
    """The most sends in any one-second window."""
    ordered, peak, i = sorted(times), 0, 0
    for j, t in enumerate(ordered):
        while ordered[i] < t - 1.0:
            i += 1
        peak = max(peak, j - i + 1)
    return peak


def scrape(port: int) -> dict[str, float]:
    """A worker's /metrics, as {"name{label=value,...}": value}."""
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# ---------------------------------------------------------------- the test


def test_three_workers_share_the_work_the_pushes_and_the_send_budget(
    tmp_path: Path, pg_migrated: str
) -> None:
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    query(pg_migrated, f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    ports = [free_port() for _ in range(WORKERS)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    users = [
        Player(FIRST_USER + n, first_name=f"User{n}", stuck_after=STUCK_AFTER_S)
        for n in range(USERS)
    ]
    started = time.monotonic()

    with serve_round_robin(urls) as server:
        api = server.api
        workers: list[subprocess.Popen[str]] = []
        for n, port in enumerate(ports):
            cwd = tmp_path / f"worker{n}"
            cwd.mkdir()
            workers.append(
                start_bot(
                    cwd,
                    pg_migrated,
                    server,
                    "--webhook",
                    # One public address for all of them; the fake routes to the workers.
                    BACKCOACH_WEBHOOK_URL="https://backcoach.example/telegram",
                    BACKCOACH_WEBHOOK_SECRET=SECRET,
                    BACKCOACH_WEBHOOK_PORT=str(port),
                    BACKCOACH_PUSH_RATE=str(RATE),
                    BACKCOACH_SEND_BURST=str(BURST),
                    BACKCOACH_TICK_SECONDS="0.5",
                )
            )
        killed: subprocess.Popen[str] | None = None
        try:
            until_sync(lambda: all(_healthy(p) for p in ports), within=60, step=0.1)
            until_sync(lambda: api.webhook is not None, within=10)
            for user in users:
                api.add_user(user.uid, first_name=f"User{user.uid - FIRST_USER}")

            # -------------------------------------------------- onboarding, one kill -9
            expected_actions = USERS * 17
            deadline = time.monotonic() + ONBOARDING_WITHIN_S
            calls = CallWatch(api)
            while not all(u.done for u in users):
                now = time.monotonic()
                assert now < deadline, _stuck(users, api)
                # Only users whose chat saw a call look at their messages: copying every
                # chat each round would make this thread, not the workers, the bottleneck.
                touched = calls.chats()
                for user in users:
                    if not user.done and (
                        user.uid in touched or not user.actions or now - user.at > STUCK_AFTER_S
                    ):
                        user.step(api, now)
                if killed is None and sum(u.actions for u in users) >= expected_actions // 2:
                    killed = workers[1]
                    kill_9(killed)
                time.sleep(0.01)
            onboarded_s = time.monotonic() - started

            # -------------------------------------------------- every user's push falls due
            query(
                pg_migrated,
                "UPDATE users SET next_due_at = now(), "
                "next_due_date = (now() AT TIME ZONE 'Australia/Sydney')::date",
            )
            push_started = time.monotonic()

            push_calls = CallWatch(api)
            pushed: set[int] = set()
            while len(pushed) < USERS:
                assert time.monotonic() - push_started < 30, f"{len(pushed)} pushes arrived"
                pushed |= push_calls.chats(_is_push_call)
                time.sleep(0.02)
            pushes_s = time.monotonic() - push_started

            # -------------------------------------------------- a routine each, with a hold
            routine_started = time.monotonic()
            pressed: dict[int, set[tuple[int, str]]] = {u.uid: set() for u in users}
            # The push's Start, the routine's Start, then the first exercise's hold timer.
            play_until(api, pressed, {"▶️ Start now", "▶️ Start", "▶️ Start timer"}, _holding)
            # Every hold ends now: each worker's timer sweep finds all of them due, and each
            # release must still go out once.
            query(pg_migrated, "UPDATE routine_timers SET due_at = now() WHERE status = 'pending'")
            release_calls = CallWatch(api)
            released: set[int] = set()
            while len(released) < USERS:
                assert time.monotonic() - routine_started < 60, f"{len(released)} releases"
                released |= release_calls.chats(_is_release_call)
                time.sleep(0.05)
            # Stop there, and say how the back is.
            play_until(api, pressed, {"⏹ Stop", "3"}, _summarised)
            routine_s = time.monotonic() - routine_started
            time.sleep(1.5)  # three more ticks on each worker: nothing may go out twice
            survivors = [p for p, w in zip(ports, workers, strict=True) if w is not killed]
            metrics = [scrape(p) for p in survivors]
        finally:
            results = [stop(w) for w in workers if w is not killed]

        deliveries = list(server.deliveries)
        sends = [c.at for c in api.calls() if "chat_id" in c.params]
        # Counted as sent (a push loses its buttons once its routine starts).
        messages = api.calls("sendMessage")
        push_messages = Counter(int(c.params["chat_id"]) for c in messages if _is_push_call(c))
        releases = Counter(int(c.params["chat_id"]) for c in messages if _is_release_call(c))

    for code, err in results:
        assert code == 0, err
        assert api.token not in err and SECRET not in err

    # Updates were spread over all three workers, and the killed one's were redelivered.
    handled = Counter(d.url for d in deliveries if d.ok)
    assert set(handled) == set(urls), handled
    assert min(handled.values()) >= 0.1 * sum(handled.values()), handled
    to_killed = Counter(d.ok for d in deliveries if d.url == urls[1])
    assert any(d.url == urls[1] and not d.ok for d in deliveries), (
        f"the kill was not noticed: deliveries to the killed worker (ok: count) {to_killed}, "
        f"killed {killed is not None}"
    )

    # Every answer stored once: one complete profile and one safety screen per user.
    rows = query(
        pg_migrated,
        "SELECT u.id, u.safety, u.baseline_pain, u.pain_duration, u.activity, u.days_mask, "
        "to_char(u.push_time, 'HH24:MI'), u.tz, u.onboarded_at IS NOT NULL, "
        "(SELECT count(*) FROM safety_screens s WHERE s.user_id = u.id), "
        "(SELECT count(*) FROM dialogs d WHERE d.user_id = u.id) FROM users u ORDER BY u.id",
    )
    assert [r[0] for r in rows] == [u.uid for u in users]
    monday_tuesday_thursday_friday = 0b11011
    for row in rows:
        assert tuple(row[1:]) == (
            "clear",
            3,
            "chronic",
            "active",
            monday_tuesday_thursday_friday,
            "08:00",
            "Australia/Sydney",
            True,
            1,
            0,
        ), row
    screens = query(pg_migrated, "SELECT answers FROM safety_screens")
    assert all(len(answers) == 7 for (answers,) in screens), screens

    # Every push sent once: one row, one message, counted by the workers that are left.
    pushes = query(pg_migrated, "SELECT user_id, kind, status FROM pushes ORDER BY user_id")
    assert pushes == [(u.uid, "morning", "sent") for u in users]
    assert push_messages == Counter({u.uid: 1 for u in users}), push_messages
    # Every timer fired once: one release message and one fired timer row per user.
    assert releases == Counter({u.uid: 1 for u in users}), releases
    timers = query(pg_migrated, "SELECT user_id, status FROM routine_timers ORDER BY user_id")
    assert timers == [(u.uid, "fired") for u in users]
    routines = query(pg_migrated, "SELECT user_id, status, end_pain FROM routines ORDER BY user_id")
    assert routines == [(u.uid, "stopped", 3) for u in users]

    counted = [m.get("backcoach_pushes_total{kind=morning,outcome=sent}", 0) for m in metrics]
    assert sum(counted) == USERS, counted
    presses = [m.get("backcoach_updates_total{kind=callback_query}", 0) for m in metrics]
    assert all(presses), presses

    # Together within one budget: no window of the run holds more than the bucket allows.
    bucket = default_bucket(RATE, BURST)
    excess = budget_excess(sends, RATE)
    peak = peak_per_second(sends)
    elapsed = max(sends) - min(sends)
    report = (
        f"{len(sends)} messages in {elapsed:.1f} s ({len(sends) / elapsed:.1f}/s), "
        f"peak {peak} in one second, budget {RATE:g}/s burst {bucket.burst}, "
        f"worst excess {excess:.2f}; onboarding {onboarded_s:.1f} s, pushes {pushes_s:.2f} s, "
        f"routines {routine_s:.1f} s; "
        f"{len(deliveries)} deliveries, {sum(not d.ok for d in deliveries)} redelivered; "
        f"{sum(u.nudges for u in users)} users nudged with /start"
    )
    print(report)
    if os.environ.get("BACKCOACH_WORKERS_REPORT"):
        Path(os.environ["BACKCOACH_WORKERS_REPORT"]).write_text(report + "\n")
    allowance = RATE * JITTER_S + 1
    assert excess <= bucket.burst + allowance, report
    assert peak <= bucket.allows(1.0) + allowance, report


def _stuck(users: list[Player], api: MemoryBotApi) -> str:
    waiting = [u for u in users if not u.done]
    sample = waiting[0]
    last = api.sent_to(sample.uid)[-1:] if api.sent_to(sample.uid) else []
    return (
        f"{len(waiting)} users still onboarding; user {sample.uid} did {sample.log}, "
        f"last message {last}"
    )

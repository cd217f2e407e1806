"""Benchmark: many concurrent hold timers against the in-memory Bot API.

    .venv/bin/python bench/timers.py [--timers 1000] [--hold 60] [--spread 60] [--rate 30]

Every user starts one hold of ``--hold`` seconds; the starts are spread evenly over
``--spread`` seconds, so with hold ≥ spread every timer runs at the same moment. The bot is
the real Application (handlers, JobQueue, AIORateLimiter at ``--rate`` messages/s, as in
production) over a fresh SQLite file, talking to the in-memory Bot API on loopback only.
Bounded: it stops when every timer has fired or at spread + hold + 60 s.

It prints the lateness of the "Release" messages (when the Bot API received them, minus the
timer's due time) at p50/p99/max, and the card edits per chat per minute (the countdown),
with the closest two sends to one chat ever came.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_application  # noqa: E402
from bot.chat import timers  # noqa: E402
from bot.chat.context import App  # noqa: E402
from bot.chat.offline.botapi import DEFAULT_TOKEN, MemoryBotApi  # noqa: E402
from bot.chat.offline.request import MemoryRequest  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.tables import RoutineTimer, User  # noqa: E402
from bot.services import Services, build_services  # noqa: E402
from content.library import Library  # noqa: E402
from content.model import Dose, Routine, RoutineItem, Section  # noqa: E402
from content.routines import RoutineRequest, estimate_seconds  # noqa: E402

FIRST_USER = 100_000
SETUP_CONCURRENCY = 32


def one_hold(seconds: int) -> Any:
    """A builder whose routine is a single hold of `seconds` (child's pose)."""

    def build(library: Library, _request: RoutineRequest) -> Routine:
        ex = library.get("childs_pose")
        dose = Dose(kind="hold", amount=seconds)
        item = RoutineItem(
            exercise_id=ex.id,
            section=Section.STRETCH,
            dose=dose,
            est_seconds=estimate_seconds(ex, dose),
        )
        return Routine(items=(item,), budget_minutes=10, effective_level=1, gentle=False)

    return build


async def add_users(services: Services, count: int) -> list[int]:
    now = services.clock.now()
    ids = list(range(FIRST_USER, FIRST_USER + count))
    async with services.sessions.begin() as s:
        s.add_all(
            User(
                id=uid, chat_id=uid, first_name="Bench", created_at=now, active=True,
                consent_at=now, onboarded_at=now, safety="clear", baseline_pain=2, level=1,
                days_mask=0, tz="UTC", paused_indefinitely=False,
            )
            for uid in ids
        )  # fmt: skip
    return ids


async def process(app: App, update: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(update, app.bot))


def button(api: MemoryBotApi, chat: int, prefix: str) -> tuple[int, str]:
    for message in reversed(api.sent_to(chat)):
        for label, data in MemoryBotApi.buttons(message):
            if label.startswith(prefix):
                return message["message_id"], data
    raise LookupError(f"no {prefix!r} button in chat {chat}")


async def setup_cards(app: App, api: MemoryBotApi, users: Sequence[int]) -> None:
    """/routine and Start for every user (through an app without a rate limiter)."""
    gate = asyncio.Semaphore(SETUP_CONCURRENCY)

    async def one(uid: int) -> None:
        async with gate:
            api.add_user(uid, first_name="Bench")
            await process(app, api.user_says(uid, "/routine"))
            mid, data = button(api, uid, "▶️ Start")
            await process(app, api.user_presses(uid, mid, data))

    await asyncio.gather(*(one(uid) for uid in users))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def max_in_window(times: Sequence[float], window: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(args: argparse.Namespace) -> int:
    folder = Path(tempfile.mkdtemp(prefix="backcoach-bench-"))
    url = args.db or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade(url)
    settings = load_settings(
        database_url=url, token=None, push_rate=args.rate, data_dir=folder, metrics_port=0
    )
    services = build_services(settings)
    services.player.builder = one_hold(args.hold)
    api = MemoryBotApi()
    users = await add_users(services, args.timers)

    t0 = time.monotonic()
    setup = build_application(
        services, DEFAULT_TOKEN, request=MemoryRequest(api), rate_limited=False
    )
    async with setup:
        await setup_cards(setup, api, users)
    print(f"setup: {len(users)} users at their card in {time.monotonic() - t0:.1f} s")

    app = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    calls_before = len(api.calls())
    # ApiCall.at is monotonic; due times are wall-clock UTC.
    wall_offset = time.time() - time.monotonic()
    async with app:
        await app.start()
        start = time.monotonic()
        presses = []
        for n, uid in enumerate(users):
            await asyncio.sleep(max(0.0, start + n * args.spread / len(users) - time.monotonic()))
            mid, data = button(api, uid, "▶️ Start timer")
            presses.append(asyncio.create_task(process(app, api.user_presses(uid, mid, data))))
        await asyncio.gather(*presses)
        deadline = start + args.spread + args.hold + 60
        while time.monotonic() < deadline:
            fired = timers.runtime(app).fired
            if fired >= len(users):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(3.0)  # let the last cards catch up
        await app.stop()
    elapsed = time.monotonic() - start

    async with services.sessions() as s:
        rows = list(await s.scalars(select(RoutineTimer)))
    await services.close()
    due = {t.chat_id: t.due_at.timestamp() for t in rows}
    claimed = [(t.fired_at - t.due_at).total_seconds() for t in rows if t.fired_at]
    calls = api.calls()[calls_before:]
    late: list[float] = []
    per_chat: dict[int, list[float]] = defaultdict(list)
    sends: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        chat = call.params.get("chat_id")
        if not isinstance(chat, int) or call.error_code is not None:
            continue
        sends[chat].append(call.at)
        if call.method == "editMessageText":
            per_chat[chat].append(call.at)
        elif call.method == "sendMessage" and str(call.params.get("text", "")).startswith("🔔"):
            late.append(call.at + wall_offset - due[chat])
    released: dict[int, float] = {}
    with_buttons = 0
    final: list[float] = []
    for call in calls:
        chat = call.params.get("chat_id")
        text = str(call.params.get("text", ""))
        if call.method == "sendMessage" and text.startswith("🔔") and isinstance(chat, int):
            released[chat] = call.at
            with_buttons += call.params.get("reply_markup") is not None
        elif call.method == "editMessageText" and "All done" in text and chat in released:
            final.append(call.at - released.pop(chat))
    errors = [c for c in calls if c.error_code is not None]
    gaps = [b - a for times in sends.values() for a, b in itertools.pairwise(times)]
    per_minute = [max_in_window(sorted(times), 60.0) for times in per_chat.values()]
    per_second = [max_in_window(sorted(times), 1.0) for times in sends.values()]
    edits = sum(len(v) for v in per_chat.values())

    print(f"timers: {len(users)} holds of {args.hold} s, started over {args.spread} s, "
          f"rate limit {args.rate}/s; run {elapsed:.0f} s; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")  # fmt: skip
    print(f"fired: {len(claimed)} of {len(rows)} timers (status fired or missed)")
    print(
        f"release lateness (Bot API received − due): p50 {percentile(late, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(late, 0.99) * 1000:.0f} ms, max {max(late) * 1000:.0f} ms "
        f"over {len(late)} messages"
    )
    print(
        f"claim lateness (fired_at − due): p50 {statistics.median(claimed) * 1000:.0f} ms, "
        f"p99 {percentile(claimed, 0.99) * 1000:.0f} ms"
    )
    print(
        f"card edits: {edits} in all ({edits / elapsed:.1f}/s); per chat per minute: "
        f"max {max(per_minute)}, median {statistics.median(per_minute):.0f}"
    )
    print(f"'Done' buttons under the release message: {with_buttons} of {len(late)}")
    if final:
        print(
            f"old cards redrawn as finished (best effort): {len(final)} of {len(late)}; "
            f"delay p50 {percentile(final, 0.5):.1f} s, p99 {percentile(final, 0.99):.1f} s"
        )
    print(
        f"per-chat pace: at most {max(per_second)} sends to one chat in any second; "
        f"closest two sends to one chat {min(gaps):.2f} s apart; Bot API errors {len(errors)}"
    )
    ok = percentile(late, 0.99) < 0.5 and max(per_second) <= 1 and len(claimed) == len(rows)
    print("target (p99 < 0.5 s, ≤ 1 send per chat per second, every timer fired):",
          "met" if ok else "NOT met")  # fmt: skip
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timers", type=int, default=1000)
    parser.add_argument("--hold", type=int, default=60, help="seconds per hold")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which to start")
    parser.add_argument("--rate", type=float, default=30.0, help="bot-wide messages per second")
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

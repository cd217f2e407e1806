"""Benchmark: N users due in the same minute, our one-tick scheduler against one job per user.

    .venv/bin/python bench/pushes.py                       # the full table (about 15 minutes)
    .venv/bin/python bench/pushes.py --quick               # 10k only, a 10 s rate window
    .venv/bin/python bench/pushes.py --sizes 10000 --million --window 60 --backends sqlite

Every measurement runs in a child process of its own, so start-up time and peak RSS are the
bot's alone. The bot is the real Application (handlers, JobQueue, the push tick) talking to
the in-process fake through PTB's request interface: `MemoryRequest` → `MemoryBotApi`, whose
sendMessage here only counts deliveries per chat and keeps no messages (a stored copy of a
million messages would be the fake's memory, not the bot's). No network; nothing leaves the
process. Every run is bounded in count and time.

Rows:
Only the push job runs (other features' periodic jobs are taken out of the JobQueue).
* "tick, bot side": the rate limit lifted (no AIORateLimiter, no pacing), 256 sends in
  flight; pushes/s and CPU/push (the in-process fake's CPU included) for all N.
* "tick, 30 msg/s": production settings (rate limiter and pacing at push_rate); messages
  delivered in the first `--window` seconds as a share of push_rate × window.
* "run_daily": the common approach, one PTB `run_daily` job per user at the same second with
  APScheduler's defaults (misfire_grace_time=1 s), users loaded from SQLite at start-up,
  the rate limit lifted so that only the scheduler can lose a push.
* "1M": a million users in the table; the fan-out is cut after `--million-seconds` (those not
  reached stay due, not lost); start-up, RSS and pushes/s while it ran. `--million-seconds 600`
  lets the whole million go out (about five minutes per database here).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.chat.offline.botapi import (  # noqa: E402
    DEFAULT_TOKEN,
    ApiResponse,
    MemoryBotApi,
    Upload,
)
from bot.db.tables import Push, User  # noqa: E402

PG_ADMIN = os.environ.get(
    "BACKCOACH_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
FIRST_USER = 1_000_000
DUE = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # every user's push, the same minute
TEXT = "Good morning! Your routine is ready."


# --------------------------------------------------------------------------- the fake


class CountingBotApi(MemoryBotApi):
    """MemoryBotApi whose sendMessage only counts (per chat, with the time); nothing is kept."""

    def __init__(self, users: int) -> None:
        super().__init__()
        self.counts = bytearray(users)
        self.times = array("d")
        self.cpu_first = 0.0
        self.all_reached = asyncio.Event()

    async def call(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        files: Mapping[str, Upload] | None = None,
    ) -> ApiResponse:
        """Count sendMessage; every other method as the full fake answers it."""
        if method != "sendMessage" or params is None:
            return await super().call(method, params, files)
        await asyncio.sleep(0)  # a real round trip always yields to the event loop
        chat_id = int(str(params["chat_id"]))
        index = chat_id - FIRST_USER
        self.counts[index] = min(255, self.counts[index] + 1)
        if not self.times:
            self.cpu_first = time.process_time()
        self.times.append(time.monotonic())
        if len(self.times) >= len(self.counts):
            self.all_reached.set()
        message = {
            "message_id": len(self.times),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": TEXT,
        }
        return ApiResponse(200, {"ok": True, "result": message})

    def tally(self) -> tuple[int, int, int]:
        """(delivered chats, chats never reached, chats reached more than once)."""
        reached = sum(1 for c in self.counts if c)
        twice = sum(1 for c in self.counts if c > 1)
        return reached, len(self.counts) - reached, twice


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- databases


def user_rows(count: int, due: datetime) -> Iterator[list[dict[str, Any]]]:
    """Onboarded users, all due at `due`, in chunks."""
    chunk: list[dict[str, Any]] = []
    for uid in range(FIRST_USER, FIRST_USER + count):
        chunk.append(
            {
                "id": uid,
                "chat_id": uid,
                "first_name": "Bench",
                "created_at": due - timedelta(days=30),
                "active": True,
                "consent_at": due - timedelta(days=30),
                "onboarded_at": due - timedelta(days=30),
                "safety": "clear",
                "baseline_pain": 2,
                "level": 1,
                "days_mask": 0b1111111,
                "push_time": due.time().replace(tzinfo=None),
                "tz": "UTC",
                "paused_indefinitely": False,
                "next_due_at": due,
                "next_due_date": due.date(),
            }
        )
        if len(chunk) == 10_000:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def populate(url: str, count: int, due: datetime) -> float:
    """Migrate and fill a fresh database; seconds taken."""
    from bot.db.engine import make_engine
    from bot.db.migrate import upgrade

    started = time.monotonic()
    await upgrade(url)
    engine = make_engine(url)
    try:
        for chunk in user_rows(count, due):
            async with engine.begin() as conn:
                await conn.execute(insert(User), chunk)
        if url.startswith("postgresql"):
            async with engine.connect() as conn:
                await conn.execute(func.now().select())  # warm
                await conn.exec_driver_sql("ANALYZE users")
                await conn.commit()
    finally:
        await engine.dispose()
    return time.monotonic() - started


@contextmanager
def database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh empty database URL on `backend`, removed afterwards."""
    if backend == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"bench_pushes_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = PG_ADMIN.replace("+asyncpg", "")

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- child: our tick


async def child_tick(args: argparse.Namespace) -> dict[str, Any]:
    """Our scheduler: the real Application and its one periodic push job."""
    from bot.app import build_application
    from bot.chat.jobs import JOB_NAME
    from bot.chat.offline.request import MemoryRequest
    from bot.config import load_settings
    from bot.services import build_services
    from bot.services.clock import FrozenClock
    from bot.services.pushes import PushService

    api = CountingBotApi(args.users)
    started_at = time.monotonic()
    settings = load_settings(
        database_url=args.db, token=None, tick_seconds=1.0, push_rate=args.rate, log_level="WARNING"
    )
    # The clock stands at the due minute, so every user is due and none is late.
    clock = FrozenClock(DUE + timedelta(seconds=30))
    services = build_services(settings, clock=clock)
    lifted = args.mode == "lifted"
    if lifted:
        services.pushes = PushService(
            services.sessions, clock, settings, workers=args.workers, paced=False
        )
    app = build_application(
        services,
        DEFAULT_TOKEN,
        request=MemoryRequest(api, read_timeout=30),
        rate_limited=not lifted,
    )
    assert app.job_queue is not None
    for job in app.job_queue.jobs():
        # Only the push path is measured: other features' periodic jobs are taken out.
        if job.name != JOB_NAME:
            job.schedule_removal()
    await app.initialize()
    await app.start()  # the JobQueue: one repeating job, whatever the number of users
    startup, ready_at = time.monotonic() - started_at, time.time()

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(api.all_reached.wait(), args.seconds)
    cpu_last = time.process_time()
    wall_first, wall_last = (api.times[0], api.times[-1]) if api.times else (0.0, 0.0)
    await app.stop()  # the tick stops claiming; sends in flight finish and are recorded
    await app.shutdown()
    async with services.sessions() as s:
        sent_rows = await s.scalar(select(func.count()).where(Push.status == "sent"))
        sending_rows = await s.scalar(select(func.count()).where(Push.status == "sending"))
    await services.close()
    delivered, missing, twice = api.tally()
    pushes = len(api.times)
    elapsed = max(1e-9, (wall_last or 0.0) - (wall_first or 0.0))
    window_count = sum(
        1 for t in api.times if wall_first is not None and t < wall_first + args.window
    )
    return {
        "startup_s": startup,
        "ready_at": ready_at,
        "rss_mb": peak_rss_mb(),
        "pushes": pushes,
        "delivered": delivered,
        "missing": missing,
        "twice": twice,
        "sent_rows": sent_rows,
        "sending_rows": sending_rows,
        "per_s": pushes / elapsed if pushes > 1 else 0.0,
        "cpu_ms": 1000 * (cpu_last - api.cpu_first) / max(1, pushes),
        "in_window": window_count,
        "max_1s": max_per_second(api.times),
    }


def max_per_second(times: array[float]) -> int:
    """The most deliveries in any one-second span."""
    best, lo = 0, 0
    for hi in range(len(times)):
        while times[hi] - times[lo] >= 1.0:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# --------------------------------------------------------------------------- child: run_daily


async def child_run_daily(args: argparse.Namespace) -> dict[str, Any]:
    """The common approach: one PTB run_daily job per user, APScheduler's default settings."""
    from telegram.ext import Application

    from bot.chat.offline.request import MemoryRequest
    from bot.db.engine import make_engine

    api = CountingBotApi(args.users)
    started_at = time.monotonic()
    fire_at = datetime.fromtimestamp(args.fire_at, UTC)
    app = Application.builder().token(DEFAULT_TOKEN).request(MemoryRequest(api)).build()
    assert app.job_queue is not None

    async def remind(context: Any) -> None:
        await context.bot.send_message(context.job.chat_id, TEXT)

    engine = make_engine(args.db)
    async with engine.connect() as conn:
        stmt = select(User.id, User.push_time).order_by(User.id).limit(args.users)
        rows = (await conn.execute(stmt)).all()
    await engine.dispose()
    at = dtime(fire_at.hour, fire_at.minute, fire_at.second, tzinfo=UTC)
    for uid, _push_time in rows:
        app.job_queue.run_daily(remind, time=at, chat_id=uid, name=f"push-{uid}")
    await app.initialize()
    await app.start()
    startup, ready_at = time.monotonic() - started_at, time.time()
    late_start = time.time() > args.fire_at - 0.5

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(api.all_reached.wait(), args.fire_at + args.seconds - time.time())
    await asyncio.sleep(1.0)  # anything still running lands now
    await app.stop()
    await app.shutdown()
    delivered, missing, twice = api.tally()
    return {
        "startup_s": startup,
        "ready_at": ready_at,
        "rss_mb": peak_rss_mb(),
        "pushes": len(api.times),
        "delivered": delivered,
        "missing": missing,
        "twice": twice,
        "invalid": late_start,
    }


# --------------------------------------------------------------------------- the parent


def run_child(*argv: str) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is JSON."""
    spawned_at = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *argv],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {argv} failed:\n{proc.stderr[-3000:]}")
    result = dict(json.loads(proc.stdout.strip().splitlines()[-1]))
    # Start-up as an operator sees it: from exec to ready, imports included.
    result["process_startup_s"] = result["ready_at"] - spawned_at
    return result


def fmt_n(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--daily-sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000, 40_000, 100_000]
    )
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--window", type=float, default=60.0, help="rate window, seconds")
    parser.add_argument("--rate", type=float, default=30.0, help="push_rate for the rate run")
    parser.add_argument("--million", action="store_true", help="also 1M users in the table")
    parser.add_argument("--million-seconds", type=float, default=60.0)
    parser.add_argument(
        "--quick", action="store_true", help="10k, a 10 s window, no run_daily at 100k"
    )
    parser.add_argument("--child", choices=["tick", "run_daily"])
    parser.add_argument("--mode", choices=["lifted", "limited"], default="lifted")
    parser.add_argument("--db")
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--workers", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--fire-at", type=float, default=0.0)
    args = parser.parse_args()

    if args.child == "tick":
        print(json.dumps(asyncio.run(child_tick(args))))
        return
    if args.child == "run_daily":
        print(json.dumps(asyncio.run(child_run_daily(args))))
        return
    if args.quick:
        args.sizes, args.daily_sizes, args.window = [10_000], [5_000, 10_000], 10.0

    print(__doc__.split("\n\n")[2].strip().replace("\n", " "))
    print("transport: in-process MemoryRequest -> MemoryBotApi (counting), 127.0.0.1 only")
    print(f"cpu: {os.cpu_count()} cores, python {sys.version.split()[0]}\n")
    header = (
        f"{'approach':<22}{'db':<9}{'users':>6}{'push/s':>9}{'cpu/push':>10}"
        f"{'rate':>16}{'lost':>7}{'dup':>5}{'start-up':>10}{'RSS':>8}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-pushes-") as tmp:
        workdir = Path(tmp)
        for backend in args.backends:
            for size in args.sizes:
                with database(backend, workdir) as url:
                    asyncio.run(populate(url, size, DUE))
                    r = run_child("tick", "--db", url, "--users", str(size), "--mode", "lifted")
                print(row("tick, bot side", backend, size, r))
            with database(backend, workdir) as url:
                size = max(2_000, int(args.rate * args.window * 1.5))
                asyncio.run(populate(url, size, DUE))
                r = run_child(
                    "tick",
                    "--db",
                    url,
                    "--users",
                    str(size),
                    "--mode",
                    "limited",
                    "--rate",
                    str(args.rate),
                    "--seconds",
                    str(args.window + 1),
                    "--window",
                    str(args.window),
                )
            share = r["in_window"] / (args.rate * args.window)
            r["rate_text"] = f"{share:.1%} of {args.rate:g}/s"
            r["note"] = (
                f"{r['in_window']} in {args.window:g} s, max {r['max_1s']} in any 1 s; "
                f"{r['sending_rows']} left 'sending'"
            )
            r["cpu_ms"] = None  # mostly waiting for the rate limit: CPU per push says nothing
            label = f"tick, {args.rate:g} msg/s"
            print(row(label, backend, size, r, users_text=f"{args.window:g}s", partial=True))
            if args.million:
                with database(backend, workdir) as url:
                    took = asyncio.run(populate(url, 1_000_000, DUE))
                    r = run_child(
                        "tick",
                        "--db",
                        url,
                        "--users",
                        "1000000",
                        "--mode",
                        "lifted",
                        "--seconds",
                        str(args.million_seconds),
                    )
                r["note"] = f"cut after {args.million_seconds:g} s; table filled in {took:.0f} s"
                print(row("tick, 1M in table", backend, 1_000_000, r, partial=True))
        with database("sqlite", workdir) as url:
            asyncio.run(populate(url, max(args.daily_sizes), DUE))
            for size in args.daily_sizes:
                r = run_daily_measure(url, size)
                print(row("run_daily per user", "sqlite", size, r))


def run_daily_measure(url: str, size: int) -> dict[str, Any]:
    """One run_daily run, retried with more lead time if start-up outran the fire time."""
    lead = 5.0 + size * 0.0002
    for _ in range(3):
        fire_at = float(int(time.time() + lead + 1))
        r = run_child(
            "run_daily",
            "--db",
            url,
            "--users",
            str(size),
            "--fire-at",
            str(fire_at),
            "--seconds",
            "30",
        )
        if not r["invalid"]:
            return r
        lead *= 2
    return r


def row(
    name: str,
    backend: str,
    users: int,
    r: Mapping[str, Any],
    *,
    users_text: str | None = None,
    partial: bool = False,
) -> str:
    per_s = f"{r['per_s']:,.0f}" if r.get("per_s") else "-"
    cpu = f"{r['cpu_ms']:.3f}ms" if r.get("cpu_ms") else "-"
    lost = "-" if partial else str(r["missing"])
    text = (
        f"{name:<22}{backend:<9}{users_text or fmt_n(users):>6}{per_s:>9}{cpu:>10}"
        f"{r.get('rate_text', '-'):>16}{lost:>7}{r['twice']:>5}"
        f"{r['process_startup_s']:>9.2f}s{r['rss_mb']:>6.0f}MB"
    )
    notes = [f"{r['startup_s']:.2f} s of it after imports"]
    if r.get("note"):
        notes.append(r["note"])
    return f"{text}  ({'; '.join(notes)})"


if __name__ == "__main__":
    main()

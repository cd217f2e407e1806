"""Prometheus metrics of one process: updates, handler latency, pushes, 429s and late timers.

Each Application gets a registry of its own (not the client's global one), so tests can build
many applications in one process. Webhook mode serves `/metrics` on its web server; with
BACKCOACH_METRICS_PORT set, a small side server answers `/metrics` and `/healthz` in any mode
(polling has no web server of its own, and container health checks need one).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import TimeoutError as FutureTimeout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from telegram import Update
from telegram.ext import BaseUpdateProcessor, CallbackContext

log = logging.getLogger(__name__)

METRICS_KEY = "metrics"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
LATENESS_BUCKETS = (0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A timer that fires this much after its due time counts as late.
LATE_AFTER_S = 1.0
HEALTH_TIMEOUT_S = 5.0


def update_kind(update: object) -> str:
    """The update's type as Telegram names it (message, callback_query, ...), else "other"."""
    if isinstance(update, Update):
        for kind in Update.ALL_TYPES:
            if getattr(update, kind, None) is not None:
                return kind
    return "other"


class Metrics:
    """The counters and histograms of one bot process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "backcoach_updates", "Updates handled, by update type", ["kind"], registry=r
        )
        self.update_seconds = Histogram(
            "backcoach_update_seconds",
            "Time to handle one update, from receipt to the last reply",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.handler_errors = Counter(
            "backcoach_handler_errors", "Updates whose handler raised", registry=r
        )
        self.pushes = Counter(
            "backcoach_pushes",
            "Morning pushes and reminders by outcome (sent, blocked, failed, unknown, dropped)",
            ["kind", "outcome"],
            registry=r,
        )
        self.push_retries = Counter(
            "backcoach_push_retries", "Extra attempts needed to send pushes", registry=r
        )
        self.telegram_429 = Counter(
            "backcoach_telegram_429", "Too Many Requests answers from Telegram", registry=r
        )
        self.send_wait = Histogram(
            "backcoach_send_budget_wait_seconds",
            "How long a message waited for the shared send budget",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.timers_late = Counter(
            "backcoach_timers_late",
            f"Timers that fired over {LATE_AFTER_S:g} s late, or were dropped as too late",
            ["kind"],
            registry=r,
        )
        self.timer_lateness = Histogram(
            "backcoach_timer_lateness_seconds",
            "How long after its due time a timer fired",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=r,
        )

    # ------------------------------------------------------------------ recording

    def update_handled(self, update: object, seconds: float) -> None:
        """One update went through the handlers in `seconds`."""
        kind = update_kind(update)
        self.updates.labels(kind).inc()
        self.update_seconds.labels(kind).observe(seconds)

    async def timed(self, update: object, work: Awaitable[Any]) -> None:
        """Await the handling of `update` and record it, whether it succeeds or not."""
        start = time.perf_counter()
        try:
            await work
        finally:
            self.update_handled(update, time.perf_counter() - start)

    def push_result(self, kind: str, outcome: str, attempts: int) -> None:
        """How one push send ended, and how many attempts it took."""
        self.pushes.labels(kind, outcome).inc()
        if attempts > 1:
            self.push_retries.inc(attempts - 1)

    def pushes_dropped(self, count: int) -> None:
        """Pushes claimed too late to send (past their window): late timers, never sent."""
        if count:
            self.pushes.labels("morning", "dropped").inc(count)
            self.timers_late.labels("push").inc(count)

    def timer_fired(self, kind: str, lateness: float) -> None:
        """A timer (the push tick, a hold timer ...) fired `lateness` seconds after it was due."""
        lateness = max(0.0, lateness)
        self.timer_lateness.labels(kind).observe(lateness)
        if lateness > LATE_AFTER_S:
            self.timers_late.labels(kind).inc()

    content_type = CONTENT_TYPE_LATEST

    def text(self) -> bytes:
        """Everything, in the Prometheus text format."""
        return generate_latest(self.registry)


def metrics_of(bot_data: dict[str, Any]) -> Metrics:
    """The process's Metrics, kept in the Application's bot_data."""
    found = bot_data.get(METRICS_KEY)
    if not isinstance(found, Metrics):
        found = bot_data[METRICS_KEY] = Metrics()
    return found


async def count_error(_update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Error handler: count the failure (basic.on_error logs it and tells the user)."""
    metrics_of(context.application.bot_data).handler_errors.inc()


class TimedUpdates(BaseUpdateProcessor):
    """PTB's update processor (polling mode), recording each update's handling time."""

    def __init__(self, metrics: Metrics, max_concurrent_updates: int = 1) -> None:
        super().__init__(max_concurrent_updates)
        self.metrics = metrics

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update and record how long it took."""
        await self.metrics.timed(update, coroutine)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class SideServer:
    """`/metrics` and `/healthz` on a port of their own, served from a thread.

    The health check runs on the bot's event loop, so it fails both when the database does not
    answer and when the loop is stuck.
    """

    def __init__(
        self,
        metrics: Metrics,
        healthy: Callable[[], Awaitable[bool]],
        loop: asyncio.AbstractEventLoop,
        host: str,
        port: int,
    ) -> None:
        side = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    self._answer(200, side.metrics.text(), CONTENT_TYPE_LATEST)
                elif self.path == "/healthz":
                    ok = side.check()
                    body = b'{"database": "ok"}' if ok else b'{"database": "down"}'
                    self._answer(200 if ok else 503, body, "application/json")
                else:
                    self._answer(404, b"not found", "text/plain")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                """No access log (see the webhook server)."""

        self.metrics = metrics
        self.healthy = healthy
        self.loop = loop
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="metrics-http", daemon=True
        )

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        return int(self.server.server_address[1])

    def check(self) -> bool:
        """Run the health check on the bot's loop and wait a bounded time for it."""
        try:
            future = asyncio.run_coroutine_threadsafe(_as_coroutine(self.healthy), self.loop)
            return bool(future.result(timeout=HEALTH_TIMEOUT_S))
        except (FutureTimeout, RuntimeError):
            return False

    def start(self) -> SideServer:
        """Serve in the background."""
        self.thread.start()
        log.info("metrics and health on port %s", self.port)
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


async def _as_coroutine(check: Callable[[], Awaitable[bool]]) -> bool:
    return await check()

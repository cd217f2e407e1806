"""The fan-out engine behind the push tick: group-committed claims, bounded sends, batched records.

Transport-agnostic: the caller passes `claim`, `send` and `record`; this module only decides
how many requests are in flight and how the database round trips are grouped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
J = TypeVar("J")
O = TypeVar("O")  # noqa: E741


class Batcher(Generic[T, R]):
    """Group commit: each caller submits one item; one `flush` serves everyone waiting.

    While a flush runs, new submissions queue up and go together in the next one, so the
    number of transactions follows the database's speed, not the number of items.
    """

    def __init__(
        self,
        flush: Callable[[list[T]], Awaitable[Sequence[R]]],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
    ) -> None:
        self._flush = flush
        self._spawn = spawn
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._draining = False

    async def submit(self, item: T) -> R:
        """Queue `item` and wait for the flush that handles it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if not self._draining:
            self._draining = True
            self._spawn(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._draining = False


class Pacer:
    """A token bucket: `rate` tokens a second, at most a tenth of a second's worth saved up."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        # A small burst keeps any one second near `rate` (Telegram counts per second).
        self.capacity = max(1.0, rate / 10)
        self._tokens = self.capacity
        self._stamp: float | None = None

    def _refill(self, now: float) -> None:
        if self._stamp is not None:
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def take(self, wanted: int) -> int:
        """Wait for at least one token; take up to `wanted` and say how many."""
        loop = asyncio.get_running_loop()
        while True:
            self._refill(loop.time())
            if self._tokens >= 1:
                granted = min(wanted, int(self._tokens))
                self._tokens -= granted
                return granted
            await asyncio.sleep((1 - self._tokens) / self.rate)

    def refund(self, count: int) -> None:
        """Give back tokens that were taken but not used."""
        self._tokens = min(self.capacity, self._tokens + count)


class _Claimer(Generic[J]):
    """Hands claimed jobs to waiting workers, claiming only as many as the pace allows."""

    def __init__(
        self,
        claim: Callable[[int], Awaitable[Sequence[J]]],
        pacer: Pacer | None,
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
    ) -> None:
        self._claim = claim
        self._pacer = pacer
        self._spawn = spawn
        self._waiting: deque[asyncio.Future[J | None]] = deque()
        self._draining = False
        self.drained = False

    async def next(self) -> J | None:
        """The next job for this worker, or None once nothing more is due."""
        if self.drained:
            return None
        future: asyncio.Future[J | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        if not self._draining:
            self._draining = True
            self._spawn(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting and not self.drained:
                wanted = len(self._waiting)
                granted = await self._pacer.take(wanted) if self._pacer else wanted
                jobs = list(await self._claim(granted))
                if self._pacer is not None:
                    self._pacer.refund(granted - len(jobs))
                if len(jobs) < granted:
                    # Nothing else is due right now: idle workers stop instead of asking again.
                    self.drained = True
                for job in jobs:
                    self._waiting.popleft().set_result(job)
        except Exception as exc:
            while self._waiting:
                self._waiting.popleft().set_exception(exc)
        finally:
            while self.drained and self._waiting:
                self._waiting.popleft().set_result(None)
            self._draining = False


async def fan_out(
    claim: Callable[[int], Awaitable[Sequence[J]]],
    send: Callable[[J], Awaitable[O]],
    record: Callable[[list[tuple[J, O]]], Awaitable[None]],
    *,
    workers: int,
    keep_going: Callable[[], bool] = lambda: True,
    pacer: Pacer | None = None,
) -> None:
    """Claim, send and record jobs with at most `workers` sends in flight, until none is due.

    A job is claimed only when a worker is free to send it at once and the pacer (the send
    rate) allows, so what the database marks as "sending" is really on its way rather than
    queued in front of the rate limiter. `keep_going` returning False stops new claims;
    sends already in flight finish and are recorded. A database error stops the claims too,
    lets the sends in flight finish, and is raised at the end.
    """
    failures: list[Exception] = []

    async def record_flush(results: list[tuple[J, O]]) -> list[None]:
        await record(results)
        return [None] * len(results)

    async with asyncio.TaskGroup() as group:
        claims: _Claimer[J] = _Claimer(claim, pacer, group.create_task)
        records: Batcher[tuple[J, O], None] = Batcher(record_flush, group.create_task)

        async def worker() -> None:
            while keep_going() and not failures:
                try:
                    job = await claims.next()
                except Exception as exc:
                    failures.append(exc)
                    return
                if job is None:
                    return
                outcome = await send(job)
                try:
                    await records.submit((job, outcome))
                except Exception as exc:
                    failures.append(exc)
                    return

        for _ in range(max(1, workers)):
            group.create_task(worker())
    if failures:
        # Rather than cancel the other sends mid-flight (leaving them in doubt), raise now.
        raise failures[0]

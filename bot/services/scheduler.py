"""The fan-out engine behind the push tick: group-committed claims, bounded sends, batched records.

Transport-agnostic: the caller passes `claim`, `send` and `record`; this module only decides
how many requests are in flight and how the database round trips are grouped.
"""

from __future__ import annotations

import asyncio
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
    """Spaces events `1/rate` seconds apart, allowing a burst of one second's worth after a lull."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.burst = max(1.0, rate)
        self._next = float("-inf")

    async def wait(self) -> None:
        """Return when the next event may happen."""
        now = asyncio.get_running_loop().time()
        # Virtual scheduling: each event books the next free slot; a lull frees a burst.
        slot = max(self._next, now - (self.burst - 1) * self.interval)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


async def fan_out(
    claim: Callable[[int], Awaitable[Sequence[J]]],
    send: Callable[[J], Awaitable[O]],
    record: Callable[[list[tuple[J, O]]], Awaitable[None]],
    *,
    workers: int,
    keep_going: Callable[[], bool] = lambda: True,
    pace: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Claim, send and record jobs with at most `workers` sends in flight, until none is due.

    A job is claimed only when a worker is free to send it at once and `pace` (the send rate)
    allows, so what the database marks as "sending" is what is really on its way rather than
    a queue in front of the rate limiter. `keep_going` returning False stops new claims;
    sends already in flight finish and are recorded.
    """
    async with asyncio.TaskGroup() as group:

        async def claim_flush(requests: list[None]) -> list[J | None]:
            jobs: list[J | None] = list(await claim(len(requests)))
            return jobs + [None] * (len(requests) - len(jobs))

        async def record_flush(results: list[tuple[J, O]]) -> list[None]:
            await record(results)
            return [None] * len(results)

        claims: Batcher[None, J | None] = Batcher(claim_flush, group.create_task)
        records: Batcher[tuple[J, O], None] = Batcher(record_flush, group.create_task)

        async def worker() -> None:
            while keep_going():
                if pace is not None:
                    await pace()
                job = await claims.submit(None)
                if job is None:
                    return
                outcome = await send(job)
                await records.submit((job, outcome))

        for _ in range(max(1, workers)):
            group.create_task(worker())

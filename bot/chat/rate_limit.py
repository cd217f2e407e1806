"""The bot's rate limiter: every request to a chat waits for the shared send budget.

PTB's AIORateLimiter stays inside for what it does well (per-group pacing, waiting out a 429
and retrying); the overall pace comes from the budget, which all workers share on PostgreSQL.
Each attempt is charged, retries included, and a 429 moves every worker's next slot past
Telegram's retry_after.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot.chat.metrics import Metrics
from bot.config import Settings
from bot.services.send_budget import SendBudget, build_budget

Result = bool | dict[str, Any] | list[dict[str, Any]]
# Retries after a 429 (AIORateLimiter retries nothing unless told to).
MAX_RETRIES = 3


class BudgetedRateLimiter(BaseRateLimiter[int]):
    """AIORateLimiter behind the send budget, counting 429s."""

    def __init__(self, inner: AIORateLimiter, budget: SendBudget, metrics: Metrics) -> None:
        self.inner = inner
        self.budget = budget
        self.metrics = metrics

    async def initialize(self) -> None:
        """Initialise the inner limiter."""
        await self.inner.initialize()

    async def shutdown(self) -> None:
        """Shut the inner limiter down and release the budget's connections."""
        await self.inner.shutdown()
        await self.budget.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Charge the budget for a request to a chat, then let AIORateLimiter run it."""
        budget = self.budget
        # Like AIORateLimiter's overall limit: what goes to a chat counts, edits included;
        # answering a button press or setting commands does not.
        charged = data.get("chat_id") is not None and not data.get("allow_paid_broadcast", False)

        async def attempt(*a: Any, **kw: Any) -> Result:
            if charged:
                self.metrics.send_wait.observe(await budget.acquire())
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                self.metrics.telegram_429.inc()
                await budget.hold(_seconds(exc.retry_after))
                raise

        return await self.inner.process_request(
            attempt, args, kwargs, endpoint, data, rate_limit_args
        )


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def build_rate_limiter(settings: Settings, token: str, metrics: Metrics) -> BudgetedRateLimiter:
    """AIORateLimiter for 429s and groups, behind the send budget (shared on PostgreSQL)."""
    budget = build_budget(
        settings.database_url,
        settings.push_rate,
        settings.send_burst,
        # Keyed by the bot's id, so two bots on one database keep separate budgets.
        name=f"bot{token.split(':', 1)[0]}",
    )
    # overall_max_rate=0: the budget sets the overall pace, for every worker together.
    return BudgetedRateLimiter(
        AIORateLimiter(overall_max_rate=0, max_retries=MAX_RETRIES), budget, metrics
    )

"""Bounded waits for things another task, thread or process will make true."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def until(check: Callable[[], T], *, within: float = 2.0, step: float = 0.01) -> T:
    """Poll `check` until it returns something truthy; AssertionError after `within` s."""
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s: {check}")
        await asyncio.sleep(step)
    return result


def until_sync(check: Callable[[], T], *, within: float = 2.0, step: float = 0.01) -> T:
    """`until` for sync tests."""
    deadline = time.monotonic() + within
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {within} s: {check}")
        time.sleep(step)
    return result

"""Fixtures of the end-to-end tests: the HTTP Bot API server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.http_botapi import BotApiServer, serve_botapi


@pytest.fixture
def botapi() -> Iterator[BotApiServer]:
    """Telegram over real HTTP, in a background thread."""
    with serve_botapi() as server:
        yield server

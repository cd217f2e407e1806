"""Logging never carries the token: quiet httpx, and redaction as a last line of defence."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import setup_logging

TOKEN = "123456789:AAH-secret-token-for-the-log-test"


@pytest.fixture
def captured() -> io.StringIO:
    stream = io.StringIO()
    setup_logging("INFO", [TOKEN])
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    return stream


def test_httpx_request_lines_are_not_logged_at_info(captured: io.StringIO) -> None:
    logging.getLogger("httpx").info(
        "HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN
    )
    assert captured.getvalue() == ""


def test_a_token_that_slips_into_a_message_is_redacted(captured: io.StringIO) -> None:
    logging.getLogger("bot.somewhere").warning("calling https://x/bot%s/sendMessage", TOKEN)
    assert TOKEN not in captured.getvalue()
    assert "***" in captured.getvalue()


def test_a_token_inside_a_traceback_is_redacted(captured: io.StringIO) -> None:
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/getUpdates")
    except RuntimeError:
        logging.getLogger("bot").exception("update failed")
    assert "RuntimeError" in captured.getvalue()
    assert TOKEN not in captured.getvalue()

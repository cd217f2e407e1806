"""Inline keyboards from rows of (label, callback data), with Telegram's 64-byte limit checked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_CALLBACK_BYTES = 64

Button = tuple[str, str]


def keyboard(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    """An inline keyboard; callback data longer than Telegram allows is a programming error."""
    built = []
    for row in rows:
        for _label, data in row:
            if len(data.encode()) > MAX_CALLBACK_BYTES:
                raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        built.append([InlineKeyboardButton(label, callback_data=data) for label, data in row])
    return InlineKeyboardMarkup(built)


def chunked(buttons: Sequence[Button], width: int) -> list[list[Button]]:
    """Buttons laid out `width` to a row."""
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]

"""Telegram's wire format: the JSON envelope, errors, and parameters as they arrive."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

JSON: TypeAlias = dict[str, Any]

# Telegram's URL shapes: <base>/bot<token>/<method> and <base>/file/bot<token>/<file_path>.
URL_PATH: Final = re.compile(r"/(?P<file>file/)?bot(?P<token>[^/]+)/(?P<rest>.+)$")

# Form and multipart bodies carry every value as a string; these names get typed back.
_INT_PARAMS: Final = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "max_connections",
        "reply_to_message_id",
        "message_thread_id",
        "duration",
        "cache_time",
    }
)
_FLOAT_PARAMS: Final = frozenset({"timeout", "latitude", "longitude"})
_BOOL_PARAMS: Final = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
    }
)
_JSON_PARAMS: Final = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "link_preview_options",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
    }
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the bot uploaded in a multipart request, or a user sent."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """An HTTP status with Telegram's JSON envelope."""

    status: int
    body: JSON

    @property
    def payload(self) -> bytes:
        """The envelope as the UTF-8 JSON Telegram sends."""
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


class ApiError(Exception):
    """A Bot API error; becomes Telegram's {"ok": false, ...} envelope."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> ApiResponse:
        """The envelope Telegram answers this error with."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return ApiResponse(self.code, body)


NOT_FOUND: Final = ApiError(404, "Not Found").response()


class ConnectionDropped(Exception):
    """The connection closes before any answer: the call was not applied (a network fault)."""


def _decode_value(name: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            # A chat_id may be a "@channelusername"; other int fields fail later as invalid.
            return value
    if name in _FLOAT_PARAMS:
        try:
            return float(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from None
    if name in _BOOL_PARAMS:
        return value.lower() in {"true", "1"}
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


def decode_params(params: Mapping[str, object], files: Mapping[str, Upload]) -> JSON:
    """Typed parameters from a JSON, form or multipart request; uploads under their part names."""
    decoded: JSON = {k: _decode_value(k, v) for k, v in params.items() if v is not None}
    decoded.update(files)
    return decoded


def int_param(p: JSON, name: str, default: int) -> int:
    """An integer parameter, or 400 as Telegram answers a malformed one."""
    value = p.get(name, default)
    if not isinstance(value, int):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    return value

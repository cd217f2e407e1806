"""A PTB `BaseRequest` that answers from a `MemoryBotApi` in-process, with no network."""

from __future__ import annotations

import asyncio
from typing import IO
from urllib.parse import parse_qsl, unquote, urlsplit

from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.chat.offline.botapi import MemoryBotApi
from bot.chat.offline.wire import NOT_FOUND, URL_PATH, ConnectionDropped, Upload


def _content(data: bytes | IO[bytes]) -> bytes:
    return data if isinstance(data, bytes) else data.read()


class MemoryRequest(BaseRequest):
    """Routes a `telegram.Bot`'s requests to a `MemoryBotApi`, as if over HTTP.

    Parameters go through PTB's own wire encoding (JSON-encoded strings and multipart
    files), so the fake sees what Telegram would. Error answers keep their HTTP status,
    so PTB raises its real exceptions (BadRequest, Forbidden, RetryAfter, ...); an answer
    slower than the read timeout raises TimedOut, a dropped connection NetworkError.
    """

    __slots__ = ("_api", "_closed", "_read_timeout")

    def __init__(self, api: MemoryBotApi, *, read_timeout: float | None = 5.0) -> None:
        self._api = api
        self._read_timeout = read_timeout
        self._closed = False

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (long polls add their own `timeout`)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open for requests (PTB re-initializes after a shutdown)."""
        self._closed = False

    async def shutdown(self) -> None:
        """Refuse further requests, like a closed HTTP client."""
        self._closed = True

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one request from the in-memory API as (HTTP status, body)."""
        if self._closed:
            raise RuntimeError("This MemoryRequest is not initialized!")
        parts = urlsplit(url)
        # File URLs arrive percent-encoded (the token's colon too).
        match = URL_PATH.search(unquote(parts.path))
        if match is None:
            return NOT_FOUND.status, NOT_FOUND.payload
        timeout = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        try:
            async with asyncio.timeout(timeout):
                if match["file"]:
                    return self._download(match["token"], match["rest"])
                params: dict[str, object] = dict(parse_qsl(parts.query))
                files: dict[str, Upload] = {}
                if request_data is not None:
                    params.update(request_data.json_parameters)
                    files = {
                        name: Upload(filename, _content(data), mime_type)
                        for name, (filename, data, mime_type) in (
                            request_data.multipart_data.items()
                        )
                    }
                response = await self._api.handle(match["token"], match["rest"], params, files)
        except TimeoutError:
            raise TimedOut from None
        except ConnectionDropped:
            # As PTB's HTTP client words it, without the httpx error underneath.
            raise NetworkError("Server disconnected without sending a response") from None
        return response.status, response.payload

    def _download(self, token: str, file_path: str) -> tuple[int, bytes]:
        content = self._api.file_content(file_path) if token == self._api.token else None
        if content is None:
            return NOT_FOUND.status, NOT_FOUND.payload
        return 200, content

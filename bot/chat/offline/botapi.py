"""An in-memory Telegram Bot API with the semantics BackCoach relies on.

One `MemoryBotApi` is shared by the offline shell, the handler tests (through
`MemoryRequest`) and the HTTP fake. It answers with Telegram's JSON shapes and error
envelopes, keeps chats and messages, queues updates for getUpdates or a webhook, and
logs every call so a test can read what the bot did. It is thread-safe: the HTTP fake
may serve it from its own thread and event loop while a test injects updates.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, TypeVar

from bot.chat.offline.wire import (
    JSON,
    ApiError,
    ApiResponse,
    ConnectionDropped,
    Upload,
    decode_params,
    int_param,
)

# 400 is "message is not modified" (meant for edits); "network" drops the connection unanswered.
FaultKind: TypeAlias = Literal[429, 500, 502, 403, 400, "slow", "network"]
UserMedia: TypeAlias = Literal["sticker", "photo", "voice", "location"]
_T = TypeVar("_T")

DEFAULT_TOKEN: Final = "5550001234:offline-backcoach-token"
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
NO_ANSWER: Final = 0  # the error_code of a call whose connection dropped without an answer
BLOCKED: Final = "Forbidden: bot was blocked by the user"
WEBHOOK_ACTIVE: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_TERMINATED: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Update types Telegram delivers only when asked for by name in allowed_updates.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MAX_TEXT: Final = 4096
_MAX_CAPTION: Final = 1024
_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where and how Telegram should deliver updates once setWebhook was called."""

    url: str
    secret_token: str | None
    max_connections: int


@dataclass(slots=True)
class ApiCall:
    """One call the bot made: decoded params (uploads as `Upload`), when, and how it ended."""

    method: str
    params: JSON
    at: float
    error_code: int | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        """Whether Telegram answered ok (false while a long poll is still open, too)."""
        return self.error_code is None and self.result is not None


@dataclass(frozen=True, slots=True)
class Fault:
    """What goes wrong with one call: `retry_after` is for 429, `delay` for "slow"."""

    kind: FaultKind
    retry_after: int = 1
    delay: float = 1.0


@dataclass(slots=True)
class _Scripted:
    method: str | None
    fault: Fault
    remaining: int


@dataclass(frozen=True, slots=True)
class _Described:
    """A result that Telegram sends with a `description` (the webhook methods do)."""

    value: Any
    description: str


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    upload: Upload = field(repr=False)


def _png_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG (charts are PNG); 0x0 when the format is unknown."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 0, 0


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, as Telegram does."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JSON]:
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class MemoryBotApi:
    """Telegram's Bot API in memory: state, update queue, call log and fault injection."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        first_name: str = "BackCoach",
        username: str = "backcoach_bot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        # Telegram bot ids are the digits before the colon in the token.
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self._clock = clock
        self._lock = threading.RLock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._poll_epoch = 0
        self._release_epoch = 0
        # Ids keep counting across resets, so a late webhook ack can never hit a new update.
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._file_numbers = itertools.count(1)
        self._handlers: dict[str, Callable[[JSON], object]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendVoice": self._send_voice,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": lambda _p: True,
            "logOut": lambda _p: True,
        }
        # Telegram method names are case-insensitive.
        self._method_names = {name.lower(): name for name in [*self._handlers, "getUpdates"]}
        self._clear()

    def _clear(self) -> None:
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._messages: defaultdict[int, dict[int, JSON]] = defaultdict(dict)
        self._last_message_id: dict[int, int] = {}
        self._reply_keyboards: dict[int, list[str]] = {}
        self._blocked: set[int] = set()
        self._open_queries: set[str] = set()
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._queue: list[JSON] = []
        self._allowed_updates: frozenset[str] | None = None
        self._webhook: Webhook | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._calls: list[ApiCall] = []
        self._faults: list[_Scripted] = []
        self._fault_source: Callable[[str], Fault | None] | None = None

    def reset(self) -> None:
        """Forget every chat, update, call, fault and setting; open long polls end now."""
        with self._lock:
            self._clear()
            self._release_epoch += 1
            self._changed()

    # ----------------------------------------------------------------- the bot's side

    async def handle(
        self,
        token: str,
        method: str,
        params: Mapping[str, object] | None = None,
        files: Mapping[str, Upload] | None = None,
    ) -> ApiResponse:
        """Answer a request to /bot<token>/<method>; a wrong token gets 401 Unauthorized."""
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        return await self.call(method, params, files)

    async def call(
        self,
        method: str,
        params: Mapping[str, object] | None = None,
        files: Mapping[str, Upload] | None = None,
    ) -> ApiResponse:
        """Run one Bot API method. Values may be typed or strings as in a form body."""
        name = self._method_names.get(method.lower())
        record = ApiCall(method=name or method, params={}, at=time.monotonic())
        with self._lock:
            self._calls.append(record)
        # A real round trip always yields to the event loop; so does this one.
        await asyncio.sleep(0)
        fault: Fault | None = None
        outcome: object
        try:
            if name is None:
                raise ApiError(404, "Not Found")
            record.params = decode_params(params or {}, files or {})
            with self._lock:
                fault = self._take_fault(name)
                if name != "getUpdates":
                    outcome = self._handlers[name](record.params)
            if name == "getUpdates":
                outcome = await self._get_updates(record.params)
        except ApiError as exc:
            outcome = exc
        except ConnectionDropped:
            record.error_code = NO_ANSWER
            raise
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.kind == 400:
            outcome = ApiError(400, NOT_MODIFIED)  # the edit is made: it "was" already so
        return self._finish(record, outcome)

    def _finish(self, record: ApiCall, outcome: object) -> ApiResponse:
        if isinstance(outcome, ApiError):
            record.error_code = outcome.code
            return outcome.response()
        body: JSON = {"ok": True}
        if isinstance(outcome, _Described):
            body["result"] = outcome.value
            body["description"] = outcome.description
        else:
            body["result"] = outcome
        record.result = body["result"]
        return ApiResponse(200, body)

    def file_content(self, file_path: str) -> bytes | None:
        """Bytes behind a getFile path (served at /file/bot<token>/<path>), if any."""
        with self._lock:
            stored = self._file_paths.get(file_path)
            return stored.upload.content if stored else None

    # ------------------------------------------------------------------- faults

    def inject_fault(
        self,
        method: str | None,
        kind: FaultKind,
        *,
        times: int = 1,
        retry_after: int = 1,
        delay: float = 1.0,
    ) -> None:
        """Make the next `times` calls of `method` fail (or answer late, for "slow").

        `method=None` matches any method except getUpdates, so a running poller cannot
        swallow a fault meant for a send. Every kind but "slow" and 400 fails before the call
        is applied; 400 answers "message is not modified" after applying it, as Telegram
        does when the message already shows what the edit asks for.
        """
        if kind not in (429, 500, 502, 403, 400, "slow", "network"):
            raise ValueError(f"unknown fault kind {kind!r}")
        canonical = None
        if method is not None:
            canonical = self._method_names.get(method.lower())
            if canonical is None:
                raise ValueError(f"{method!r} is not a method this fake implements")
        with self._lock:
            self._faults.append(_Scripted(canonical, Fault(kind, retry_after, delay), times))

    def set_fault_source(self, source: Callable[[str], Fault | None] | None) -> None:
        """Ask `source(method)`, under the fake's lock, for a fault on every call (getUpdates
        aside) that no injected fault matched; None ends that."""
        with self._lock:
            self._fault_source = source

    def _take_fault(self, method: str) -> Fault | None:
        """Consume the first fault matching `method`; raise it, or return it ("slow", 400)."""
        fault: Fault | None = None
        for scripted in self._faults:
            if scripted.method == method or (scripted.method is None and method != "getUpdates"):
                scripted.remaining -= 1
                if scripted.remaining <= 0:
                    self._faults.remove(scripted)
                fault = scripted.fault
                break
        else:
            if self._fault_source is not None and method != "getUpdates":
                fault = self._fault_source(method)
        if fault is None or fault.kind in ("slow", 400):
            return fault
        if fault.kind == 429:
            raise ApiError(
                429,
                f"Too Many Requests: retry after {fault.retry_after}",
                retry_after=fault.retry_after,
            )
        if fault.kind == 403:
            raise ApiError(403, BLOCKED)
        if fault.kind == 500:
            raise ApiError(500, "Internal Server Error")
        if fault.kind == 502:
            raise ApiError(502, "Bad Gateway")
        raise ConnectionDropped

    # -------------------------------------------------------------- updates

    async def _wait_until(self, check: Callable[[], _T | None], within: float) -> _T | None:
        """Re-run `check` (under the lock) on every state change until it answers or time's up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            with self._lock:
                found = check()
                remaining = deadline - loop.time()
                if found is not None or remaining <= 0:
                    return found
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, waiter))
            try:
                await asyncio.wait((waiter,), timeout=remaining)
            finally:
                with self._lock:
                    if (loop, waiter) in self._waiters:
                        self._waiters.remove((loop, waiter))
                waiter.cancel()

    def _changed(self) -> None:
        """Wake every waiter, on whichever loop or thread it waits (caller holds the lock)."""
        for loop, waiter in self._waiters:
            try:
                loop.call_soon_threadsafe(_wake, waiter)
            except RuntimeError:
                # That waiter's loop is already closed; nobody is left to wake.
                continue
        self._waiters.clear()

    async def _get_updates(self, p: JSON) -> list[JSON]:
        with self._lock:
            if self._webhook is not None:
                raise ApiError(409, WEBHOOK_ACTIVE)
            if "allowed_updates" in p:
                self._set_allowed_updates(p["allowed_updates"])
            self._confirm(int_param(p, "offset", 0))
            limit = max(1, min(100, int_param(p, "limit", 100)))
            timeout = max(0.0, float(p.get("timeout", 0)))
            # A newer getUpdates ends the one still waiting, as on Telegram.
            self._poll_epoch += 1
            epoch, release = self._poll_epoch, self._release_epoch
            self._changed()

        def check() -> list[JSON] | None:
            if self._poll_epoch != epoch:
                raise ApiError(409, POLL_TERMINATED)
            if self._queue or self._release_epoch != release:
                return copy.deepcopy(self._queue[:limit])
            return None

        return await self._wait_until(check, timeout) or []

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        elif offset < 0:
            # A negative offset keeps the last -offset updates and forgets the rest.
            self._queue = self._queue[offset:]

    def _set_allowed_updates(self, allowed: object) -> None:
        if not isinstance(allowed, list):
            raise ApiError(400, "Bad Request: can't parse allowed_updates JSON object")
        self._allowed_updates = frozenset(str(kind) for kind in allowed) or None

    def _wanted(self, kind: str) -> bool:
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    def _enqueue(self, kind: str, payload: JSON) -> JSON:
        with self._lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            if self._wanted(kind):
                self._queue.append(update)
                self._changed()
            return copy.deepcopy(update)

    def interrupt_long_polls(self) -> None:
        """End every waiting getUpdates now (with what is queued), e.g. before a server stops."""
        with self._lock:
            self._release_epoch += 1
            self._changed()

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed (by offset or webhook delivery)."""
        with self._lock:
            return copy.deepcopy(self._queue)

    # -------------------------------------------------------------- webhook delivery

    async def next_webhook_update(self, within: float) -> tuple[Webhook, JSON] | None:
        """Wait up to `within` s for the oldest queued update while a webhook is set."""

        def check() -> tuple[Webhook, JSON] | None:
            if self._webhook is not None and self._queue:
                return self._webhook, copy.deepcopy(self._queue[0])
            return None

        return await self._wait_until(check, within)

    def ack_webhook_update(self, update_id: int) -> None:
        """Drop an update from the queue: delivered, or given up on."""
        with self._lock:
            self._queue = [u for u in self._queue if u["update_id"] != update_id]

    def note_webhook_error(self, message: str) -> None:
        """Record a failed delivery as getWebhookInfo's last_error_date/last_error_message."""
        with self._lock:
            self._webhook_error = (int(self._clock()), message)

    @property
    def webhook(self) -> Webhook | None:
        """The webhook set by the bot, if any."""
        with self._lock:
            return self._webhook

    # -------------------------------------------------------------- the user's side

    def add_user(self, user_id: int, *, first_name: str = "Ann") -> JSON:
        """Register a user and their private chat, as if they had started the bot earlier."""
        with self._lock:
            user: JSON = {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name,
                "language_code": "en",
            }
            self._users[user_id] = user
            self._chats.setdefault(
                user_id, {"id": user_id, "type": "private", "first_name": first_name}
            )
            self._chats[user_id]["first_name"] = first_name
            return copy.deepcopy(user)

    def user_says(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str | None = None,
        chat_id: int | None = None,
        chat_type: Literal["private", "group", "supergroup"] = "private",
        title: str = "Back club",
    ) -> JSON:
        """Queue a text message from a user (commands get a bot_command entity).

        `first_name` names a new user "Ann" unless given; a known user keeps their name.
        """
        with self._lock:
            message = self._user_message(user_id, first_name, chat_id, chat_type, title, text=text)
            if entities := _command_entities(text):
                message["entities"] = entities
            return self._store_and_enqueue(message)

    def group_message(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        first_name: str | None = None,
        title: str = "Back club",
        chat_type: Literal["group", "supergroup"] = "supergroup",
    ) -> JSON:
        """Queue a text message a user posts in a group the bot is in."""
        return self.user_says(
            user_id, text, first_name=first_name, chat_id=chat_id, chat_type=chat_type, title=title
        )

    def user_sends(self, user_id: int, kind: UserMedia, **fields: Any) -> JSON:
        """Queue a sticker, photo, voice or location message; `fields` add to or override it.

        `content=b"..."` sets the bytes behind a photo, voice or sticker (getFile serves them).
        """
        content: bytes = fields.pop("content", b"\x00" * 16)
        body: JSON
        if kind == "location":
            latitude, longitude = fields.pop("latitude", 0.0), fields.pop("longitude", 0.0)
            body = {"location": {"latitude": latitude, "longitude": longitude}}
        elif kind == "photo":
            stored = self._store_file("photos", Upload("photo.jpg", content, "image/jpeg"))
            width, height = _png_size(content)
            size = {**self._file_json(stored), "width": width, "height": height}
            body = {"photo": [size]}
        elif kind == "voice":
            stored = self._store_file("voice", Upload("voice.oga", content, "audio/ogg"))
            body = {
                "voice": {
                    **self._file_json(stored),
                    "duration": fields.pop("duration", 3),
                    "mime_type": "audio/ogg",
                }
            }
        elif kind == "sticker":
            stored = self._store_file("stickers", Upload("sticker.webp", content, "image/webp"))
            body = {
                "sticker": {
                    **self._file_json(stored),
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": fields.pop("emoji", "👍"),
                }
            }
        else:
            raise ValueError(f"unknown message kind {kind!r}")
        with self._lock:
            message = self._user_message(user_id, None, None, "private", "", **body)
            message.update(fields)
            return self._store_and_enqueue(message)

    def user_location(self, user_id: int, lat: float, lon: float) -> JSON:
        """Queue a location a user shares."""
        return self.user_sends(user_id, "location", latitude=lat, longitude=lon)

    def user_presses(self, user_id: int, message_id: int, callback_data: str) -> JSON:
        """Queue a callback query for a button on a bot message in the user's private chat."""
        with self._lock:
            user = self._user(user_id, None)
            message = self._messages.get(user_id, {}).get(message_id)
            if message is None or message["from"]["id"] != self.bot_user["id"]:
                raise LookupError(f"no bot message {message_id} in chat {user_id}")
            if callback_data not in [data for _, data in self.buttons(message)]:
                raise LookupError(f"message {message_id} has no button {callback_data!r}")
            query_id = str(next(self._query_ids))
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": user,
                "message": copy.deepcopy(message),
                "chat_instance": f"-{user_id}",
                "data": callback_data,
            }
            return self._enqueue("callback_query", query)

    def chat_member_update(self, user_id: int, status: Literal["kicked", "member"]) -> JSON:
        """Queue my_chat_member: the user blocked ("kicked") or unblocked ("member") the bot."""
        with self._lock:
            user = self._user(user_id, None)
            if status == "kicked":
                self._blocked.add(user_id)
                old: JSON = {"status": "member", "user": self.bot_user}
                new: JSON = {"status": "kicked", "user": self.bot_user, "until_date": 0}
            else:
                self._blocked.discard(user_id)
                old = {"status": "kicked", "user": self.bot_user, "until_date": 0}
                new = {"status": "member", "user": self.bot_user}
            update = {
                "chat": self._chats[user_id],
                "from": user,
                "date": int(self._clock()),
                "old_chat_member": old,
                "new_chat_member": new,
            }
            return self._enqueue("my_chat_member", copy.deepcopy(update))

    def _user(self, user_id: int, first_name: str | None) -> JSON:
        if user_id not in self._users or first_name is not None:
            self.add_user(user_id, first_name=first_name or "Ann")
        return copy.deepcopy(self._users[user_id])

    def _user_message(
        self,
        user_id: int,
        first_name: str | None,
        chat_id: int | None,
        chat_type: str,
        title: str,
        **content: Any,
    ) -> JSON:
        with self._lock:
            user = self._user(user_id, first_name)
            if chat_type == "private":
                if chat_id not in (None, user_id):
                    raise ValueError("a private chat's id is the user's id")
                chat_id = user_id
            elif chat_id is None or chat_id >= 0:
                raise ValueError("group chats need a negative chat_id")
            else:
                self._chats.setdefault(chat_id, {"id": chat_id, "type": chat_type, "title": title})
            return self._new_message(chat_id, user, content)

    def _store_and_enqueue(self, message: JSON) -> JSON:
        with self._lock:
            self._messages[message["chat"]["id"]][message["message_id"]] = message
            return self._enqueue("message", copy.deepcopy(message))

    def _new_message(self, chat_id: int, sender: JSON, content: JSON) -> JSON:
        """A message dict with the chat's next id; the caller stores it."""
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return {
            "message_id": message_id,
            "from": copy.deepcopy(sender),
            "chat": copy.deepcopy(self._chats[chat_id]),
            "date": int(self._clock()),
            **content,
        }

    # -------------------------------------------------------------- test helpers

    def calls(self, method: str | None = None) -> list[ApiCall]:
        """Every call the bot made, oldest first, optionally only one method's."""
        with self._lock:
            if method is None:
                return list(self._calls)
            name = self._method_names.get(method.lower(), method)
            return [c for c in self._calls if c.method == name]

    def sent_to(self, chat_id: int) -> list[JSON]:
        """The bot's messages in a chat as they are now (after edits, without deleted ones)."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._messages.get(chat_id, {}).values()
                if m["from"]["id"] == self.bot_user["id"]
            ]

    def last_message(self, chat_id: int) -> JSON:
        """The bot's newest message in a chat; LookupError if it has sent none."""
        sent = self.sent_to(chat_id)
        if not sent:
            raise LookupError(f"the bot has no message in chat {chat_id}")
        return sent[-1]

    @staticmethod
    def buttons(message: JSON) -> list[tuple[str, str]]:
        """(label, callback_data) of a message's inline callback buttons, row by row."""
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return [
            (b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b
        ]

    def reply_keyboard(self, chat_id: int) -> list[str]:
        """Labels of the reply keyboard the user currently sees in a chat (empty if none)."""
        with self._lock:
            return list(self._reply_keyboards.get(chat_id, []))

    def file(self, file_id: str) -> Upload:
        """What was uploaded (or sent by a user) under a file_id."""
        with self._lock:
            return self._files[file_id].upload

    def is_blocked(self, user_id: int) -> bool:
        """Whether the user has blocked the bot (see chat_member_update)."""
        with self._lock:
            return user_id in self._blocked

    # -------------------------------------------------------------- method handlers

    def _get_me(self, _p: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _target_chat(self, p: JSON) -> int:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        return chat_id

    @staticmethod
    def _text(p: JSON) -> str:
        text = str(p.get("text", ""))
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > _MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text

    @staticmethod
    def _markup(p: JSON) -> JSON | None:
        markup = p.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _inline_markup(self, p: JSON) -> JSON | None:
        markup = self._markup(p)
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        # An empty inline keyboard is how a bot removes the buttons.
        return markup if markup and markup["inline_keyboard"] else None

    def _reply_to(self, p: JSON, chat_id: int) -> JSON | None:
        parameters = p.get("reply_parameters")
        target = parameters.get("message_id") if isinstance(parameters, dict) else None
        target = target or p.get("reply_to_message_id")
        if target is None:
            return None
        original = self._messages[chat_id].get(target) if isinstance(target, int) else None
        if original is None:
            allow = p.get("allow_sending_without_reply") or (
                isinstance(parameters, dict) and parameters.get("allow_sending_without_reply")
            )
            if allow:
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        # Telegram does not nest a reply's own reply_to_message.
        return copy.deepcopy({k: v for k, v in original.items() if k != "reply_to_message"})

    def _post(self, chat_id: int, p: JSON, content: JSON) -> JSON:
        """Store a bot message (with reply and markup) and return it as Telegram would."""
        markup = self._markup(p)
        reply = self._reply_to(p, chat_id)
        message = self._new_message(chat_id, self.bot_user, content)
        if reply is not None:
            message["reply_to_message"] = reply
        if markup is not None and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        elif markup is not None and "keyboard" in markup:
            self._reply_keyboards[chat_id] = [
                b if isinstance(b, str) else b["text"] for row in markup["keyboard"] for b in row
            ]
        elif markup is not None and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat_id, None)
        self._messages[chat_id][message["message_id"]] = message
        return copy.deepcopy(message)

    def _send_message(self, p: JSON) -> JSON:
        chat_id = self._target_chat(p)
        return self._post(chat_id, p, {"text": self._text(p)})

    def _editable(self, p: JSON) -> JSON:
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: inline messages are not supported by this fake")
        chat_id = self._target_chat(p)
        message_id = p.get("message_id")
        if not isinstance(message_id, int):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages[chat_id].get(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JSON, markup: JSON | None) -> JSON:
        # Leaving reply_markup out of an edit removes the keyboard, as on Telegram.
        if markup is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = markup
        message["edit_date"] = int(self._clock())
        return copy.deepcopy(message)

    def _edit_message_text(self, p: JSON) -> JSON:
        message = self._editable(p)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, markup = self._text(p), self._inline_markup(p)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        message["text"] = text
        return self._apply_edit(message, markup)

    def _edit_message_reply_markup(self, p: JSON) -> JSON:
        message = self._editable(p)
        markup = self._inline_markup(p)
        if markup == message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(message, markup)

    def _delete_message(self, p: JSON) -> bool:
        chat_id = self._target_chat(p)
        message_id = p.get("message_id")
        if not isinstance(message_id, int) or self._messages[chat_id].pop(message_id, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, p: JSON) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.remove(query_id)
        return True

    def _send_chat_action(self, p: JSON) -> bool:
        self._target_chat(p)
        if not p.get("action"):
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    # -------------------------------------------------------------- files

    def _store_file(self, folder: str, upload: Upload) -> _StoredFile:
        number = next(self._file_numbers)
        suffix = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else "bin"
        stored = _StoredFile(
            file_id=f"{folder}-{number}",
            file_unique_id=f"u{number}",
            file_path=f"{folder}/file_{number}.{suffix}",
            upload=upload,
        )
        with self._lock:
            self._files[stored.file_id] = stored
            self._file_paths[stored.file_path] = stored
        return stored

    @staticmethod
    def _file_json(stored: _StoredFile) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.upload.content),
        }

    def _input_file(self, p: JSON, name: str, folder: str) -> _StoredFile:
        """Resolve a file parameter: an upload, an attach:// part or a known file_id."""
        value = p.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value.removeprefix("attach://"))
        if isinstance(value, Upload):
            return self._store_file(folder, value)
        if value is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _caption(self, p: JSON) -> JSON:
        caption = p.get("caption")
        if caption is None:
            return {}
        if len(str(caption)) > _MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return {"caption": str(caption)}

    def _send_photo(self, p: JSON) -> JSON:
        chat_id = self._target_chat(p)
        stored = self._input_file(p, "photo", "photos")
        width, height = _png_size(stored.upload.content)
        size = {**self._file_json(stored), "width": width, "height": height}
        return self._post(chat_id, p, {"photo": [size], **self._caption(p)})

    def _send_document(self, p: JSON) -> JSON:
        chat_id = self._target_chat(p)
        stored = self._input_file(p, "document", "documents")
        document = {
            **self._file_json(stored),
            "file_name": stored.upload.filename,
            "mime_type": stored.upload.mime_type,
        }
        return self._post(chat_id, p, {"document": document, **self._caption(p)})

    def _send_voice(self, p: JSON) -> JSON:
        chat_id = self._target_chat(p)
        stored = self._input_file(p, "voice", "voice")
        voice = {
            **self._file_json(stored),
            "duration": int(p.get("duration", 0)),
            "mime_type": stored.upload.mime_type,
        }
        return self._post(chat_id, p, {"voice": voice, **self._caption(p)})

    def _get_file(self, p: JSON) -> JSON:
        stored = self._files.get(str(p.get("file_id", "")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {**self._file_json(stored), "file_path": stored.file_path}

    # -------------------------------------------------------------- commands

    @staticmethod
    def _commands_key(p: JSON) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code", ""))

    def _set_my_commands(self, p: JSON) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            if not _COMMAND_RE.fullmatch(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(p)] = copy.deepcopy(commands)
        return True

    def _get_my_commands(self, p: JSON) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(p), []))

    def _delete_my_commands(self, p: JSON) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    # -------------------------------------------------------------- webhook methods

    def _set_webhook(self, p: JSON) -> _Described:
        url = str(p.get("url", ""))
        if not url:
            return self._delete_webhook(p)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        if p.get("drop_pending_updates"):
            self._queue.clear()
        if "allowed_updates" in p:
            self._set_allowed_updates(p["allowed_updates"])
        webhook = Webhook(url, p.get("secret_token"), int(p.get("max_connections", 40)))
        unchanged = webhook == self._webhook
        self._webhook = webhook
        self._webhook_error = None
        self._changed()
        return _Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    def _delete_webhook(self, p: JSON) -> _Described:
        if p.get("drop_pending_updates"):
            self._queue.clear()
        was_set = self._webhook is not None
        self._webhook = None
        self._webhook_error = None
        self._changed()
        return _Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _get_webhook_info(self, _p: JSON) -> JSON:
        info: JSON = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

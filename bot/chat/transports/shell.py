"""`backcoach shell`: talk to the bot in a terminal, no token and no network.

The real Application runs against an in-memory Bot API (`MemoryBotApi` behind PTB's request
interface). Each input line is a user message; `[Label]` presses the button whose label starts
with `Label` on the newest message that has buttons, `[2]` presses button 2, `[location LAT LON]`
shares a location, and `[+2d]`, `[+3h]` or `[+30m]` move the bot's clock forward (to try the
next morning, or the next routine, right away). What the bot sends, edits and uploads is
printed as it happens, including scheduled messages while you wait. At the end of input it exits 0.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application, on_startup
from bot.chat.context import App
from bot.chat.offline.botapi import DEFAULT_TOKEN, ApiCall, MemoryBotApi
from bot.chat.offline.request import MemoryRequest
from bot.config import Settings
from bot.db.migrate import upgrade
from bot.services import build_services
from bot.services.clock import ShiftedClock

SHELL_DB = "sqlite+aiosqlite:///backcoach-shell.db"
_BUTTON = re.compile(r"^\[(.+)\]$")
_JUMP = re.compile(r"^\+(\d+)([dhm])$")
_JUMP_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_LOCATION = re.compile(r"^location\s+(-?\d+(?:\.\d+)?)[\s,]+(-?\d+(?:\.\d+)?)$", re.I)


class Conversation:
    """One pretend user talking to the Application through an in-memory Bot API."""

    def __init__(self, app: App, api: MemoryBotApi, user_id: int, first_name: str = "Ann") -> None:
        self.app, self.api, self.user_id = app, api, user_id
        self.api.add_user(user_id, first_name=first_name)
        self._seen = 0

    async def _process(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def say(self, text: str) -> None:
        """The user sends a text message."""
        await self._process(self.api.user_says(self.user_id, text))

    async def share_location(self, lat: float, lon: float) -> None:
        """The user shares a location."""
        await self._process(self.api.user_location(self.user_id, lat, lon))

    async def send_media(self, kind: str) -> None:
        """The user sends a sticker, photo or voice note."""
        await self._process(self.api.user_sends(self.user_id, kind))  # type: ignore[arg-type]

    async def press(self, label: str) -> None:
        """Press a button on the newest message with buttons (label prefix or 1-based number)."""
        message, data = self.find_button(label)
        await self._process(self.api.user_presses(self.user_id, message["message_id"], data))

    def find_button(self, label: str) -> tuple[dict[str, Any], str]:
        """The newest message with buttons and the callback data of the one meant by `label`."""
        for message in reversed(self.api.sent_to(self.user_id)):
            buttons = self.api.buttons(message)
            if not buttons:
                continue
            wanted = label.strip().casefold()
            # An exact label wins over a number, so "[4]" on the pain grid means pain 4.
            for text, data in buttons:
                if text.casefold() == wanted:
                    return message, data
            if label.isdigit() and 1 <= int(label) <= len(buttons):
                return message, buttons[int(label) - 1][1]
            for text, data in buttons:
                if _plain(text).startswith(wanted) or text.casefold().startswith(wanted):
                    return message, data
            raise LookupError(f"no button {label!r}; there are: {[b for b, _ in buttons]}")
        raise LookupError("no message with buttons yet")

    def messages(self) -> list[dict[str, Any]]:
        """The bot's messages in this chat as they stand now."""
        return self.api.sent_to(self.user_id)

    def last_text(self) -> str:
        """The text (or caption) of the bot's newest message."""
        last = self.api.last_message(self.user_id)
        return str(last.get("text") or last.get("caption") or "")

    def new_calls(self) -> list[ApiCall]:
        """Calls the bot made and Telegram answered since the previous look, oldest first."""
        # A call is listed before its parameters are read; one still in flight (and all
        # after it, to keep the order) waits for the next look, or a photo prints empty.
        fresh = list(takewhile(_answered, self.api.calls()[self._seen :]))
        self._seen += len(fresh)
        return fresh


def _answered(call: ApiCall) -> bool:
    return call.result is not None or call.error_code is not None


def _plain(label: str) -> str:
    """A button label without leading emoji or marks, for prefix matching."""
    return re.sub(r"^[^\w]+", "", label).casefold()


def describe(call: ApiCall, save_file: Callable[[str, bytes], Path]) -> str | None:
    """How the shell shows one Bot API call, or None for calls a user would not see."""
    p = call.params
    if call.error_code is not None:
        return None
    if call.method == "sendMessage":
        return _with_buttons(f"🤖 {p.get('text', '')}", p.get("reply_markup"))
    if call.method == "editMessageText":
        return _with_buttons(f"🤖 (edited) {p.get('text', '')}", p.get("reply_markup"))
    if call.method == "answerCallbackQuery" and p.get("text"):
        return f"🤖 (notice) {p['text']}"
    if call.method in {"sendPhoto", "sendDocument", "sendVoice"}:
        field = {"sendPhoto": "photo", "sendDocument": "document", "sendVoice": "voice"}
        upload = p.get(field[call.method])
        name = getattr(upload, "filename", f"{field[call.method]}.bin")
        content = getattr(upload, "content", b"")
        path = save_file(name, content)
        caption = f" — {p['caption']}" if p.get("caption") else ""
        return f"🤖 [{field[call.method]}] {path}{caption}"
    return None


def _with_buttons(text: str, markup: Any) -> str:
    rows = (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []
    labels = [b["text"] for row in rows for b in row]
    if not labels:
        return text
    numbered = "  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1))
    return f"{text}\n   {numbered}"


async def run_shell(
    settings: Settings,
    *,
    db_url: str,
    user_id: int,
    start: datetime | None = None,
    out: Any = None,
) -> int:
    """Run the conversation loop over standard input until it ends."""
    out = out or sys.stdout
    clock = ShiftedClock(start)
    url = db_url
    shell_settings = settings.model_copy(update={"database_url": url})
    await upgrade(url)
    services = build_services(shell_settings, clock=clock)
    api = MemoryBotApi()
    # A second session on the same database must not reuse update ids already on record:
    # those would be taken for redeliveries and ignored.
    api._update_ids = itertools.count(await services.users.last_handled_update() + 1)
    app = build_application(services, DEFAULT_TOKEN, request=MemoryRequest(api))
    files = shell_settings.data_dir / "shell"

    def save_file(name: str, content: bytes) -> Path:
        files.mkdir(parents=True, exist_ok=True)
        path = (files / f"{len(list(files.iterdir())) + 1:03d}-{Path(name).name}").resolve()
        path.write_bytes(content)
        return path

    chat = Conversation(app, api, user_id)

    def flush() -> None:
        for call in chat.new_calls():
            shown = describe(call, save_file)
            if shown:
                print(shown, file=out, flush=True)

    printer = asyncio.create_task(_print_loop(flush))
    try:
        async with app:
            await on_startup(app)
            await app.start()
            chat.new_calls()  # the start-up calls (command menu) are not part of the chat
            print("BackCoach offline shell — type a message, [Button] to press one.", file=out)
            await _read_loop(chat, out, flush, clock)
            await asyncio.sleep(0.05)
            flush()
            await app.stop()
    finally:
        printer.cancel()
        await services.close()
    return 0


async def _read_loop(
    chat: Conversation, out: Any, flush: Callable[[], None], clock: ShiftedClock
) -> None:
    loop = asyncio.get_running_loop()
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("you> ", end="", file=out, flush=True)
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if not interactive:
            print(f"you> {line}", file=out)
        try:
            await _act(chat, line.strip(), clock, out)
        except LookupError as exc:
            print(f"(shell) {exc}", file=out)
        flush()


async def _act(chat: Conversation, line: str, clock: ShiftedClock, out: Any) -> None:
    button = _BUTTON.match(line)
    if button is None:
        await chat.say(line)
        return
    inner = button.group(1).strip()
    jump = _JUMP.match(inner)
    if jump is not None:
        moved = clock.advance(timedelta(**{_JUMP_UNITS[jump.group(2)]: int(jump.group(1))}))
        print(f"(shell) the clock now reads {moved:%a %d %b %H:%M} UTC", file=out)
        return
    location = _LOCATION.match(inner)
    if location is not None:
        await chat.share_location(float(location.group(1)), float(location.group(2)))
    elif inner.casefold() in {"sticker", "photo", "voice"}:
        await chat.send_media(inner.casefold())
    else:
        await chat.press(inner)


async def _print_loop(flush: Callable[[], None]) -> None:
    # Scheduled messages and timers arrive while the user is just waiting.
    while True:
        flush()
        await asyncio.sleep(0.05)

"""`backcoach` command line: run (polling or webhook), shell, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging
from bot.texts import t

EXIT_CONFIG = 2

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="backcoach", description="BackCoach Telegram bot")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot (long polling, or --webhook)")
    run.add_argument("--webhook", action="store_true", help="serve a webhook instead of polling")
    shell = sub.add_parser("shell", help="talk to the bot in this terminal, offline")
    shell.add_argument(
        "--db",
        default=None,
        help="database URL for the shell (default: its own file, backcoach-shell.db)",
    )
    shell.add_argument("--fresh", action="store_true", help="start from an empty shell database")
    shell.add_argument("--user", type=int, default=1001, help="the pretend Telegram user id")
    shell.add_argument(
        "--now",
        type=_instant,
        default=None,
        help="start the bot's clock at this ISO time (e.g. 2026-11-23T07:00Z)",
    )
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply all migrations")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `backcoach` console script."""
    args = _parser().parse_args(argv)
    command = args.command or "run"
    try:
        settings = load_settings()
        setup_logging(settings.log_level, _secrets(settings))
        if command == "db":
            return _db_upgrade(settings)
        if command == "shell":
            return _shell(settings, args.db, args.fresh, args.user, args.now)
        return _run(settings, webhook=bool(getattr(args, "webhook", False)))
    except ConfigError as exc:
        print(f"backcoach: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _secrets(settings: Settings) -> list[str]:
    values = [settings.token, settings.webhook_secret]
    return [v.get_secret_value() for v in values if v is not None]


def _db_upgrade(settings: Settings) -> int:
    from bot.db.migrate import upgrade_sync

    upgrade_sync(settings.database_url)
    print("database is up to date")
    return 0


def _run(settings: Settings, *, webhook: bool) -> int:
    try:
        token = settings.require_token()
    except ConfigError:
        print(t("core.no_token"), file=sys.stderr)
        if sys.stdin.isatty() and not webhook:
            return _shell(settings, None, False, 1001)
        return EXIT_CONFIG
    if webhook:
        settings.require_webhook()

    from bot.db.migrate import upgrade_sync
    from bot.services import build_services

    upgrade_sync(settings.database_url)
    services = build_services(settings)
    if webhook:
        from bot.chat.transports.webhook import serve_webhook

        asyncio.run(serve_webhook(services, token))
    else:
        from bot.chat.transports.polling import run_polling

        run_polling(services, token)
    return 0


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2026-11-23T07:00Z")
    return value


def _shell(
    settings: Settings, db: str | None, fresh: bool, user_id: int, now: datetime | None = None
) -> int:
    from bot.chat.transports.shell import SHELL_DB, run_shell

    # The shell keeps its own database: its pretend user and its in-memory "sends" must never
    # touch real users' rows (it would mark their morning pushes as sent).
    url = db or SHELL_DB
    if fresh and url.startswith("sqlite") and ":///" in url:
        Path(url.split(":///", 1)[1]).unlink(missing_ok=True)
    if settings.log_level != "DEBUG":
        setup_logging("WARNING", _secrets(settings))
    return asyncio.run(run_shell(settings, db_url=url, user_id=user_id, start=now))

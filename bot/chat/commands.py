"""The command menu: one list feeds both /help and Telegram's set_my_commands."""

from __future__ import annotations

from telegram import BotCommand

from bot.texts import t

# Only commands that are really handled belong here; /help is rendered from this list.
COMMANDS: tuple[str, ...] = (
    "start",
    "routine",
    "plan",
    "progress",
    "settings",
    "pause",
    "resume",
    "privacy",
    "export",
    "delete",
    "cancel",
    "help",
)


def bot_commands() -> list[BotCommand]:
    """The menu shown next to the message box in Telegram."""
    return [BotCommand(name, t(f"core.cmd_{name}")) for name in COMMANDS]


def help_text() -> str:
    """The /help answer: every available command with its one-line purpose."""
    lines = [t("core.help_intro")]
    lines += [f"/{name} – {t(f'core.cmd_{name}')}" for name in COMMANDS]
    lines.append("")
    lines.append(t("core.help_outro"))
    return "\n".join(lines)

"""Settings: read once from the environment and `.env`, then passed down explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


class Settings(BaseSettings):
    """Every knob of the bot; each one is documented in `.env.example`."""

    model_config = SettingsConfigDict(
        env_prefix="BACKCOACH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///backcoach.db"
    default_timezone: str = "Europe/London"
    log_level: LogLevel = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    push_rate: float = Field(default=30.0, gt=0, le=1000)
    send_burst: int = Field(default=0, ge=0, le=1000)
    push_window_hours: float = Field(default=3.0, gt=0, le=24)
    tick_seconds: float = Field(default=5.0, gt=0, le=300)
    api_base_url: str | None = None
    metrics_port: int = Field(default=0, ge=0, le=65535)
    data_dir: Path = Path("var")
    # Handled-update records must outlive Telegram's resends (a day), hence at least 2.
    retention_days: int = Field(default=30, ge=2, le=3650)

    @field_validator("token", "webhook_url", "webhook_secret", "api_base_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `.env.example` lists every key; an empty value there means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                f"{value!r} is not a database URL such as sqlite+aiosqlite:///backcoach.db"
            ) from None
        # Plain scheme names are accepted and mapped to the async drivers we ship.
        url = url.set(drivername=_ASYNC_DRIVERS.get(url.drivername, url.drivername))
        if url.drivername not in {"sqlite+aiosqlite", "postgresql+asyncpg"}:
            raise ValueError(
                f"driver {url.drivername!r} is not supported; "
                "use sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db"
            )
        return url.render_as_string(hide_password=False)

    @field_validator("default_timezone")
    @classmethod
    def _check_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/London") from None
        return value

    @property
    def is_postgres(self) -> bool:
        """Whether the database is PostgreSQL (several instances may share it)."""
        return self.database_url.startswith("postgresql")

    def require_token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if self.token is None or not self.token.get_secret_value().strip():
            raise ConfigError(
                "BACKCOACH_TOKEN is not set: talk to @BotFather in Telegram, send /newbot, "
                "and put the token in .env (or try the bot offline with `backcoach shell`)"
            )
        return self.token.get_secret_value().strip()

    def require_webhook(self) -> tuple[str, str]:
        """The public webhook URL and its secret, or a ConfigError naming what is missing."""
        if not self.webhook_url:
            raise ConfigError("BACKCOACH_WEBHOOK_URL is not set: webhook mode needs the public URL")
        if self.webhook_secret is None or len(self.webhook_secret.get_secret_value()) < 16:
            raise ConfigError(
                "BACKCOACH_WEBHOOK_SECRET must be set (16+ characters of A-Z a-z 0-9 _ -) "
                "in webhook mode"
            )
        return self.webhook_url, self.webhook_secret.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build Settings, turning validation errors into one readable ConfigError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"BACKCOACH_{field.upper()}: {msg}") from None

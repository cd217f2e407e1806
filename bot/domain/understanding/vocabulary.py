"""The lexicon (bot/domain/lexicon.toml), loaded once and indexed for matching."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.domain.parsing import fold
from bot.domain.safety import PainKind
from bot.domain.understanding.values import Signal

LEXICON = Path(__file__).resolve().parents[1] / "lexicon.toml"
# Real words a misspelling correction must leave alone ("sock" is not "shock"); written by
# bench/real_words.py from a word-frequency list, checked complete by the tests.
REAL_WORDS = Path(__file__).resolve().parents[1] / "real_words.txt"
NEGATION_REACH = 5  # words between a negation and the finding it negates
CONTEXT_REACH = 8  # words between history, someone else, a condition or doubt and the finding
CUE_REACH = 4  # words between a pain cue ("pain", "about") and its number
SHORT_REPLY = 10  # tokens: longer messages are read phrase by phrase, not as one answer
TYPO_MIN = 5  # from this length a slip may also be a wrong letter or two swapped ones
TYPO_SHORT = 4  # from this length a letter too many or too few is corrected ("fevr", "weeak")


@dataclass(frozen=True, slots=True)
class Rule:
    signal: Signal
    near: tuple[str, ...]  # groups that must all occur close together
    any: tuple[str, ...]  # groups any phrase of which is enough
    window: int
    sure: bool
    kind: PainKind | None
    block: tuple[str, ...]
    history_counts: bool


Pattern = tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    phrases: Mapping[str, tuple[tuple[Pattern, str], ...]]  # first word → (pattern, label)
    prefixed: Mapping[str, tuple[tuple[Pattern, str], ...]]  # first 3 letters of a stem → ...
    rules: tuple[Rule, ...]
    units: frozenset[str]
    cues: frozenset[str]
    not_before: frozenset[str]
    answers: Mapping[str, bool]
    single_answers: Mapping[str, bool]
    answer_words: Mapping[str, bool]
    answer_fillers: frozenset[str]
    vocabulary: frozenset[str]  # words a misspelling may be corrected to
    known: frozenset[str]  # every word of the lexicon: never corrected
    typo_index: Mapping[str, frozenset[str]]


MODIFIERS = (
    "terminators",
    "negation",
    "almost",
    "resolved",
    "resolved_here",
    "pseudo",
    "historical",
    "experiencer",
    "first_person",
    "hypothetical",
    "uncertain",
)


def _pattern(phrase: str) -> Pattern:
    return tuple(fold(phrase).split())


@cache
def lexicon() -> Lexicon:
    """The vocabulary, loaded and indexed once."""
    with LEXICON.open("rb") as fh:
        raw = tomllib.load(fh)
    labelled: list[tuple[Pattern, str]] = []
    groups = {**raw["terms"], **raw["terms2"]}
    for name, phrases in groups.items():
        labelled += [(_pattern(p), f"t:{name}") for p in phrases]
    for name in MODIFIERS:
        labelled += [(_pattern(p), f"m:{name}") for p in raw["modifiers"][name]]
    labelled += [(_pattern(p), "z:zero") for p in raw["pain"]["zero"]]
    for name, phrases in raw["pain"]["when"].items():
        labelled += [(_pattern(p), f"w:{name}") for p in phrases]
    for intent, phrases in raw["intents"]["anywhere"].items():
        labelled += [(_pattern(p), f"i:{intent}") for p in phrases]
    exact: dict[str, list[tuple[Pattern, str]]] = {}
    prefixed: dict[str, list[tuple[Pattern, str]]] = {}
    for pattern, label in labelled:
        if not pattern:
            continue
        first = pattern[0]
        if first.endswith("*"):
            prefixed.setdefault(first[:3], []).append((pattern, label))
        elif first.endswith("#"):
            for digit in "0123456789":
                if first[:-1] == "" or first[0] == digit:
                    prefixed.setdefault(digit, []).append((pattern, label))
        else:
            exact.setdefault(first, []).append((pattern, label))
    rules = tuple(_rule(r) for r in raw["signals"])
    unknown = {g for r in rules for g in (*r.near, *r.any, *r.block)} - groups.keys()
    if unknown:
        raise ValueError(f"lexicon.toml: signals use unknown groups {sorted(unknown)}")
    answers = raw["answers"]
    yes = {" ".join(_pattern(p)): True for p in answers["yes"]}
    no = {" ".join(_pattern(p)): False for p in answers["no"]}
    # Only findings are corrected: a real word one slip from a modifier ("fixes" → "fixed")
    # would turn a symptom off.
    vocabulary = frozenset(
        word
        for pattern, label in labelled
        for word in pattern
        if label[0] in "ti" and len(word) >= TYPO_SHORT and word.isalpha()
    )
    return Lexicon(
        phrases={k: tuple(v) for k, v in exact.items()},
        prefixed={k: tuple(v) for k, v in prefixed.items()},
        rules=rules,
        units=frozenset(raw["pain"]["units"]),
        cues=frozenset(raw["pain"]["cues"]),
        not_before=frozenset(raw["pain"]["not_before"]),
        answers={**yes, **no},
        single_answers={k: v == "yes" for k, v in answers["single"].items()},
        answer_words={k: v for k, v in {**yes, **no}.items() if " " not in k},
        answer_fillers=frozenset(answers["fillers"]),
        vocabulary=vocabulary,
        known=frozenset(_words(raw)) | real_words(),
        typo_index=_deletions_index(vocabulary),
    )


def _words(raw: object) -> Iterator[str]:
    """Every word of every phrase anywhere in the lexicon."""
    if isinstance(raw, str):
        yield from _pattern(raw)
    elif isinstance(raw, Mapping):
        for value in raw.values():
            yield from _words(value)
    elif isinstance(raw, list):
        for value in raw:
            yield from _words(value)


def _rule(raw: Mapping[str, Any]) -> Rule:
    kind = raw.get("kind")
    return Rule(
        signal=Signal(raw["signal"]),
        near=tuple(raw.get("near", ())),
        any=tuple(raw.get("any", ())),
        window=int(raw.get("window", 6)),
        sure=bool(raw.get("sure", True)),
        kind=PainKind(kind) if kind else None,
        block=tuple(raw.get("block", ())),
        history_counts=bool(raw.get("history_counts", False)),
    )


def real_words() -> frozenset[str]:
    if not REAL_WORDS.exists():
        return frozenset()
    return frozenset(REAL_WORDS.read_text(encoding="utf-8").split())


def deletions(word: str) -> Iterator[str]:
    return (word[:i] + word[i + 1 :] for i in range(len(word)))


def _deletions_index(words: Iterable[str]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for word in words:
        for variant in (word, *deletions(word)):
            index.setdefault(variant, set()).add(word)
    return {k: frozenset(v) for k, v in index.items()}

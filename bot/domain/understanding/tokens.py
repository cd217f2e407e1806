"""Tokens as the lexicon sees them: folded, split, misspellings forgiven."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from bot.domain.parsing import fold, one_typo
from bot.domain.understanding.vocabulary import (
    TYPO_MIN,
    TYPO_SHORT,
    deletions,
    lexicon,
    real_words,
)

_DECIMAL = re.compile(r"(\d+)[.,](\d+)")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[.,!?;\n/:~≈-]")
# Emoji and other pictographs end a sentence the way a full stop does ("pooped myself 😳 havent
# done that since i was a toddler": the toddler is not the one who did it).
_PICTOGRAPH = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]+")
_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")  # "pins-and-needles"
# After a comma these start a new clause: "no pain, my leg is numb" (but not "no numbness,
# tingling or weakness", where the negation runs on).
CLAUSE_OPENERS = frozenset({"i", "im", "ive", "my", "it", "its", "but", "and", "the", "now"})
BREAKS = frozenset(".!?;\n")
STOPS = BREAKS | {","}


_POSSESSIVE = re.compile(
    r"(?<!\blet)(?<!\bit)(?<!\bthat)(?<!\bwhat)(?<!\bhe)(?<!\bshe)(?<!\bthere)(?<!\bhere)"
    r"['’]s\b",
    re.IGNORECASE,
)


def tokens(text: str) -> list[str]:
    # "leg's" is the leg, not "legs"; "let's" keeps its s ("lets go").
    folded = fold(_POSSESSIVE.sub("", text)).replace("&", " and ").replace("+", " and ")
    if "-" in folded:
        folded = _HYPHEN.sub(" ", folded)
    if "." in folded or "," in folded:
        # A decimal score reads as the next whole number: "6.5" is at least a 7 for safety.
        folded = _DECIMAL.sub(lambda m: str(math.ceil(float(f"{m[1]}.{m[2]}"))), folded)
    folded = _REPEATS.sub(r"\1\1", folded)  # "sooo" → "soo", "peeeing" → "peeing"
    folded = _PICTOGRAPH.sub(" . ", folded)
    return [corrected_token(t) for t in _TOKEN.findall(folded)]


def _known(token: str) -> bool:
    lex = lexicon()
    if token in lex.known or (token.endswith("s") and token[:-1] in lex.known):
        return True
    return any(
        p[0] == "" or token.startswith(p[0][:-1]) for p, _ in lex.prefixed.get(token[:3], ())
    )


@lru_cache(maxsize=8192)
def corrected_token(token: str) -> str:
    """The lexicon word a misspelt token means (one slip, unambiguous), else the token."""
    if len(token) < TYPO_SHORT or not token.isalpha() or _known(token):
        return token
    return _correction(token) or token


def would_correct(word: str) -> bool:
    """Whether a word would be read as a lexicon word if it were not on the real-word list."""
    lex = lexicon()
    if word in lex.known and word not in real_words():
        return False
    if word in lex.vocabulary or len(word) < TYPO_SHORT:
        return False
    return _correction(word) is not None


def corrected(word: str) -> str:
    """How the understanding step reads one word: itself, or the lexicon word it misspells."""
    return corrected_token(word)


def _correction(token: str) -> str | None:
    index = lexicon().typo_index
    candidates: set[str] = set(index.get(token, ()))
    for variant in deletions(token):
        candidates |= index.get(variant, frozenset())
    hits = {
        word
        for word in candidates
        if one_typo(token, word)
        and (min(len(word), len(token)) >= TYPO_MIN or abs(len(word) - len(token)) == 1)
    }
    return hits.pop() if len(hits) == 1 else None

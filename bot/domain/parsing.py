"""Free-text parsers for the onboarding conversation and the routine player.

Every parser is total: any string goes in, a value or ``None`` comes out, nothing raises.
They are deliberately strict: when an answer is ambiguous the caller asks again (with
buttons), which is cheaper than acting on a guess.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from datetime import time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

__all__ = [
    "Intent",
    "fold",
    "is_morning",
    "one_typo",
    "parse_days",
    "parse_intent",
    "parse_pain",
    "parse_time",
]

_KEYCAP = "\u20e3"  # combining enclosing keycap: "6️⃣" is "6" + U+FE0F + U+20E3
_VARIATION_SELECTOR = "\ufe0f"
_KEYCAP_TEN = "\U0001f51f"  # 🔟 has no digit in it


def fold(text: str) -> str:
    """Case- and width-fold; keycap emoji become their digits; apostrophes disappear."""
    text = text.replace(_KEYCAP_TEN, " 10 ")
    text = text.replace(_VARIATION_SELECTOR, "").replace(_KEYCAP, "")
    text = unicodedata.normalize("NFKC", text).casefold()
    # "it's", "it’s" and "its" must read the same.
    return re.sub(r"['’‘`´]", "", text)


# --------------------------------------------------------------------------- pain 0–10

_NUMBER_WORDS = {
    "zero": 0,
    "nil": 0,
    "none": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
# Words that may surround the number. Anything else ("I walked 3 km") is not a pain score.
_PAIN_FILLERS = frozenset(
    {
        "a",
        "about",
        "approx",
        "approximately",
        "around",
        "at",
        "currently",
        "guess",
        "i",
        "id",
        "is",
        "ish",
        "it",
        "its",
        "level",
        "like",
        "maybe",
        "my",
        "now",
        "or",
        "pain",
        "perhaps",
        "probably",
        "right",
        "roughly",
        "say",
        "score",
        "so",
        "the",
        "think",
        "today",
        "would",
        "~",
        "≈",
    }
)
_PAIN_TOKEN = re.compile(r"\d+|[^\W\d_]+|[/#~≈-]")


def parse_pain(text: str) -> int | None:
    """A 0–10 pain score from a free-text answer, or None.

    Accepts digits, number words and keycap emoji, an optional "/10" or "out of 10", and a
    few filler words ("about 5", "pain 7", "~4"). Ranges ("5-6"), two numbers ("5 or 6"),
    decimals ("5.5"), negatives and anything outside 0–10 give None: the caller asks again
    rather than guess which number the user meant.
    """
    folded = fold(text).strip()
    if folded in {"no pain", "no pain at all", "none at all"}:
        return 0
    folded = re.sub(r"(?<=\d)[.,](?=\d)", " # ", folded)  # a decimal is never an answer
    folded = folded.replace("out of", " / ")
    folded = re.sub(r"[–—−]", "-", folded)
    tokens = [t for t in _PAIN_TOKEN.findall(folded) if t not in _PAIN_FILLERS]
    tokens = ["/" if t == "of" else str(_NUMBER_WORDS.get(t, t)) for t in tokens]
    if len(tokens) == 3 and tokens[1:] == ["/", "10"]:
        tokens = tokens[:1]
    if len(tokens) != 1 or not tokens[0].isdigit() or len(tokens[0]) > 2:
        return None
    score = int(tokens[0])
    return score if score <= 10 else None


# --------------------------------------------------------------------------- time of day

_CLOCK = re.compile(r"(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|h)?")
_COMPACT = re.compile(r"(\d{3,4})\s*(am|pm)?")
_NAMED_TIMES = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def parse_time(text: str) -> time | None:
    """A wall-clock time from "7:45", "07.45", "7:45am", "7.45 pm", "19:00", "7", "0745", "7h45".

    Also "noon", "midday" and "midnight". 12-hour forms need an hour of 1–12; anything
    that is not a real time ("25:00", "7:60", "13pm") gives None.
    """
    folded = fold(text).strip()
    folded = re.sub(r"\b([ap])\s*\.?\s*m\b\.?", r"\1m", folded)  # "a.m." / "p. m." → "am"
    folded = re.sub(r"^(at|around|about)\s+", "", folded)
    folded = re.sub(r"\s*o\s*clock$", "", folded).strip()
    if folded in _NAMED_TIMES:
        return _NAMED_TIMES[folded]
    if match := _COMPACT.fullmatch(folded):
        digits, meridiem = match.groups()
        return _build_time(int(digits[:-2]), int(digits[-2:]), meridiem)
    if match := _CLOCK.fullmatch(folded):
        hour, minute, suffix = match.groups()
        meridiem = suffix if suffix in {"am", "pm"} else None
        return _build_time(int(hour), int(minute or 0), meridiem)
    return None


def _build_time(hour: int, minute: int, meridiem: str | None) -> time | None:
    """Validate and convert a 12- or 24-hour reading."""
    if minute > 59:
        return None
    if meridiem is None:
        return time(hour, minute) if hour <= 23 else None
    if not 1 <= hour <= 12:
        return None
    return time(hour % 12 + (12 if meridiem == "pm" else 0), minute)


def is_morning(t: time) -> bool:
    """True from 04:00 up to (not including) noon."""
    return time(4, 0) <= t < time(12, 0)


# --------------------------------------------------------------------------- weekdays

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ALIASES = {"weds": 2, "thurs": 3, "thur": 3, "tues": 1}
_DAY_GROUPS: dict[str, frozenset[int]] = {
    "everyday": frozenset(range(7)),
    "daily": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "workdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
# Multi-word spellings of the groups above, rewritten before tokenising.
_DAY_PHRASES = (
    (r"\b(every|each|all)\s+days?\b", " everyday "),
    (r"\ball\s+week\b", " everyday "),
    (r"\b7\s+days\b", " everyday "),
    (r"\bweek\s*days?\b", " weekdays "),
    (r"\bwork\s*(ing)?\s*days?\b", " workdays "),
    (r"\bweek\s*ends?\b", " weekends "),
)
_RANGE_WORDS = frozenset({"-", "to", "through", "thru", "till", "til", "until"})
_EXCEPT_WORDS = frozenset({"except", "but", "excluding", "without", "not", "minus"})
_DAY_FILLERS = frozenset({"and", "on", "every", "each", "from", "only", "please", "days", "the"})
_DAY_TOKEN = re.compile(r"[^\W\d_]+|\d+|-")


def _day_number(token: str) -> int | None:
    """0–6 for a day name, abbreviation (two letters or more) or plural ("mondays")."""
    if token in _DAY_ALIASES:
        return _DAY_ALIASES[token]
    if len(token) > 6 and token.endswith("days"):
        token = token[:-1]
    if len(token) < 2:
        return None
    for number, name in enumerate(_DAY_NAMES):
        if name.startswith(token):
            return number
    return None


def parse_days(text: str) -> frozenset[int] | None:
    """Weekday numbers (0=Monday … 6=Sunday) from "mon wed fri", "monday-friday", "weekdays".

    Understands lists, ranges (wrapping: "fri-mon"), "every day", "weekends" and an
    "except …" tail. Any word it does not know makes the whole answer None, so a
    misspelt day is asked again rather than silently dropped.
    """
    folded = re.sub(r"[–—−]", "-", fold(text))
    for pattern, replacement in _DAY_PHRASES:
        folded = re.sub(pattern, replacement, folded)
    tokens = [t for t in _DAY_TOKEN.findall(folded) if t not in _DAY_FILLERS]
    chosen: set[int] = set()
    excluded: set[int] = set()
    target = chosen
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in _EXCEPT_WORDS:
            target = excluded
            i += 1
            continue
        if token in _DAY_GROUPS:
            target.update(_DAY_GROUPS[token])
            i += 1
            continue
        first = _day_number(token)
        if first is None:
            return None
        if i + 2 < len(tokens) and tokens[i + 1] in _RANGE_WORDS:
            last = _day_number(tokens[i + 2])
            if last is None:
                return None
            target.update((first + k) % 7 for k in range((last - first) % 7 + 1))
            i += 3
        else:
            target.add(first)
            i += 1
    days = frozenset(chosen - excluded)
    return days or None


# --------------------------------------------------------------------------- player intents


class Intent(StrEnum):
    """What a free-text reply in the routine player asks for."""

    DONE = "done"
    NEXT = "done"  # "next" means "done, show the next one": an alias, not a separate intent
    SKIP = "skip"
    HURT = "hurt"
    STOP = "stop"
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    YES = "yes"
    NO = "no"
    HELP = "help"
    NOT_TODAY = "not_today"  # no routine today
    LATER = "later"  # today, but not now


def _exact_phrases() -> dict[Intent, tuple[str, ...]]:
    """Whole-reply phrases of each intent, from the one vocabulary file (lexicon.toml)."""
    with (Path(__file__).with_name("lexicon.toml")).open("rb") as fh:
        raw = tomllib.load(fh)["intents"]["exact"]
    return {Intent(name): tuple(phrases) for name, phrases in raw.items()}


_PHRASES = _exact_phrases()
_EMOJI: dict[str, Intent] = {
    "✅": Intent.DONE,
    "✔": Intent.DONE,
    "☑": Intent.DONE,
    "⏭": Intent.SKIP,
    "🤕": Intent.HURT,
    "🛑": Intent.STOP,
    "⏹": Intent.STOP,
    "▶": Intent.START,
    "⏸": Intent.PAUSE,
    "👍": Intent.YES,
    "👎": Intent.NO,
    "❓": Intent.HELP,
    "❔": Intent.HELP,
}
# Words that carry no intent; skipped between phrases ("I'm done now please").
_INTENT_FILLERS = frozenset(
    [
        "?",
        "a",
        "ah",
        "all",
        "already",
        "am",
        "bit",
        "been",
        "have",
        "i",
        "im",
        "is",
        "it",
        "its",
        "ive",
        "just",
        "little",
        "lot",
        "me",
        "my",
        "now",
        "oh",
        "one",
        "please",
        "pls",
        "plz",
        "really",
        "so",
        "that",
        "thats",
        "the",
        "this",
        "um",
        "uh",
        "very",
        "well",
        "we",
    ]
)
_NEGATIONS = frozenset(
    [
        "no",
        "not",
        "never",
        "without",
        "nothing",
        "nope",
        "nah",
        "neither",
        "nor",
        "dont",
        "didnt",
        "doesnt",
        "isnt",
        "wasnt",
        "arent",
        "werent",
        "cant",
        "cannot",
        "couldnt",
        "wont",
        "wouldnt",
        "havent",
        "hasnt",
        "hadnt",
        "aint",
    ]
)
# Real words one keystroke away from a keyword: read as themselves, never as a typo.
_NOT_TYPOS = frozenset(
    [
        "couch",
        "pouch",
        "touch",
        "vouch",
        "stoop",
        "stomp",
        "star",
        "tart",
        "paint",
        "spain",
        "waist",
        "quite",
        "quilt",
        "read",
        "whelp",
        "finnish",
        "hope",
        "slip",
        "nest",
        "dine",
        "skimp",
        "surge",
        "quiet",
        "edit",
        "exist",
    ]
)
_INTENT_TOKEN = re.compile(r"[^\W\d_]+|\d+|\?")
_MAX_PHRASE_WORDS = 4
_PHRASE_INDEX: dict[tuple[str, ...], Intent] = {
    tuple(phrase.split()): intent for intent, phrases in _PHRASES.items() for phrase in phrases
}
_KEYWORDS: dict[str, Intent] = {
    words[0]: intent
    for words, intent in _PHRASE_INDEX.items()
    if len(words) == 1 and len(words[0]) >= 4
}
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _key_neighbours() -> dict[str, frozenset[str]]:
    """Letters that touch each letter on a QWERTY keyboard (rows are offset by half a key)."""
    where = {ch: (r, i) for r, row in enumerate(_KEYBOARD_ROWS) for i, ch in enumerate(row)}
    neighbours: dict[str, frozenset[str]] = {}
    for ch, (r, i) in where.items():
        spots = [(r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1), (r + 1, i - 1), (r + 1, i)]
        neighbours[ch] = frozenset(
            _KEYBOARD_ROWS[rr][ii]
            for rr, ii in spots
            if 0 <= rr < len(_KEYBOARD_ROWS) and 0 <= ii < len(_KEYBOARD_ROWS[rr])
        )
    return neighbours


_NEIGHBOURS = _key_neighbours()


def one_typo(typed: str, word: str) -> bool:
    """True if `typed` is `word` with one slip: a letter missing, extra, swapped or next door."""
    if typed == word:
        return False
    if len(typed) == len(word):
        diffs = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
        if len(diffs) == 1:
            a, b = typed[diffs[0]], word[diffs[0]]
            return b in _NEIGHBOURS.get(a, frozenset())
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and typed[diffs[0]] == word[diffs[1]]
            and typed[diffs[1]] == word[diffs[0]]
        )
    longer, shorter = (typed, word) if len(typed) > len(word) else (word, typed)
    if len(longer) - len(shorter) != 1:
        return False
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@lru_cache(maxsize=4096)
def _typo_intent(token: str) -> Intent | None:
    """The intent of a misspelt keyword (words of four letters or more, one slip, unambiguous)."""
    if len(token) < 4 or token in _NOT_TYPOS:
        return None
    hits = {intent for word, intent in _KEYWORDS.items() if one_typo(token, word)}
    return hits.pop() if len(hits) == 1 else None


def _segment(tokens: list[str]) -> tuple[list[Intent], list[str]] | None:
    """Split tokens into known phrases (fillers skipped); None if any word is not understood.

    Also returns the words that stood alone (one-word phrases and fillers): a negation among
    them ("not done") unsettles the reply, one inside a phrase ("not today") does not.
    """
    intents: list[Intent] = []
    alone: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE_WORDS, len(tokens) - i), 0, -1):
            intent = _PHRASE_INDEX.get(tuple(tokens[i : i + size]))
            if intent is not None:
                intents.append(intent)
                if size == 1:
                    alone.append(tokens[i])
                i += size
                break
        else:
            token = tokens[i]
            alone.append(token)
            if token not in _INTENT_FILLERS:
                typo = _typo_intent(token)
                if typo is None:
                    return None
                intents.append(typo)
            i += 1
    return intents, alone


def _combine(intents: Iterable[Intent]) -> Intent | None:
    """One intent from several: "it hurts" wins (safety first), "yes/ok" defers to the rest."""
    found = set(intents)
    if Intent.HURT in found:
        return Intent.HURT
    if len(found) > 1:
        found.discard(Intent.YES)
    return found.pop() if len(found) == 1 else None


def parse_intent(text: str) -> Intent | None:
    """What a free-text player reply means, or None if it is not clearly one intent.

    Case, punctuation, emoji and filler words ("I'm done now!") are ignored; keywords of
    four letters or more survive one typo ("doen", "finsihed"). Any negation ("it did not
    hurt", "not done yet") gives None unless the whole reply is a "no". When a reply
    names "it hurt" alongside something else ("stop, it hurts"), HURT wins. A reply with
    no words falls back to its emoji (✅ done, 👍 yes, 🤕 hurt ...).
    """
    folded = fold(text)
    folded = re.sub(r"([^\W\d_])\1{2,}", r"\1", folded)  # "nooo", "ouchhh", "stoppp"
    tokens = _INTENT_TOKEN.findall(folded)
    if not [t for t in tokens if t != "?"]:
        emoji = [intent for ch, intent in _EMOJI.items() if ch in folded]
        return _combine(emoji) if emoji else (Intent.HELP if tokens else None)
    segmented = _segment(tokens)
    if not segmented or not segmented[0]:
        return None
    intents, alone = segmented
    if all(intent is Intent.NO for intent in intents):
        return Intent.NO
    if _NEGATIONS.intersection(alone):
        return None
    return _combine(intents)

"""The understanding step: what a typed message tells us, before any step handles it.

Pure (no Telegram, no database). Every word list lives in ``lexicon.toml`` beside this file.
The reading follows the ConText algorithm for clinical text (NegEx's successor): find the
findings (red-flag kinds, leg symptoms, sharp pain) as phrases and word groups near each other,
then find the modifiers (negation, history, someone else, a condition, doubt) and let each
reach the findings in its clause within a few words. medspaCy implements ConText on spaCy's
tokenizer, but importing spaCy alone costs about a second of start-up; this is the same
algorithm over our own lexicon, at a fraction of the cost (see bench/understand.py).

A finding that is negated, in the past, someone else's or only a condition ("what if my leg
goes numb?") is dropped; one said with doubt is kept as not sure, and the bot asks about it.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from bot.domain.parsing import Intent, fold, one_typo, parse_intent, parse_pain
from bot.domain.safety import SCREEN_ORDER, PainKind, RedFlag

__all__ = [
    "Finding",
    "PainScore",
    "Signal",
    "Understanding",
    "When",
    "understand",
    "yes_no",
]

LEXICON = Path(__file__).with_name("lexicon.toml")
# Real words a misspelling correction must leave alone ("sock" is not "shock"); written by
# bench/real_words.py from a word-frequency list, checked complete by the tests.
REAL_WORDS = Path(__file__).with_name("real_words.txt")
NEGATION_REACH = 5  # words between a negation and the finding it negates
CONTEXT_REACH = 8  # words between history, someone else, a condition or doubt and the finding
CUE_REACH = 4  # words between a pain cue ("pain", "about") and its number
SHORT_REPLY = 10  # tokens: longer messages are read phrase by phrase, not as one answer
TYPO_MIN = 5  # from this length a slip may also be a wrong letter or two swapped ones
TYPO_SHORT = 4  # from this length a letter too many or too few is corrected ("fevr", "weeak")


class Signal(StrEnum):
    """A safety signal: one of the red-flag kinds, leg symptoms or sharp pain."""

    BLADDER_BOWEL = RedFlag.BLADDER_BOWEL.value
    SADDLE_NUMBNESS = RedFlag.SADDLE_NUMBNESS.value
    BOTH_LEGS = RedFlag.BOTH_LEGS.value
    FEVER_UNWELL = RedFlag.FEVER_UNWELL.value
    TRAUMA = RedFlag.TRAUMA.value
    CANCER_WEIGHT = RedFlag.CANCER_WEIGHT.value
    NIGHT_PAIN = RedFlag.NIGHT_PAIN.value
    LEG = "leg"
    SHARP = "sharp"

    @property
    def red_flag(self) -> RedFlag | None:
        """The red-flag question this signal asks back, if it is one."""
        return RedFlag(self.value) if self.value in _FLAG_VALUES else None


_FLAG_VALUES = frozenset(flag.value for flag in RedFlag)


class When(StrEnum):
    """When a pain score applies, if the person said so."""

    NOW = "now"
    MORNING = "morning"
    DURING = "during"


@dataclass(frozen=True, slots=True)
class Finding:
    """A safety signal heard in a message; `sure` is False when it was said with doubt."""

    signal: Signal
    sure: bool
    kind: PainKind | None = None  # how a leg symptom or a sharp pain is recorded


@dataclass(frozen=True, slots=True)
class PainScore:
    """A 0–10 pain score given in a message."""

    value: int
    when: When | None = None


@dataclass(frozen=True, slots=True)
class Understanding:
    """Everything a message told us, in the order the one way in uses it."""

    findings: tuple[Finding, ...] = ()
    pain: PainScore | None = None
    intents: frozenset[Intent] = frozenset()
    intent: Intent | None = None  # the one intent a step acts on
    answer: bool | None = None  # a clear yes (True) or no (False), for yes/no questions
    leading: bool | None = None  # a yes or no word opening a longer reply ("no, I didn't fall")
    exact_pain: bool = False  # the whole message is the score ("4", "4/10", "about a 4")

    @property
    def flags(self) -> tuple[RedFlag, ...]:
        """Red-flag kinds heard (sure or not), most urgent first."""
        heard = {f.signal.red_flag for f in self.findings}
        return tuple(flag for flag in SCREEN_ORDER if flag in heard)

    @property
    def leg(self) -> Finding | None:
        """Leg symptoms, if heard."""
        return self._finding(Signal.LEG)

    @property
    def sharp(self) -> Finding | None:
        """Sharp or shooting pain, if heard."""
        return self._finding(Signal.SHARP)

    @property
    def safety(self) -> bool:
        """Whether anything here must be acted on or asked about before anything else."""
        return bool(self.findings)

    def _finding(self, signal: Signal) -> Finding | None:
        return next((f for f in self.findings if f.signal is signal), None)


# --------------------------------------------------------------------------- the lexicon


@dataclass(frozen=True, slots=True)
class _Rule:
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
class _Lexicon:
    phrases: Mapping[str, tuple[tuple[Pattern, str], ...]]  # first word → (pattern, label)
    prefixed: Mapping[str, tuple[tuple[Pattern, str], ...]]  # first 3 letters of a stem → ...
    rules: tuple[_Rule, ...]
    units: frozenset[str]
    cues: frozenset[str]
    not_before: frozenset[str]
    intent_order: tuple[Intent, ...]
    answers: Mapping[str, bool]
    single_answers: Mapping[str, bool]
    answer_words: Mapping[str, bool]
    answer_fillers: frozenset[str]
    vocabulary: frozenset[str]  # words a misspelling may be corrected to
    known: frozenset[str]  # every word of the lexicon: never corrected
    typo_index: Mapping[str, frozenset[str]]


_MODIFIERS = (
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
# Which intent a step acts on when a long message names several: safety first, then ending.
_INTENT_ORDER = (
    Intent.HURT,
    Intent.STOP,
    Intent.NOT_TODAY,
    Intent.LATER,
    Intent.SKIP,
    Intent.DONE,
    Intent.START,
    Intent.HELP,
    Intent.YES,
    Intent.NO,
)
# Already a "no": "no, later" and "no not today" are not undone by their "no".
_NOT_NEGATED = frozenset({Intent.NOT_TODAY, Intent.LATER, Intent.NO})


def _pattern(phrase: str) -> Pattern:
    return tuple(fold(phrase).split())


@cache
def lexicon() -> _Lexicon:
    """The vocabulary, loaded and indexed once."""
    with LEXICON.open("rb") as fh:
        raw = tomllib.load(fh)
    labelled: list[tuple[Pattern, str]] = []
    groups = {**raw["terms"], **raw["terms2"]}
    for name, phrases in groups.items():
        labelled += [(_pattern(p), f"t:{name}") for p in phrases]
    for name in _MODIFIERS:
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
    return _Lexicon(
        phrases={k: tuple(v) for k, v in exact.items()},
        prefixed={k: tuple(v) for k, v in prefixed.items()},
        rules=rules,
        units=frozenset(raw["pain"]["units"]),
        cues=frozenset(raw["pain"]["cues"]),
        not_before=frozenset(raw["pain"]["not_before"]),
        intent_order=_INTENT_ORDER,
        answers={**yes, **no},
        single_answers={k: v == "yes" for k, v in answers["single"].items()},
        answer_words={k: v for k, v in {**yes, **no}.items() if " " not in k},
        answer_fillers=frozenset(answers["fillers"]),
        vocabulary=vocabulary,
        known=frozenset(_words(raw)) | _real_words(),
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


def _rule(raw: Mapping[str, Any]) -> _Rule:
    kind = raw.get("kind")
    return _Rule(
        signal=Signal(raw["signal"]),
        near=tuple(raw.get("near", ())),
        any=tuple(raw.get("any", ())),
        window=int(raw.get("window", 6)),
        sure=bool(raw.get("sure", True)),
        kind=PainKind(kind) if kind else None,
        block=tuple(raw.get("block", ())),
        history_counts=bool(raw.get("history_counts", False)),
    )


def _real_words() -> frozenset[str]:
    if not REAL_WORDS.exists():
        return frozenset()
    return frozenset(REAL_WORDS.read_text(encoding="utf-8").split())


def _deletions(word: str) -> Iterator[str]:
    return (word[:i] + word[i + 1 :] for i in range(len(word)))


def _deletions_index(words: Iterable[str]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for word in words:
        for variant in (word, *_deletions(word)):
            index.setdefault(variant, set()).add(word)
    return {k: frozenset(v) for k, v in index.items()}


# --------------------------------------------------------------------------- tokens

_DECIMAL = re.compile(r"(\d+)[.,](\d+)")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[.,!?;\n/:~≈-]")
# Emoji and other pictographs end a sentence the way a full stop does ("pooped myself 😳 havent
# done that since i was a toddler": the toddler is not the one who did it).
_PICTOGRAPH = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]+")
_HYPHEN = re.compile(r"(?<=[^\W\d_])-(?=[^\W\d_])")  # "pins-and-needles"
# After a comma these start a new clause: "no pain, my leg is numb" (but not "no numbness,
# tingling or weakness", where the negation runs on).
_CLAUSE_OPENERS = frozenset({"i", "im", "ive", "my", "it", "its", "but", "and", "the", "now"})
_BREAKS = frozenset(".!?;\n")


_POSSESSIVE = re.compile(
    r"(?<!\blet)(?<!\bit)(?<!\bthat)(?<!\bwhat)(?<!\bhe)(?<!\bshe)(?<!\bthere)(?<!\bhere)"
    r"['’]s\b",
    re.IGNORECASE,
)


def _tokens(text: str) -> list[str]:
    # "leg's" is the leg, not "legs"; "let's" keeps its s ("lets go").
    folded = fold(_POSSESSIVE.sub("", text)).replace("&", " and ").replace("+", " and ")
    if "-" in folded:
        folded = _HYPHEN.sub(" ", folded)
    if "." in folded or "," in folded:
        # A decimal score reads as the next whole number: "6.5" is at least a 7 for safety.
        folded = _DECIMAL.sub(lambda m: str(math.ceil(float(f"{m[1]}.{m[2]}"))), folded)
    folded = _REPEATS.sub(r"\1\1", folded)  # "sooo" → "soo", "peeeing" → "peeing"
    folded = _PICTOGRAPH.sub(" . ", folded)
    return [_corrected(t) for t in _TOKEN.findall(folded)]


def _known(token: str) -> bool:
    lex = lexicon()
    if token in lex.known or (token.endswith("s") and token[:-1] in lex.known):
        return True
    return any(
        p[0] == "" or token.startswith(p[0][:-1]) for p, _ in lex.prefixed.get(token[:3], ())
    )


@lru_cache(maxsize=8192)
def _corrected(token: str) -> str:
    """The lexicon word a misspelt token means (one slip, unambiguous), else the token."""
    if len(token) < TYPO_SHORT or not token.isalpha() or _known(token):
        return token
    return _correction(token) or token


def would_correct(word: str) -> bool:
    """Whether a word would be read as a lexicon word if it were not on the real-word list."""
    lex = lexicon()
    if word in lex.known and word not in _real_words():
        return False
    if word in lex.vocabulary or len(word) < TYPO_SHORT:
        return False
    return _correction(word) is not None


def corrected(word: str) -> str:
    """How the understanding step reads one word: itself, or the lexicon word it misspells."""
    return _corrected(word)


def _correction(token: str) -> str | None:
    index = lexicon().typo_index
    candidates: set[str] = set(index.get(token, ()))
    for variant in _deletions(token):
        candidates |= index.get(variant, frozenset())
    hits = {
        word
        for word in candidates
        if one_typo(token, word)
        and (min(len(word), len(token)) >= TYPO_MIN or abs(len(word) - len(token)) == 1)
    }
    return hits.pop() if len(hits) == 1 else None


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class _Match:
    start: int
    end: int  # exclusive
    label: str


def _fits(pattern: Pattern, tokens: Sequence[str], at: int) -> bool:
    if at + len(pattern) > len(tokens):
        return False
    for offset in range(1, len(pattern)):
        want, got = pattern[offset], tokens[at + offset]
        if want == got:
            continue
        if got in _STOPS:
            return False
        if want[-1] == "*":
            if not got.startswith(want[:-1]):
                return False
        elif want[-1] == "#":
            if not (got.isdigit() and got.startswith(want[:-1])):
                return False
        else:
            return False
    return True


_STOPS = _BREAKS | {","}


def _matches(tokens: Sequence[str]) -> list[_Match]:
    lex = lexicon()
    found: list[_Match] = []
    size = len(tokens)
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < size else ""
        for pattern, label in lex.phrases.get(token, ()):
            n = len(pattern)
            if n == 1:
                found.append(_Match(i, i + 1, label))
            # Most longer phrases fail at their second word: check it before the rest.
            elif (pattern[1] == following or pattern[1][-1] in "*#") and _fits(pattern, tokens, i):
                found.append(_Match(i, i + n, label))
        key = token[0] if token[:1].isdigit() else token[:3]
        for pattern, label in lex.prefixed.get(key, ()):
            first = pattern[0]
            stem_ok = token.startswith(first[:-1]) if first[-1] == "*" else token.isdigit()
            if stem_ok and _fits(pattern, tokens, i):
                found.append(_Match(i, i + len(pattern), label))
    return found


@dataclass
class _Reading:
    tokens: list[str]
    sentence: list[int]  # sentence number of each token
    clause: list[int]  # clause number of each token (sentences split further by "but" ...)
    terms: dict[str, list[_Match]]
    modifiers: dict[str, list[_Match]]
    intents: list[_Match]
    when: list[_Match]
    zero: list[_Match]  # "no pain", "pain free": a score of 0 said in words


def _read(tokens: list[str]) -> _Reading:
    matches = _matches(tokens)
    pseudo = [m for m in matches if m.label == "m:pseudo"]
    shaping = [m for m in matches if m.label[0] in "tim"]  # what can hide a shorter modifier

    def covered(m: _Match) -> bool:
        # Inside a pseudo-trigger ("fell asleep", "not sure") a word is neither a finding nor a
        # modifier; inside a longer finding or modifier ("no feeling") a word is no modifier.
        wider = pseudo if m.label[0] in "ti" else shaping
        return any(
            c is not m
            and c.start <= m.start
            and m.end <= c.end
            and c.end - c.start > m.end - m.start
            for c in wider
        )

    # "me" in "threw me" still says whose it is: first-person words are never hidden.
    kept = [
        m
        for m in matches
        if m.label != "m:pseudo" and (m.label == "m:first_person" or not covered(m))
    ]
    content = [m for m in kept if m.label[0] in "ti"]
    modifiers: dict[str, list[_Match]] = {}
    for m in kept:
        if m.label[0] == "m":
            modifiers.setdefault(m.label[2:], []).append(m)
    sentence, clause = [], []
    s = c = 0
    ends = {m.start for m in modifiers.get("terminators", ())}
    for i, token in enumerate(tokens):
        if i in ends or (i and tokens[i - 1] == "," and token in _CLAUSE_OPENERS):
            c += 1
        sentence.append(s)
        clause.append(c)
        if token in _BREAKS:
            s += 1
            c += 1
    terms: dict[str, list[_Match]] = {}
    for m in content:
        if m.label[0] == "t":
            terms.setdefault(m.label[2:], []).append(m)
    intents = [m for m in content if m.label[0] == "i"]
    when = [m for m in matches if m.label[0] == "w"]
    zero = [m for m in matches if m.label[0] == "z"]
    return _Reading(tokens, sentence, clause, terms, modifiers, intents, when, zero)


def _between(reading: _Reading, a: int, b: int, kind: str) -> bool:
    return any(a <= m.start < b for m in reading.modifiers.get(kind, ()))


def _negated(reading: _Reading, at: _Match) -> bool:
    """A negation before the words: same clause, a few words away ("no numbness").

    "Nearly" and "almost" undo only the word right after them ("nearly fell", not "nearly a
    stone" of weight lost).
    """
    clause = reading.clause[at.start]
    for kind, reach in (("negation", NEGATION_REACH), ("almost", 0)):
        for m in reading.modifiers.get(kind, ()):
            if reading.clause[m.start] == clause and 0 <= at.start - m.end <= reach:
                return True
    return False


def _resolved(reading: _Reading, span: _Match) -> bool:
    """Said to be over, after the words: "the tingling went away", "numb, but fine now".

    Words that say it is over reach across "but" to the end of the sentence; words that only
    say it is fine ("it's ok") reach within their clause, so "numb but it's ok" is still heard.
    """
    last = span.end - 1
    spans = (
        ("resolved", reading.sentence, 2 * CONTEXT_REACH),
        ("resolved_here", reading.clause, CONTEXT_REACH),
    )
    for kind, scope, reach in spans:
        for m in reading.modifiers.get(kind, ()):
            if scope[m.start] == scope[last] and 0 <= m.start - span.end <= reach:
                return True
    return False


def _context(reading: _Reading, span: _Match, kind: str, *, before_only: bool) -> bool:
    clause = reading.clause[span.start]
    for m in reading.modifiers.get(kind, ()):
        if reading.clause[m.start] != clause:
            continue
        if m.end <= span.start and span.start - m.end <= CONTEXT_REACH:
            # "my horse threw me": the finding itself says "me", so it is mine.
            if kind == "experiencer" and _between(reading, m.end, span.end, "first_person"):
                continue
            return True
        if not before_only and m.start >= span.end and m.start - span.end <= CONTEXT_REACH:
            return True
    return False


def _hits(reading: _Reading, rule: _Rule) -> Iterator[tuple[_Match, tuple[_Match, ...]]]:
    """Each place the rule fires: its span and the matches that make it."""
    for group in rule.any:
        for m in reading.terms.get(group, ()):
            yield m, (m,)
    if not rule.near:
        return
    lists = [reading.terms.get(group, []) for group in rule.near]
    if not all(lists):
        return
    yield from _near(reading, rule.window, lists, ())


def _near(
    reading: _Reading,
    window: int,
    lists: list[list[_Match]],
    chosen: tuple[_Match, ...],
) -> Iterator[tuple[_Match, tuple[_Match, ...]]]:
    if not lists:
        start = min(m.start for m in chosen)
        end = max(m.end for m in chosen)
        gap = max(m.start for m in chosen) - min(m.end for m in chosen)
        if gap <= window and reading.sentence[start] == reading.sentence[end - 1]:
            yield _Match(start, end, "span"), chosen
        return
    for m in lists[0]:
        yield from _near(reading, window, lists[1:], (*chosen, m))


def _blocked(reading: _Reading, rule: _Rule) -> bool:
    """A plain "it eases when I turn over" keeps night pain from counting; "nothing eases it"
    or "not sure if moving helps" does not."""
    return any(
        not _negated(reading, m) and not _context(reading, m, "uncertain", before_only=False)
        for group in rule.block
        for m in reading.terms.get(group, ())
    )


def _findings(reading: _Reading) -> tuple[Finding, ...]:
    best: dict[Signal, Finding] = {}
    present = reading.terms.keys()
    for rule in lexicon().rules:
        if rule.near and not present >= set(rule.near):
            continue
        if not rule.near and present.isdisjoint(rule.any):
            continue
        if rule.block and _blocked(reading, rule):
            continue
        for span, parts in _hits(reading, rule):
            if any(_negated(reading, part) for part in parts):
                continue
            if _context(reading, span, "hypothetical", before_only=True):
                continue
            if _context(reading, span, "experiencer", before_only=True):
                continue
            if not rule.history_counts and (
                _resolved(reading, span) or _context(reading, span, "historical", before_only=False)
            ):
                continue
            sure = rule.sure and not _context(reading, span, "uncertain", before_only=False)
            found = Finding(rule.signal, sure, rule.kind)
            held = best.get(rule.signal)
            if held is None or (sure and not held.sure) or _graver(found, held):
                best[rule.signal] = found
    order = list(Signal)
    return tuple(sorted(best.values(), key=lambda f: order.index(f.signal)))


_KIND_WEIGHT = {
    PainKind.LEG_WEAKNESS: 3,
    PainKind.LEG_NUMBNESS: 2,
    PainKind.RADIATING: 1,
    PainKind.SHOOTING: 1,
}


def _graver(new: Finding, held: Finding) -> bool:
    if new.sure != held.sure:
        return new.sure
    return _KIND_WEIGHT.get(new.kind or PainKind.ACHE, 0) > _KIND_WEIGHT.get(
        held.kind or PainKind.ACHE, 0
    )


# --------------------------------------------------------------------------- pain scores

_NUMBER_WORDS = {
    "zero": 0, "nil": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
# "one" is left out: "that one", "the last one" are never scores (a whole "one" still is).
_LEADERS = frozenset(
    {"hmm", "meh", "um", "uh", "ok", "okay", "well", "so", "err", "erm", "ah", "oh"}
)
_AFTER = frozenset({"ish", "pain", "now", "rn", "atm", "this", "at", "during", "today", "on", "i"})


def _number(token: str) -> int | None:
    if token.endswith("ish") and len(token) > 3:
        token = token[:-3]
    if token.isdigit() and len(token) <= 2:
        return int(token)
    return _NUMBER_WORDS.get(token)


def _out_of_ten(tokens: Sequence[str], i: int) -> bool:
    after = tokens[i + 1 : i + 4]
    return after[:2] in (["/", "10"], ["/", "ten"], ["outta", "10"]) or after in (
        ["out", "of", "10"],
        ["out", "of", "ten"],
    )


def _score_at(reading: _Reading, i: int) -> int | None:
    """The 0–10 score the number at `i` gives, if it is one ("about a 6", "5/10", "6 now")."""
    tokens, lex = reading.tokens, lexicon()
    n = _number(tokens[i])
    if n is None or n > 10:
        return None
    if _out_of_ten(tokens, i):
        return n
    before = tokens[i - 1] if i else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if before in {"/", "outta"} or tokens[max(0, i - 2) : i] == ["out", "of"]:
        return None  # the 10 of "6/10"
    if after in lex.units or (after == ":" and i + 2 < len(tokens) and tokens[i + 2].isdigit()):
        return None
    if before == ":" and i >= 2 and tokens[i - 2].isdigit():
        return None
    if before in lex.not_before or (i >= 2 and tokens[i - 2] == "at" and before in _ABOUT):
        return None
    if before == "-" and (i < 2 or _number(tokens[i - 2]) is None):
        return None
    sentence = reading.sentence[i]
    window = range(max(0, i - CUE_REACH), i)
    if any(tokens[j] in lex.cues and reading.sentence[j] == sentence for j in window):
        return n
    opening = all(tokens[j] in _LEADERS for j in range(i) if reading.sentence[j] == sentence)
    closing = not after or after in _BREAKS or after == "," or after in _AFTER
    return n if opening or closing else None


_ABOUT = frozenset({"about", "around", "like", "roughly", "approx"})
_RANGE = frozenset({"-", "or", "to"})


_ZERO_AFTER = frozenset({"at", "today", "now", "during", "this", "so", "and", "but", "just", "all"})


def _whole_score(reading: _Reading, m: _Match) -> bool:
    """ "no pain at all" is a 0; "no pain going down my legs" says where, not how much."""
    after = reading.tokens[m.end] if m.end < len(reading.tokens) else ""
    return not after or after in _STOPS or after in _ZERO_AFTER


def _when(reading: _Reading, at: int) -> When | None:
    """When the score at `at` applies: the time words nearest to it in its sentence."""
    here = [m for m in reading.when if reading.sentence[m.start] == reading.sentence[at]]
    if not here:
        return None
    return When(min(here, key=lambda m: abs(m.start - at)).label[2:])


def _pain(reading: _Reading, text: str) -> tuple[PainScore | None, bool]:
    # Only a short reply can be a score and nothing else ("about a 4", "6/10").
    whole = parse_pain(text) if len(reading.tokens) <= SHORT_REPLY else None
    if whole is not None:
        at = next((i for i, t in enumerate(reading.tokens) if _number(t) is not None), 0)
        return PainScore(whole, _when(reading, at) if reading.tokens else None), True
    scores = [
        (i, n) for i in range(len(reading.tokens)) if (n := _score_at(reading, i)) is not None
    ]
    if not scores:
        zero = [m for m in reading.zero if not _negated(reading, m) and _whole_score(reading, m)]
        return (PainScore(0, _when(reading, zero[0].start)), False) if zero else (None, False)
    i, n = scores[-1]
    # "5-6" or "5 or 6": the higher one, since a score decides how careful tomorrow is.
    if len(scores) >= 2 and scores[-2][0] >= i - 3 and reading.tokens[i - 1] in _RANGE:
        n = max(n, scores[-2][1])
    return PainScore(n, _when(reading, i)), False


# --------------------------------------------------------------------------- intents


def _intents(reading: _Reading) -> frozenset[Intent]:
    longest: dict[int, _Match] = {}
    for m in reading.intents:
        held = longest.get(m.start)
        if held is None or m.end > held.end:
            longest[m.start] = m
    inside = [
        m for m in longest.values()
        if not any(o is not m and o.start < m.start and m.end <= o.end for o in longest.values())
    ]  # fmt: skip
    return frozenset(Intent(m.label[2:]) for m in inside if not _negated_intent(reading, m))


def _negated_intent(reading: _Reading, at: _Match) -> bool:
    if Intent(at.label[2:]) in _NOT_NEGATED:
        return False
    clause = reading.clause[at.start]
    return any(
        reading.clause[m.start] == clause and 0 <= at.start - m.end <= 1
        for m in reading.modifiers.get("negation", ())
    )


def _leading_answer(reading: _Reading) -> frozenset[Intent]:
    """ "Yes, I had cancer" and "no, I didn't fall" answer a question before they say more."""
    first = [t for i, t in enumerate(reading.tokens) if reading.sentence[i] == 0]
    words = [t for t in first if t not in _STOPS]
    said = lexicon().answer_words
    answer = said.get(words[0]) if words else None
    if answer is None or any(said.get(w) is (not answer) for w in words[1:]):
        return frozenset()  # no opening answer, or "yes and no"
    return frozenset({Intent.YES if answer else Intent.NO})


def _chosen(strict: Intent | None, found: frozenset[Intent]) -> Intent | None:
    if strict is not None:
        return strict
    return next((intent for intent in _INTENT_ORDER if intent in found), None)


def yes_no(text: str) -> bool | None:
    """A clear yes or no ("yes", "no I don't", "nope, never"); None for anything else.

    Emoji, question marks, "n/a" and hedged answers are not clear: the question is asked again.
    """
    return _answer(text, _tokens(text))


def _answer(text: str, tokens: Sequence[str]) -> bool | None:
    lex = lexicon()
    if "?" in text or "/" in text:
        return None
    words = [t for t in tokens if t not in _STOPS]
    if len(words) == 1 and words[0] in lex.single_answers:
        return lex.single_answers[words[0]]
    joined = " ".join(words)
    if joined in lex.answers:
        return lex.answers[joined]
    kept = [w for w in words if w not in lex.answer_fillers]
    joined = " ".join(kept)
    if joined in lex.answers:
        return lex.answers[joined]
    values = {lex.answer_words.get(w) for w in kept}
    if kept and len(values) == 1 and None not in values:
        return values.pop()
    return None


# --------------------------------------------------------------------------- the step


def understand(text: str) -> Understanding:
    """What a message says: safety findings, a pain score, intents, a yes or no."""
    reading = _read(_tokens(text))
    pain, exact = _pain(reading, text)
    # A reply that is one intent and nothing else is short ("I'm done now, thanks!").
    strict = parse_intent(text) if len(reading.tokens) <= SHORT_REPLY else None
    leading = _leading_answer(reading)
    found = _intents(reading) | leading
    if strict is not None:
        found = found | {strict}
    return Understanding(
        findings=_findings(reading),
        pain=pain,
        intents=found,
        intent=_chosen(strict, found),
        answer=_answer(text, reading.tokens),
        leading=(Intent.YES in leading) if leading else None,
        exact_pain=exact,
    )

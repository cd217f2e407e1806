"""One message read: phrases matched, clauses found, ConText modifiers and their reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.understanding.tokens import BREAKS, CLAUSE_OPENERS, STOPS
from bot.domain.understanding.vocabulary import (
    CONTEXT_REACH,
    NEGATION_REACH,
    Pattern,
    lexicon,
)


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int  # exclusive
    label: str


def fits(pattern: Pattern, tokens: Sequence[str], at: int) -> bool:
    if at + len(pattern) > len(tokens):
        return False
    for offset in range(1, len(pattern)):
        want, got = pattern[offset], tokens[at + offset]
        if want == got:
            continue
        if got in STOPS:
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


def _matches(tokens: Sequence[str]) -> list[Match]:
    lex = lexicon()
    found: list[Match] = []
    size = len(tokens)
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < size else ""
        for pattern, label in lex.phrases.get(token, ()):
            n = len(pattern)
            if n == 1:
                found.append(Match(i, i + 1, label))
            # Most longer phrases fail at their second word: check it before the rest.
            elif (pattern[1] == following or pattern[1][-1] in "*#") and fits(pattern, tokens, i):
                found.append(Match(i, i + n, label))
        key = token[0] if token[:1].isdigit() else token[:3]
        for pattern, label in lex.prefixed.get(key, ()):
            first = pattern[0]
            stem_ok = token.startswith(first[:-1]) if first[-1] == "*" else token.isdigit()
            if stem_ok and fits(pattern, tokens, i):
                found.append(Match(i, i + len(pattern), label))
    return found


@dataclass
class Reading:
    tokens: list[str]
    sentence: list[int]  # sentence number of each token
    clause: list[int]  # clause number of each token (sentences split further by "but" ...)
    terms: dict[str, list[Match]]
    modifiers: dict[str, list[Match]]
    intents: list[Match]
    when: list[Match]
    zero: list[Match]  # "no pain", "pain free": a score of 0 said in words


def read(tokens: list[str]) -> Reading:
    matches = _matches(tokens)
    pseudo = [m for m in matches if m.label == "m:pseudo"]
    shaping = [m for m in matches if m.label[0] in "tim"]  # what can hide a shorter modifier

    def covered(m: Match) -> bool:
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
    modifiers: dict[str, list[Match]] = {}
    for m in kept:
        if m.label[0] == "m":
            modifiers.setdefault(m.label[2:], []).append(m)
    sentence, clause = [], []
    s = c = 0
    ends = {m.start for m in modifiers.get("terminators", ())}
    for i, token in enumerate(tokens):
        if i in ends or (i and tokens[i - 1] == "," and token in CLAUSE_OPENERS):
            c += 1
        sentence.append(s)
        clause.append(c)
        if token in BREAKS:
            s += 1
            c += 1
    terms: dict[str, list[Match]] = {}
    for m in content:
        if m.label[0] == "t":
            terms.setdefault(m.label[2:], []).append(m)
    intents = [m for m in content if m.label[0] == "i"]
    when = [m for m in matches if m.label[0] == "w"]
    zero = [m for m in matches if m.label[0] == "z"]
    return Reading(tokens, sentence, clause, terms, modifiers, intents, when, zero)


def between(reading: Reading, a: int, b: int, kind: str) -> bool:
    return any(a <= m.start < b for m in reading.modifiers.get(kind, ()))


def negated(reading: Reading, at: Match) -> bool:
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


def resolved(reading: Reading, span: Match) -> bool:
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


def context(reading: Reading, span: Match, kind: str, *, before_only: bool) -> bool:
    clause = reading.clause[span.start]
    for m in reading.modifiers.get(kind, ()):
        if reading.clause[m.start] != clause:
            continue
        if m.end <= span.start and span.start - m.end <= CONTEXT_REACH:
            # "my horse threw me": the finding itself says "me", so it is mine.
            if kind == "experiencer" and between(reading, m.end, span.end, "first_person"):
                continue
            return True
        if not before_only and m.start >= span.end and m.start - span.end <= CONTEXT_REACH:
            return True
    return False

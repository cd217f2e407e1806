"""Intents in a message (stop, done, it hurt ...) and clear yes/no answers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.parsing import Intent
from bot.domain.understanding.reading import Match, Reading
from bot.domain.understanding.tokens import STOPS, tokens
from bot.domain.understanding.vocabulary import lexicon

# Which intent a step acts on when a long message names several: safety first, then ending.
INTENT_ORDER = (
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


def intents(reading: Reading) -> frozenset[Intent]:
    longest: dict[int, Match] = {}
    for m in reading.intents:
        held = longest.get(m.start)
        if held is None or m.end > held.end:
            longest[m.start] = m
    inside = [
        m for m in longest.values()
        if not any(o is not m and o.start < m.start and m.end <= o.end for o in longest.values())
    ]  # fmt: skip
    return frozenset(
        Intent(m.label[2:])
        for m in inside
        if not _negated_intent(reading, m) and not _done_asked(reading, m)
    )


def _done_asked(reading: Reading, at: Match) -> bool:
    """ "what's next?" asks; it does not tick an exercise off (a bare "next?" still does)."""
    if Intent(at.label[2:]) is not Intent.DONE or at.start == 0:
        return False
    tokens = reading.tokens
    asked = at.end < len(tokens) and tokens[at.end] == "?"
    return asked and reading.sentence[at.start - 1] == reading.sentence[at.start]


def _negated_intent(reading: Reading, at: Match) -> bool:
    if Intent(at.label[2:]) in _NOT_NEGATED:
        return False
    clause = reading.clause[at.start]
    return any(
        reading.clause[m.start] == clause and 0 <= at.start - m.end <= 1
        for m in reading.modifiers.get("negation", ())
    )


def leading_answer(reading: Reading) -> frozenset[Intent]:
    """ "Yes, I had cancer" and "no, I didn't fall" answer a question before they say more."""
    first = [t for i, t in enumerate(reading.tokens) if reading.sentence[i] == 0]
    words = [t for t in first if t not in STOPS]
    said = lexicon().answer_words
    answer = said.get(words[0]) if words else None
    if answer is None or any(said.get(w) is (not answer) for w in words[1:]):
        return frozenset()  # no opening answer, or "yes and no"
    return frozenset({Intent.YES if answer else Intent.NO})


def chosen(strict: Intent | None, found: frozenset[Intent]) -> Intent | None:
    if strict is not None:
        return strict
    return next((intent for intent in INTENT_ORDER if intent in found), None)


def yes_no(text: str) -> bool | None:
    """A clear yes or no ("yes", "no I don't", "nope, never"); None for anything else.

    Emoji, question marks, "n/a" and hedged answers are not clear: the question is asked again.
    """
    return answer(text, tokens(text))


def answer(text: str, tokens: Sequence[str]) -> bool | None:
    lex = lexicon()
    if "?" in text or "/" in text:
        return None
    words = [t for t in tokens if t not in STOPS]
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

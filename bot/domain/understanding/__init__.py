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

from bot.domain.feel import parse_feel
from bot.domain.parsing import Intent, parse_intent
from bot.domain.understanding.findings import findings
from bot.domain.understanding.intents import answer, chosen, intents, leading_answer, yes_no
from bot.domain.understanding.reading import read
from bot.domain.understanding.scores import pain as read_pain
from bot.domain.understanding.tokens import corrected, tokens, would_correct
from bot.domain.understanding.values import Finding, PainScore, Signal, Understanding, When
from bot.domain.understanding.vocabulary import REAL_WORDS, SHORT_REPLY, lexicon

__all__ = [
    "REAL_WORDS",
    "Finding",
    "PainScore",
    "Signal",
    "Understanding",
    "When",
    "corrected",
    "lexicon",
    "understand",
    "would_correct",
    "yes_no",
]


def understand(text: str) -> Understanding:
    """What a message says: safety findings, a pain score, intents, a yes or no."""
    reading = read(tokens(text))
    score, exact = read_pain(reading, text)
    # A reply that is one intent and nothing else is short ("I'm done now, thanks!").
    strict = parse_intent(text) if len(reading.tokens) <= SHORT_REPLY else None
    leading = leading_answer(reading)
    found = intents(reading) | leading
    if strict is not None:
        found = found | {strict}
    return Understanding(
        findings=findings(reading),
        pain=score,
        intents=found,
        intent=chosen(strict, found),
        answer=answer(text, reading.tokens),
        leading=(Intent.YES in leading) if leading else None,
        exact_pain=exact,
        feel=parse_feel(text) if len(reading.tokens) <= SHORT_REPLY else None,
    )

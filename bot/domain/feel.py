"""How a routine felt, in the person's own words: easy, about right or hard.

Asked after every routine (after the end pain). Progress is earned only from "easy" (see
``bot.domain.adaptation_rules``), so the parser is strict: it reads a short whole reply
("easy", "too easy", "it was about right", "a bit hard", "not too bad") and nothing else;
a longer message, or one that says two things, is not an answer.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["Feel", "parse_feel"]


class Feel(StrEnum):
    """The answer to "How did that feel?"."""

    EASY = "easy"
    RIGHT = "right"  # about right
    HARD = "hard"


# Words that colour an answer without changing it ("it felt really easy").
_FILLER = frozenset(
    {
        "it", "that", "this", "today", "was", "is", "felt", "feels", "feel", "quite", "very",
        "really", "pretty", "fairly", "bit", "a", "little", "rather", "so", "somewhat", "kind",
        "of", "kinda", "overall", "actually", "honestly", "i", "think", "guess", "the",
        "routine", "workout", "session", "one", "way", "just", "all", "at", "in", "thanks",
        "thank", "you", "hmm", "um", "uh", "err", "erm", "well", "yeah", "yep", "lol",
    }
)  # fmt: skip
_PHRASES: dict[str, Feel] = {
    **dict.fromkeys(
        ["easy", "too easy", "easy enough", "easier", "simple", "too simple", "breeze",
         "easy peasy"],
        Feel.EASY,
    ),
    **dict.fromkeys(
        ["about right", "right", "fine", "ok", "okay", "alright", "good", "moderate", "medium",
         "manageable", "doable", "spot on", "perfect", "not bad", "not too bad", "not too hard",
         "not too easy", "not too easy not too hard", "between", "not hard",
         "not challenging"],
        Feel.RIGHT,
    ),
    **dict.fromkeys(
        ["hard", "too hard", "harder", "tough", "too tough", "difficult", "too difficult",
         "challenging", "heavy", "tiring", "exhausting", "not easy", "too much"],
        Feel.HARD,
    ),
}  # fmt: skip
_MAX_WORDS = 8
_WORD = re.compile(r"[a-z]+")
_NOT = re.compile(r"\b(?:wasn't|wasnt|isn't|isnt|didn't|didnt)\b")


def parse_feel(text: str) -> Feel | None:
    """The answer in a short reply ("easy", "about right", "hard", "too easy"), or None."""
    lowered = _NOT.sub(" not ", text.lower().replace("’", "'"))
    words = _WORD.findall(lowered)
    if not words or len(words) > _MAX_WORDS:
        return None
    return _PHRASES.get(" ".join(w for w in words if w not in _FILLER))

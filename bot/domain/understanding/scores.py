"""Pain scores in a message: "6", "6/10", "about a 6", "worse, maybe 7", and when."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.parsing import parse_pain
from bot.domain.understanding.reading import Match, Reading, negated
from bot.domain.understanding.tokens import BREAKS, STOPS
from bot.domain.understanding.values import PainScore, When
from bot.domain.understanding.vocabulary import CUE_REACH, SHORT_REPLY, lexicon

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


def _score_at(reading: Reading, i: int) -> int | None:
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
    closing = not after or after in BREAKS or after == "," or after in _AFTER
    return n if opening or closing else None


_ABOUT = frozenset({"about", "around", "like", "roughly", "approx"})
_RANGE = frozenset({"-", "or", "to"})


_ZERO_AFTER = frozenset({"at", "today", "now", "during", "this", "so", "and", "but", "just", "all"})


def _whole_score(reading: Reading, m: Match) -> bool:
    """ "no pain at all" is a 0; "no pain going down my legs" says where, not how much."""
    after = reading.tokens[m.end] if m.end < len(reading.tokens) else ""
    return not after or after in STOPS or after in _ZERO_AFTER


def _when(reading: Reading, at: int) -> When | None:
    """When the score at `at` applies: the time words nearest to it in its sentence."""
    here = [m for m in reading.when if reading.sentence[m.start] == reading.sentence[at]]
    if not here:
        return None
    return When(min(here, key=lambda m: abs(m.start - at)).label[2:])


def pain(reading: Reading, text: str) -> tuple[PainScore | None, bool]:
    # Only a short reply can be a score and nothing else ("about a 4", "6/10").
    whole = parse_pain(text) if len(reading.tokens) <= SHORT_REPLY else None
    if whole is not None:
        at = next((i for i, t in enumerate(reading.tokens) if _number(t) is not None), 0)
        return PainScore(whole, _when(reading, at) if reading.tokens else None), True
    scores = [
        (i, n) for i in range(len(reading.tokens)) if (n := _score_at(reading, i)) is not None
    ]
    if not scores:
        zero = [m for m in reading.zero if not negated(reading, m) and _whole_score(reading, m)]
        return (PainScore(0, _when(reading, zero[0].start)), False) if zero else (None, False)
    i, n = scores[-1]
    # "5-6" or "5 or 6": the higher one, since a score decides how careful tomorrow is.
    if len(scores) >= 2 and scores[-2][0] >= i - 3 and reading.tokens[i - 1] in _RANGE:
        n = max(n, scores[-2][1])
    return PainScore(n, _when(reading, i)), False

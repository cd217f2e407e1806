"""Free text in the routine player: which action a typed word means in each phase.

Intents come from :func:`bot.domain.parsing.parse_intent` (case, emoji and small typos are
handled there); this module maps them onto the player's actions and reads the kind of pain.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.parsing import Intent, parse_intent, parse_pain
from bot.domain.player import Action, Phase
from bot.domain.safety import PainKind

__all__ = ["intent_action", "parse_pain_kind", "read", "wants_shorter"]

_EXERCISE = {
    Intent.DONE: Action.DONE,
    Intent.SKIP: Action.SKIP,
    Intent.HURT: Action.HURT,
    Intent.STOP: Action.STOP,
}
_ACTIONS: dict[Phase, dict[Intent, Action]] = {
    Phase.INTRO: {
        Intent.START: Action.GO,
        Intent.YES: Action.GO,
        Intent.DONE: Action.GO,
        Intent.RESUME: Action.GO,
        Intent.NO: Action.NOT_TODAY,
        Intent.SKIP: Action.NOT_TODAY,
        Intent.STOP: Action.NOT_TODAY,
    },
    Phase.CARD: {**_EXERCISE, Intent.START: Action.TIMER, Intent.RESUME: Action.TIMER},
    Phase.RUNNING: {**_EXERCISE, Intent.PAUSE: Action.PAUSE},
    Phase.PAUSED: {**_EXERCISE, Intent.RESUME: Action.RESUME, Intent.START: Action.RESUME},
    # Mid-way through sets, "done" or "next" means this block; the last block ends it.
    Phase.REPS: {**_EXERCISE, Intent.DONE: Action.NEXT},
    Phase.COMPLETE: {**_EXERCISE, Intent.YES: Action.DONE},
    Phase.HURT_KIND: {Intent.STOP: Action.STOP, Intent.NO: Action.BACK},
    Phase.HURT_PAIN: {Intent.STOP: Action.STOP},
    Phase.HURT_NEXT: {
        Intent.DONE: Action.NEXT_EXERCISE,
        Intent.START: Action.NEXT_EXERCISE,
        Intent.YES: Action.NEXT_EXERCISE,
        Intent.RESUME: Action.NEXT_EXERCISE,
        Intent.STOP: Action.END,
        Intent.NO: Action.END,
        Intent.SKIP: Action.NEXT_EXERCISE,
    },
    Phase.END_PAIN: {Intent.STOP: Action.STOP, Intent.SKIP: Action.STOP},
}


def intent_action(phase: Phase, intent: Intent) -> Action | None:
    """The action a typed intent means in this phase, or None (the caller shows a hint)."""
    return _ACTIONS.get(phase, {}).get(intent)


# The most serious kind named wins: leg symptoms, then sharp, then an ache.
_KINDS: tuple[tuple[PainKind, frozenset[str]], ...] = (
    (PainKind.LEG_NUMBNESS, frozenset({"numb", "numbness", "tingling", "tingly", "tingle",
                                       "pins", "needles"})),
    (PainKind.LEG_WEAKNESS, frozenset({"weak", "weakness"})),
    (PainKind.RADIATING, frozenset({"leg", "legs", "buttock", "buttocks", "thigh", "calf",
                                    "foot", "radiating", "radiates", "spreading", "spreads"})),
    (PainKind.SHOOTING, frozenset({"shooting", "shoots", "shot", "electric", "zap", "zing"})),
    (PainKind.SHARP, frozenset({"sharp", "stabbing", "stab", "knife", "sudden", "twinge"})),
    (PainKind.ACHE, frozenset({"ache", "aching", "achy", "aches", "muscle", "muscles",
                               "working", "burn", "burning", "tired", "dull"})),
    (PainKind.STIFF, frozenset({"stiff", "stiffness", "tight", "tightness"})),
)  # fmt: skip
_NEGATIONS = frozenset({"no", "not", "never", "without", "isnt", "wasnt", "dont", "didnt", "nor"})
_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WORD.findall(re.sub(r"['’‘`´]", "", folded))


def parse_pain_kind(text: str) -> PainKind | None:
    """The kind of pain a typed answer names ("sharp", "into my leg", "just aching"), or None."""
    # Any negation ("not sharp") gives None: the user is asked again with buttons rather
    # than have a guess decide whether the routine stops.
    words = set(_words(text))
    if words & _NEGATIONS:
        return None
    for kind, keys in _KINDS:
        if words & keys:
            return kind
    return None


def wants_shorter(text: str) -> bool:
    """Whether a typed intro answer asks for the shorter routine ("shorter", "10 min")."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return bool(re.search(r"\bshort(er)?\b|\b10\s*(min|minutes?)?\b|\bquick(er)?\b", folded))


def read(phase: Phase, text: str) -> tuple[Action | None, int | PainKind | None]:
    """What a typed message means in this phase: an action and its value, or (None, None)."""
    if phase in (Phase.HURT_PAIN, Phase.END_PAIN):
        pain = parse_pain(text)
        if pain is not None:
            return Action.PAIN, pain
    if phase is Phase.HURT_KIND:
        kind = parse_pain_kind(text)
        if kind is not None:
            return Action.KIND, kind
    if phase is Phase.INTRO and wants_shorter(text):
        return Action.SHORTER, None
    intent = parse_intent(text)
    if intent in (None, Intent.HURT) and phase in _HURTABLE:
        # "Sharp pain!" or "tingling in my leg" is "it hurt" with its kind already said.
        kind = parse_pain_kind(text)
        if kind is not None:
            return Action.HURT, kind
    if intent is None or intent is Intent.HELP:
        return None, None
    return intent_action(phase, intent), None


_HURTABLE = frozenset({Phase.CARD, Phase.RUNNING, Phase.PAUSED, Phase.REPS, Phase.COMPLETE})

"""Free text in the routine player: which action a typed word means in each phase.

Intents come from :func:`bot.domain.parsing.parse_intent` (case, emoji and small typos are
handled there); this module maps them onto the player's actions and reads the kind of pain.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.parsing import Intent
from bot.domain.player import LEG_KINDS, Action, Phase
from bot.domain.safety import PainKind
from bot.domain.understanding import Understanding

__all__ = ["MILD", "intent_action", "parse_pain_kind", "read", "wants_shorter"]

_EXERCISE = {
    Intent.DONE: Action.DONE,
    Intent.SKIP: Action.SKIP,
    Intent.HURT: Action.HURT,
    Intent.STOP: Action.STOP,
    Intent.NOT_TODAY: Action.STOP,
}
_ACTIONS: dict[Phase, dict[Intent, Action]] = {
    Phase.INTRO: {
        Intent.NOT_TODAY: Action.NOT_TODAY,
        Intent.LATER: Action.NOT_TODAY,
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
    Phase.HURT_KIND: {
        Intent.STOP: Action.STOP,
        Intent.NO: Action.BACK,
        Intent.NOT_TODAY: Action.STOP,
    },
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


def read(
    phase: Phase, heard: Understanding, text: str
) -> tuple[Action | None, int | PainKind | None]:
    """What an understood message means in this phase: an action and its value, or (None, None).

    Safety findings that end the routine (red flags, leg symptoms) are acted on before this;
    a sharp pain here is "it hurt" with its kind already said.
    """
    if phase in (Phase.HURT_PAIN, Phase.END_PAIN) and heard.pain is not None:
        return Action.PAIN, heard.pain.value
    sharp, leg = heard.sharp, heard.leg
    # The most serious kind heard: leg symptoms, then sharp pain.
    heard_kind = next((f.kind for f in (leg, sharp) if f is not None and f.sure), None)
    if phase is Phase.HURT_KIND:
        kind = heard_kind or _kind_answer(text)
        if kind is not None:
            return Action.KIND, kind
    if phase is Phase.INTRO and wants_shorter(text):
        return Action.SHORTER, None
    intent = heard.intent
    if phase in _HURTABLE:
        if heard_kind is not None or sharp is not None:
            return Action.HURT, heard_kind
        if intent in (None, Intent.HURT):
            kind = parse_pain_kind(text)
            if kind is not None and kind not in LEG_KINDS:
                # "aching!" is "it hurt" with its kind said; leg words are the understanding
                # step's to judge (negation, history), never a bare keyword's.
                return Action.HURT, kind
        if intent is None and heard.pain is not None and heard.pain.value > MILD:
            # "it's a 6 now" during an exercise: it hurts; the kind is asked next.
            return Action.HURT, None
    if intent is None or intent is Intent.HELP:
        return None, None
    return intent_action(phase, intent), None


def _kind_answer(text: str) -> PainKind | None:
    """The kind named as an answer to "what did it feel like?" ("leg", "an ache").

    A longer message naming the leg is left to the understanding step, which knows
    "numb last year but fine now" from "numb".
    """
    kind = parse_pain_kind(text)
    if kind in LEG_KINDS and len(text.split()) > SHORT_ANSWER:
        return None
    return kind


SHORT_ANSWER = 3  # words
MILD = 3  # a score this low during an exercise is no reason to stop it
_HURTABLE = frozenset({Phase.CARD, Phase.RUNNING, Phase.PAUSED, Phase.REPS, Phase.COMPLETE})

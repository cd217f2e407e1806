"""Plain-text exercise cards as the bot shows them on a phone.

A card is the exercise name, its purpose, the dose line, the numbered steps and one caution.
Everything is plain text (the data forbids Markdown and HTML characters), well under
:data:`CARD_MAX_CHARS`.
"""

from __future__ import annotations

from content.model import Dose, Exercise

CARD_MAX_CHARS = 900


def dose_text(exercise: Exercise, dose: Dose) -> str:
    """The dose in a few words, e.g. "hold 10 s × 8" or "10 reps × 2 sets, each side"."""
    if dose.kind == "hold" and dose.amount >= 60 and dose.reps == 1 and dose.sets == 1:
        return _duration(dose.amount)
    if dose.kind == "reps":
        text = _plural(dose.amount, "rep")
        if dose.sets > 1:
            text += f" × {_plural(dose.sets, 'set')}"
    else:
        text = f"hold {dose.amount} s"
        if dose.reps > 1:
            text += f" × {dose.reps}"
        if dose.sets > 1:
            text += f"{', ' if dose.reps > 1 else ' × '}{_plural(dose.sets, 'set')}"
    if dose.per_side:
        text += ", each side"
        if dose.kind == "reps" and exercise.alternate_sides:
            text += ", alternating"
    if dose.sets > 1 and dose.rest_s:
        text += f", rest {dose.rest_s} s"
    return text


def exercise_card(exercise: Exercise, dose: Dose) -> str:
    """The card text for one exercise at this dose."""
    lines = [exercise.name, exercise.purpose, dose_text(exercise, dose), ""]
    lines += [f"{number}. {step}" for number, step in enumerate(exercise.steps, start=1)]
    lines += ["", f"Caution: {exercise.cautions[0]}"]
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "")

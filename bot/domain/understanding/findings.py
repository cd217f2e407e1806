"""Safety findings: each signal rule of the lexicon, with its modifiers applied."""

from __future__ import annotations

from collections.abc import Iterator

from bot.domain.safety import PainKind
from bot.domain.understanding.reading import (
    Match,
    Reading,
    context,
    negated,
    resolved,
)
from bot.domain.understanding.values import Finding, Signal
from bot.domain.understanding.vocabulary import Rule, lexicon


def _hits(reading: Reading, rule: Rule) -> Iterator[tuple[Match, tuple[Match, ...]]]:
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
    reading: Reading,
    window: int,
    lists: list[list[Match]],
    chosen: tuple[Match, ...],
) -> Iterator[tuple[Match, tuple[Match, ...]]]:
    if not lists:
        start = min(m.start for m in chosen)
        end = max(m.end for m in chosen)
        gap = max(m.start for m in chosen) - min(m.end for m in chosen)
        if gap <= window and reading.sentence[start] == reading.sentence[end - 1]:
            yield Match(start, end, "span"), chosen
        return
    for m in lists[0]:
        yield from _near(reading, window, lists[1:], (*chosen, m))


def _blocked(reading: Reading, rule: Rule) -> bool:
    """A plain "it eases when I turn over" keeps night pain from counting; "nothing eases it"
    or "not sure if moving helps" does not."""
    return any(
        not negated(reading, m) and not context(reading, m, "uncertain", before_only=False)
        for group in rule.block
        for m in reading.terms.get(group, ())
    )


def findings(reading: Reading) -> tuple[Finding, ...]:
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
            if any(negated(reading, part) for part in parts):
                continue
            if context(reading, span, "hypothetical", before_only=True):
                continue
            if context(reading, span, "experiencer", before_only=True):
                continue
            if not rule.history_counts and (
                resolved(reading, span) or context(reading, span, "historical", before_only=False)
            ):
                continue
            sure = rule.sure and not context(reading, span, "uncertain", before_only=False)
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

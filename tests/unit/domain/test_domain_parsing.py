"""Free-text parsers: what a user types during onboarding and in the routine player."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.parsing import (
    Intent,
    is_morning,
    parse_days,
    parse_intent,
    parse_pain,
    parse_time,
)

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --------------------------------------------------------------------------- pain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6", 6),
        ("6/10", 6),
        ("6 / 10", 6),
        ("six", 6),
        ("Six", 6),
        ("about 5", 5),
        ("5 out of 10", 5),
        ("five out of ten", 5),
        ("pain 7", 7),
        ("Pain: 7/10 today", 7),
        ("~4", 4),
        ("  8 ", 8),
        ("8.", 8),
        ("10", 10),
        ("10/10", 10),
        ("0", 0),
        ("zero", 0),
        ("ten", 10),
        ("none", 0),
        ("no pain", 0),
        ("6️⃣", 6),
        ("🔟", 10),
        ("0️⃣", 0),
        ("I'd say 3", 3),
        ("maybe a 2", 2),
        ("６", 6),  # full-width digit from an East Asian keyboard
    ],
)
def test_parse_pain_reads_a_score(text: str, expected: int) -> None:
    assert parse_pain(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "11",
        "-1",
        "100",
        "5-6",  # a range: ambiguous, ask again
        "5–6",
        "5 or 6",
        "5.5",
        "5,5",
        "6/5",
        "11/10",
        "",
        "   ",
        "abc",
        "bad",
        "it hurts",
        "I walked 3 km",
        "3 days",
        "twelve",
    ],
)
def test_parse_pain_rejects_what_is_not_one_score(text: str) -> None:
    assert parse_pain(text) is None


@settings(max_examples=60)
@given(
    score=st.integers(0, 10),
    as_word=st.booleans(),
    suffix=st.sampled_from(["", "/10", " out of 10", " / 10"]),
    left=st.text(" \t\n", max_size=3),
    right=st.text(" \t\n", max_size=3),
)
def test_parse_pain_any_spelling_of_a_valid_score(
    score: int, as_word: bool, suffix: str, left: str, right: str
) -> None:
    word = NUMBER_WORDS[score] if as_word else str(score)
    assert parse_pain(f"{left}{word.upper() if as_word else word}{suffix}{right}") == score


@settings(max_examples=40)
@given(st.integers().filter(lambda n: not 0 <= n <= 10))
def test_parse_pain_out_of_range_is_none(n: int) -> None:
    assert parse_pain(str(n)) is None


@settings(max_examples=100)
@given(st.text())
def test_parse_pain_never_raises(text: str) -> None:
    result = parse_pain(text)
    assert result is None or 0 <= result <= 10


# --------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:45", time(7, 45)),
        ("07.45", time(7, 45)),
        ("7:45am", time(7, 45)),
        ("7:45 AM", time(7, 45)),
        ("7.45 pm", time(19, 45)),
        ("7.45 p.m.", time(19, 45)),
        ("19:00", time(19, 0)),
        ("7", time(7, 0)),
        ("7am", time(7, 0)),
        ("7 am", time(7, 0)),
        ("0745", time(7, 45)),
        ("745", time(7, 45)),
        ("7h45", time(7, 45)),
        ("7h", time(7, 0)),
        ("at 6:30", time(6, 30)),
        ("8 o'clock", time(8, 0)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("12:30 am", time(0, 30)),
        ("noon", time(12, 0)),
        ("Midnight", time(0, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
    ],
)
def test_parse_time_reads_a_clock_time(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "24:00",
        "7:60",
        "abc",
        "",
        "13pm",
        "0am",
        "19:00 pm",
        "7:5",
        "7:45:00",
        "-7",
        "07450",
    ],
)
def test_parse_time_rejects_impossible_times(text: str) -> None:
    assert parse_time(text) is None


@settings(max_examples=100)
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), sep=st.sampled_from([":", ".", "h"]))
def test_parse_time_24_hour_round_trip(hour: int, minute: int, sep: str) -> None:
    assert parse_time(f"{hour}{sep}{minute:02d}") == time(hour, minute)
    assert parse_time(f"{hour:02d}{minute:02d}") == time(hour, minute)


@settings(max_examples=100)
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), space=st.sampled_from(["", " "]))
def test_parse_time_12_hour_round_trip(hour: int, minute: int, space: str) -> None:
    written = time(hour, minute).strftime(f"%I:%M{space}%p")
    assert parse_time(written) == time(hour, minute)


@settings(max_examples=100)
@given(st.text())
def test_parse_time_never_raises(text: str) -> None:
    parse_time(text)


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (time(3, 59), False),
        (time(4, 0), True),
        (time(7, 30), True),
        (time(11, 59), True),
        (time(12, 0), False),
        (time(19, 0), False),
        (time(0, 0), False),
    ],
)
def test_is_morning(t: time, expected: bool) -> None:
    assert is_morning(t) is expected


# --------------------------------------------------------------------------- days

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon wed fri", {MON, WED, FRI}),
        ("Mon, Wed, Fri", {MON, WED, FRI}),
        ("monday-friday", {MON, TUE, WED, THU, FRI}),
        ("Monday – Friday", {MON, TUE, WED, THU, FRI}),
        ("mon to fri", {MON, TUE, WED, THU, FRI}),
        ("fri-mon", {FRI, SAT, SUN, MON}),
        ("weekdays", {MON, TUE, WED, THU, FRI}),
        ("week days", {MON, TUE, WED, THU, FRI}),
        ("weekends", {SAT, SUN}),
        ("weekend", {SAT, SUN}),
        ("mo we fr", {MON, WED, FRI}),
        ("tue thu sat", {TUE, THU, SAT}),
        ("tues and thurs", {TUE, THU}),
        ("Mondays and Wednesdays", {MON, WED}),
        ("every day", set(range(7))),
        ("daily", set(range(7))),
        ("every day except sunday", set(range(6))),
        ("weekdays but not wed", {MON, TUE, THU, FRI}),
        ("sat & sun", {SAT, SUN}),
        ("su", {SUN}),
    ],
)
def test_parse_days_reads_weekdays(text: str, expected: set[int]) -> None:
    assert parse_days(text) == frozenset(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "whenever",
        "3 days a week",
        "mon wendsday fri",  # a misspelt day is asked again, never silently dropped
        "m w f",
        "t",
        "mon or tue",
        "every day except every day",
    ],
)
def test_parse_days_rejects_what_it_cannot_read_in_full(text: str) -> None:
    assert parse_days(text) is None


@settings(max_examples=100)
@given(
    days=st.sets(st.integers(0, 6), min_size=1),
    length=st.sampled_from([2, 3, None]),
    separator=st.sampled_from([" ", ", ", " and ", ",", " & "]),
    data=st.data(),
)
def test_parse_days_any_listing_of_days(
    days: set[int], length: int | None, separator: str, data: st.DataObject
) -> None:
    ordered = data.draw(st.permutations(sorted(days)))
    words = [DAY_NAMES[d][:length] for d in ordered]
    text = separator.join(w.capitalize() if data.draw(st.booleans()) else w for w in words)
    assert parse_days(text) == frozenset(days)


@settings(max_examples=100)
@given(st.text())
def test_parse_days_never_raises(text: str) -> None:
    result = parse_days(text)
    assert result is None or (result and result <= frozenset(range(7)))


# --------------------------------------------------------------------------- intents


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("done", Intent.DONE),
        ("did it", Intent.DONE),
        ("I did it!", Intent.DONE),
        ("finished", Intent.DONE),
        ("all done ✅", Intent.DONE),
        ("I'm done now", Intent.DONE),
        ("next", Intent.DONE),
        ("ok done", Intent.DONE),
        ("skip", Intent.SKIP),
        ("skip this one", Intent.SKIP),
        ("it hurt", Intent.HURT),
        ("hurt", Intent.HURT),
        ("it hurts a bit", Intent.HURT),
        ("pain", Intent.HURT),
        ("ouch", Intent.HURT),
        ("Ouchhh!!", Intent.HURT),
        ("stop", Intent.STOP),
        ("STOP!", Intent.STOP),
        ("stop, it hurts", Intent.HURT),  # any mention of hurting is handled as hurting
        ("start", Intent.START),
        ("let's go", Intent.START),
        ("pause", Intent.PAUSE),
        ("hold on", Intent.PAUSE),
        ("continue", Intent.RESUME),
        ("carry on", Intent.RESUME),
        ("yes", Intent.YES),
        ("Yeah 👍", Intent.YES),
        ("ok", Intent.YES),
        ("no", Intent.NO),
        ("nope", Intent.NO),
        ("nooo", Intent.NO),
        ("not now", Intent.LATER),
        ("help", Intent.HELP),
        ("?", Intent.HELP),
        ("✅", Intent.DONE),
        ("👍", Intent.YES),
        ("👎", Intent.NO),
        ("⏸️", Intent.PAUSE),
        ("🤕", Intent.HURT),
        # one slip in a word of four letters or more
        ("doen", Intent.DONE),
        ("finsihed", Intent.DONE),
        ("dobe", Intent.DONE),  # b is next to n
        ("stpo", Intent.STOP),
        ("skipp", Intent.SKIP),
        ("contineu", Intent.RESUME),
    ],
)
def test_parse_intent_understands(text: str, expected: Intent) -> None:
    assert parse_intent(text) is expected


@pytest.mark.parametrize(
    "text",
    [
        "it did not hurt",
        "it didn't hurt",
        "It didn’t hurt at all",
        "doesn't hurt",
        "no pain",
        "without pain",
        "I am not done yet",
        "not done",
        "don't stop",
        "never mind",
        "skp",  # three letters: exact only
        "dne",
        "sore",  # muscle soreness is normal, not "it hurt"; and not a typo of "sure"
        "much",
        "touch",
        "star",
        "quite",
        "hope",
        "the weather is nice",
        "what time is it",
        "7",
        "done 7",
        "stop start",  # two different wishes: ask
        "",
        "   ",
        "🙂",
    ],
)
def test_parse_intent_does_not_misfire(text: str) -> None:
    assert parse_intent(text) is None


def test_next_is_done() -> None:
    assert Intent.NEXT.value == Intent.DONE.value
    assert parse_intent("next") is Intent.DONE


PHRASES = [
    ("done", Intent.DONE),
    ("did it", Intent.DONE),
    ("finished", Intent.DONE),
    ("next", Intent.DONE),
    ("skip", Intent.SKIP),
    ("it hurt", Intent.HURT),
    ("hurt", Intent.HURT),
    ("pain", Intent.HURT),
    ("ouch", Intent.HURT),
    ("stop", Intent.STOP),
    ("start", Intent.START),
    ("pause", Intent.PAUSE),
    ("resume", Intent.RESUME),
    ("yes", Intent.YES),
    ("no", Intent.NO),
    ("help", Intent.HELP),
]
DECORATION = st.text(
    alphabet=st.sampled_from([" ", "\t", "\n", "!", ".", "…", ",", "🙂", "💪", "🔥", "✨", "🙏"]),
    max_size=4,
)


@settings(max_examples=150)
@given(
    pair=st.sampled_from(PHRASES),
    casing=st.lists(st.booleans(), min_size=12, max_size=12),
    left=DECORATION,
    right=DECORATION,
)
def test_parse_intent_survives_casing_emoji_and_whitespace(
    pair: tuple[str, Intent], casing: list[bool], left: str, right: str
) -> None:
    phrase, intent = pair
    cased = "".join(c.upper() if up else c for c, up in zip(phrase, casing, strict=False))
    assert parse_intent(f"{left}{cased}{right}") is intent


@settings(max_examples=60)
@given(
    phrase=st.sampled_from([p for p, i in PHRASES if i is Intent.HURT]),
    negation=st.sampled_from(["did not", "didn't", "does not", "doesn't", "it did not", "never"]),
)
def test_negated_hurt_is_never_hurt(phrase: str, negation: str) -> None:
    assert parse_intent(f"{negation} {phrase.removeprefix('it ')}") is not Intent.HURT


@settings(max_examples=150)
@given(st.text())
def test_parse_intent_never_raises(text: str) -> None:
    assert parse_intent(text) in {None, *Intent}

"""The understanding step: the labelled corpus, the issue's examples, and robustness."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.parsing import Intent
from bot.domain.safety import PainKind, RedFlag
from bot.domain.understanding import Signal, When, understand, yes_no

HERE = Path(__file__).parent
CORPUS = [
    json.loads(line)
    for path in sorted(HERE.glob("corpus_*.jsonl"))
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
KINDS = [s.value for s in Signal]


def _expected(labels: list[str], kind: str) -> bool:
    return f"flag:{kind}" in labels or (kind in ("leg", "sharp") and kind in labels)


def scores() -> dict[str, tuple[int, int]]:
    """Per class: (found, labelled) for each safety kind; (alarms, messages) for the rest."""
    table: Counter[str] = Counter()
    for row in CORPUS:
        heard = {f.signal.value for f in understand(row["text"]).findings}
        for kind in KINDS:
            if _expected(row["labels"], kind):
                table[f"{kind}:n"] += 1
                table[f"{kind}:hit"] += kind in heard
            if f"unsure:{kind}" in row["labels"]:
                table["unsure:n"] += 1
                table["unsure:hit"] += kind in heard
        if row["group"] in ("negated", "plain"):
            table[f"{row['group']}:n"] += 1
            table[f"{row['group']}:hit"] += bool(heard)
    classes = [*KINDS, "unsure", "negated", "plain"]
    return {c: (table[f"{c}:hit"], table[f"{c}:n"]) for c in classes}


def test_the_corpus_is_big_enough_and_covers_every_class() -> None:
    groups = Counter(row["group"] for row in CORPUS)
    assert len(CORPUS) >= 500
    assert groups["negated"] >= 60
    assert groups["mixed"] >= 30
    table = scores()
    assert all(table[kind][1] >= 30 for kind in KINDS), table


@pytest.mark.parametrize("kind", KINDS)
def test_every_safety_kind_is_heard_in_every_message_that_says_it(kind: str) -> None:
    missed = [
        row["text"]
        for row in CORPUS
        if (_expected(row["labels"], kind) or f"unsure:{kind}" in row["labels"])
        and kind not in {f.signal.value for f in understand(row["text"]).findings}
    ]
    assert missed == []


def test_negated_and_resolved_messages_raise_at_most_five_percent_false_alarms() -> None:
    table = scores()
    alarms, total = table["negated"]
    assert alarms / total <= 0.05, f"{alarms} of {total}"
    alarms, total = table["plain"]
    assert alarms / total <= 0.05, f"{alarms} of {total}"


def test_every_labelled_pain_score_is_read() -> None:
    wrong = []
    for row in CORPUS:
        wanted = {int(label[5:]) for label in row["labels"] if label.startswith("pain:")}
        pain = understand(row["text"]).pain
        if (pain.value if pain else None) not in (wanted or {None}):
            wrong.append((row["text"], wanted, pain))
    assert wrong == []


def test_every_labelled_intent_is_the_one_a_step_acts_on() -> None:
    wrong = []
    for row in CORPUS:
        wanted = {label[7:] for label in row["labels"] if label.startswith("intent:")}
        intent = understand(row["text"]).intent
        if wanted and (intent is None or intent.value not in wanted):
            wrong.append((row["text"], wanted, intent))
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "signal", "kind"),
    [
        ("i feel numb in my leg", Signal.LEG, PainKind.LEG_NUMBNESS),
        ("numb in my leg", Signal.LEG, PainKind.LEG_NUMBNESS),
        ("my left leg keeps giving way", Signal.LEG, PainKind.LEG_WEAKNESS),
        ("pain shooting down the back of my thigh 😣", Signal.LEG, PainKind.RADIATING),
        ("I fell yesterday", Signal.TRAUMA, None),
        ("my bladder feels strange", Signal.BLADDER_BOWEL, None),
        ("SHARP PAIN!!", Signal.SHARP, PainKind.SHARP),
        ("tinglign in my foot", Signal.LEG, PainKind.LEG_NUMBNESS),
        ("both legs feel weak", Signal.BOTH_LEGS, PainKind.LEG_WEAKNESS),
        ("feeling dizzy and rough", Signal.FEVER_UNWELL, None),
    ],
)
def test_the_issue_examples_are_heard(text: str, signal: Signal, kind: PainKind | None) -> None:
    found = {f.signal: f for f in understand(text).findings}
    assert signal in found
    assert found[signal].sure and found[signal].kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "no numbness",
        "didn't hurt at all",
        "never had cancer",
        "my leg was numb last year but it's fine now",
        "no fever, no chills",
        "my mum had a fall last week",
        "what should i do if my leg goes numb?",
        "fell asleep on the sofa lol",
        "not sharp, just achy",
        "the tingling went away yesterday",
    ],
)
def test_negated_past_and_other_peoples_symptoms_raise_nothing(text: str) -> None:
    assert understand(text).findings == ()


def test_doubt_is_asked_about_not_acted_on() -> None:
    heard = understand("not sure if my leg is numb or just asleep")
    assert heard.leg is not None and not heard.leg.sure


def test_a_red_flag_is_named_by_its_screen_question() -> None:
    heard = understand("pins and needles down there and i peed myself")
    assert heard.flags == (RedFlag.BLADDER_BOWEL, RedFlag.SADDLE_NUMBNESS)


@pytest.mark.parametrize(
    ("text", "value", "when"),
    [
        ("4", 4, None),
        ("4/10", 4, None),
        ("six", 6, None),
        ("about a 6", 6, None),
        ("worse, maybe 7", 7, None),
        ("its like a 5 right now", 5, When.NOW),
        ("woke up at 6 this morning, back was a 3", 3, When.MORNING),
        ("hurt about 6 during the bridge", 6, When.DURING),
        ("5-6", 6, None),
    ],
)
def test_pain_scores_are_read_with_when_they_apply(
    text: str, value: int, when: When | None
) -> None:
    pain = understand(text).pain
    assert pain is not None and (pain.value, pain.when) == (value, when)


@pytest.mark.parametrize(
    "text", ["walked 3 km today", "at 7:30 please", "10 minutes", "did 5 reps", "i'm 67"]
)
def test_numbers_that_are_not_scores_are_not_read_as_pain(text: str) -> None:
    assert understand(text).pain is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("not today", Intent.NOT_TODAY),
        ("i want to stop", Intent.STOP),
        ("start now", Intent.START),
        ("Done ✅", Intent.DONE),
        ("doen", Intent.DONE),
        ("not done yet", None),
        ("can i skip this one", Intent.SKIP),
        ("remind me later", Intent.LATER),
        ("stop, it hurts", Intent.HURT),
        ("what's next?", None),  # a question, not "done"
        ("i think i pulled something", Intent.HURT),
        ("back spasm 😬", Intent.HURT),
        ("cant be bothered today", Intent.NOT_TODAY),
    ],
)
def test_intents(text: str, intent: Intent | None) -> None:
    assert understand(text).intent is intent


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", True),
        ("Yes I do", True),
        ("nope, never", False),
        ("no", False),
        ("n", False),
        ("👍", None),
        ("👎", None),
        ("n/a", None),
        ("no?", None),
        ("yes and no", None),
        ("sometimes", None),
    ],
)
def test_only_clear_words_answer_a_yes_no_question(text: str, answer: bool | None) -> None:
    assert yes_no(text) is answer


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_understood_without_error(text: str) -> None:
    heard = understand(text)
    assert heard.pain is None or 0 <= heard.pain.value <= 10
    assert all(f.signal in Signal for f in heard.findings)


def test_no_common_word_is_corrected_into_a_lexicon_word() -> None:
    """'pick up a sock' must not read as 'shock': bench/real_words.py keeps the list whole."""
    wordfreq = pytest.importorskip("wordfreq")
    from bot.domain.understanding import corrected

    common = wordfreq.top_n_list("en", 60_000)
    changed = sorted(w for w in common if w.isalpha() and corrected(w) != w)
    assert changed == [], "run bench/real_words.py"
    assert understand("bent down to pick up a sock").findings == ()
    assert understand("tinglng in my foot").leg is not None  # a real slip is still forgiven

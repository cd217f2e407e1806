"""The player's pure rules: sequencing of parts, timer ends, pain answers, typed words."""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import player as pl
from bot.domain.parsing import Intent
from bot.domain.player import Action, End, NoticeKind, Outcome, Phase, State
from bot.domain.player_text import intent_action, parse_pain_kind, read, wants_shorter
from bot.domain.safety import PainKind
from bot.domain.understanding import understand
from content.library import load_library
from content.model import Segment
from content.routines import segments

LIB = load_library()
SIDE_PLANK = segments(LIB.get("knee_side_plank"), LIB.get("knee_side_plank").dose_start)
BIRD_DOG = segments(LIB.get("bird_dog"), LIB.get("bird_dog").dose_start)
PELVIC_TILT = segments(LIB.get("pelvic_tilt"), LIB.get("pelvic_tilt").dose_start)


def play_timer(parts: tuple[Segment, ...]) -> list[tuple[str | None, str]]:
    """Start the timer and let every timer end on time; (notice, phase) after each step."""
    step = pl.apply(State(Phase.CARD), Action.TIMER, parts, 3)
    seen: list[tuple[str | None, str]] = [(None, step.state.phase.value)]
    state = step.state
    while state.phase is Phase.RUNNING:
        step = pl.timer_end(state, parts)
        state = step.state
        seen.append((step.notice.kind.value if step.notice else None, state.phase.value))
    return seen


def test_a_sided_hold_in_sets_plays_release_rest_go_and_last() -> None:
    # hold L, rest, hold R | set rest | hold L, rest, hold R
    assert [s.kind for s in SIDE_PLANK] == ["hold", "rest", "hold", "rest", "hold", "rest", "hold"]
    assert play_timer(SIDE_PLANK) == [
        (None, "running"),
        ("release", "running"),
        (None, "running"),  # a short rest between holds ends quietly
        ("release", "running"),
        ("go", "running"),  # the rest between sets ends with "go"
        ("release", "running"),
        (None, "running"),
        ("last", "complete"),
    ]


def test_a_timer_end_starts_the_next_part_with_its_full_length() -> None:
    step = pl.apply(State(Phase.CARD), Action.TIMER, SIDE_PLANK, 3)
    assert step.timer_ms == 10_000
    after = pl.timer_end(step.state, SIDE_PLANK)
    assert (after.state.segment, after.timer_ms) == (1, 5_000)
    assert after.notice is not None and after.notice.next == SIDE_PLANK[1]


def test_reps_wait_for_the_user_and_the_last_block_closes_the_exercise() -> None:
    step = pl.apply(State(Phase.CARD), Action.TIMER, BIRD_DOG, 3)
    assert step.state.phase is Phase.REPS and step.timer_ms is None
    rest = pl.apply(step.state, Action.NEXT, BIRD_DOG, 3)
    assert rest.state.phase is Phase.RUNNING and rest.timer_ms == 30_000
    go = pl.timer_end(rest.state, BIRD_DOG)
    assert go.state.phase is Phase.REPS and go.notice is not None
    assert go.notice.kind is NoticeKind.GO
    done = pl.apply(go.state, Action.NEXT, BIRD_DOG, 3)
    assert done.outcome is Outcome.DONE and done.state.phase is Phase.CARD
    assert done.state.position == 1 and done.new_card


def test_no_timer_to_start_for_plain_reps() -> None:
    assert not pl.has_timer(PELVIC_TILT)
    assert pl.apply(State(Phase.CARD), Action.TIMER, PELVIC_TILT, 3).ignored


def test_pause_keeps_what_is_left_and_resume_restarts_from_it() -> None:
    running = pl.apply(State(Phase.CARD), Action.TIMER, SIDE_PLANK, 3).state
    paused = pl.apply(running, Action.PAUSE, SIDE_PLANK, 3, left_ms=6_400)
    assert paused.cancel_timer and paused.state.left_ms == 6_400
    resumed = pl.apply(paused.state, Action.RESUME, SIDE_PLANK, 3)
    assert resumed.state.phase is Phase.RUNNING and resumed.timer_ms == 6_400
    assert pl.apply(resumed.state, Action.RESUME, SIDE_PLANK, 3).ignored


@pytest.mark.parametrize(
    ("kind", "pain", "phase", "outcome", "end"),
    [
        (PainKind.ACHE, 5, Phase.PAUSED, None, None),
        (PainKind.ACHE, 6, Phase.HURT_NEXT, Outcome.HURT, None),
        (PainKind.STIFF, 2, Phase.PAUSED, None, None),
        (PainKind.SHARP, 1, Phase.HURT_NEXT, Outcome.HURT, None),
        (PainKind.SHOOTING, 8, Phase.HURT_NEXT, Outcome.HURT, None),
    ],
)
def test_what_a_pain_report_does(
    kind: PainKind, pain: int, phase: Phase, outcome: Outcome | None, end: End | None
) -> None:
    running = pl.apply(State(Phase.CARD), Action.TIMER, SIDE_PLANK, 3).state
    hurt = pl.apply(running, Action.HURT, SIDE_PLANK, 3, left_ms=4_000)
    assert hurt.cancel_timer and hurt.state.phase is Phase.HURT_KIND
    asked = pl.apply(hurt.state, Action.KIND, SIDE_PLANK, 3, value=kind)
    step = pl.apply(asked.state, Action.PAIN, SIDE_PLANK, 3, value=pain)
    assert (step.state.phase, step.outcome, step.end) == (phase, outcome, end)
    assert step.report == (kind, pain)
    assert step.rescreen is (end is End.SAFETY)
    if phase is Phase.PAUSED:
        assert step.state.left_ms == 4_000  # carries on where the hold stopped


@pytest.mark.parametrize("kind", [PainKind.RADIATING, PainKind.LEG_NUMBNESS, PainKind.LEG_WEAKNESS])
def test_leg_symptoms_end_the_routine_the_moment_they_are_named(kind: PainKind) -> None:
    running = pl.apply(State(Phase.CARD), Action.TIMER, SIDE_PLANK, 3).state
    hurt = pl.apply(running, Action.HURT, SIDE_PLANK, 3, left_ms=4_000)
    named = pl.apply(hurt.state, Action.KIND, SIDE_PLANK, 3, value=kind)
    # Recorded now, with no score: a "stop" or silence afterwards cannot lose it.
    assert (named.state.phase, named.outcome, named.end) == (Phase.ENDED, Outcome.HURT, End.SAFETY)
    assert named.report == (kind, None) and named.rescreen
    at_once = pl.apply(running, Action.HURT, SIDE_PLANK, 3, value=kind, left_ms=4_000)
    assert at_once.end is End.SAFETY and at_once.cancel_timer and at_once.report == (kind, None)


def test_stop_asks_the_end_question_and_its_answer_ends_the_routine() -> None:
    stop = pl.apply(State(Phase.CARD, position=1), Action.STOP, PELVIC_TILT, 3)
    assert stop.state.phase is Phase.END_PAIN and stop.outcome is None
    end = pl.apply(stop.state, Action.PAIN, (), 3, value=2)
    assert end.end is End.STOPPED
    last = pl.apply(State(Phase.CARD, position=2), Action.DONE, PELVIC_TILT, 3)
    assert last.state.phase is Phase.END_PAIN
    assert pl.apply(last.state, Action.PAIN, (), 3, value=0).end is End.DONE


def test_a_missed_hold_pauses_before_the_next_hold() -> None:
    running = pl.apply(State(Phase.CARD), Action.TIMER, SIDE_PLANK, 3).state
    step = pl.timer_missed(running, SIDE_PLANK)
    assert step.new_card and step.notice is not None and step.notice.kind is NoticeKind.MISSED
    assert step.state.phase is Phase.PAUSED and step.state.segment == 2  # the rest is skipped
    assert step.state.left_ms == 10_000 and step.timer_ms is None
    assert pl.is_missed(timedelta(seconds=31)) and not pl.is_missed(timedelta(seconds=5))


def test_countdown_edits_are_never_closer_than_three_seconds() -> None:
    assert [pl.countdown_every(s) for s in (5, 30, 60, 300)] == [3, 3, 5, 15]


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_in_every_phase_is_safe(phase: Phase, action: Action) -> None:
    state = State(phase, position=0, segment=0, hurt_kind=PainKind.ACHE)
    value = 3 if action is Action.PAIN else PainKind.ACHE if action is Action.KIND else None
    step = pl.apply(state, action, SIDE_PLANK, 3, value=value, left_ms=1_000)
    if step.ignored:
        assert step.state == state and step.timer_ms is None and not step.cancel_timer
    if step.timer_ms is not None:
        assert step.state.phase is Phase.RUNNING


# --------------------------------------------------------------------------- typed words

WORDS = {
    "done": Intent.DONE,
    "did it": Intent.DONE,
    "finished": Intent.DONE,
    "next": Intent.DONE,
    "skip": Intent.SKIP,
    "it hurt": Intent.HURT,
    "hurt": Intent.HURT,
    "pain": Intent.HURT,
    "ouch": Intent.HURT,
    "stop": Intent.STOP,
}


def test_the_player_words_mean_the_same_in_every_exercise_phase() -> None:
    for phase in (Phase.CARD, Phase.RUNNING, Phase.PAUSED, Phase.COMPLETE):
        assert intent_action(phase, Intent.DONE) is Action.DONE
        assert intent_action(phase, Intent.SKIP) is Action.SKIP
        assert intent_action(phase, Intent.HURT) is Action.HURT
        assert intent_action(phase, Intent.STOP) is Action.STOP
    assert intent_action(Phase.REPS, Intent.DONE) is Action.NEXT
    assert intent_action(Phase.RUNNING, Intent.PAUSE) is Action.PAUSE
    assert intent_action(Phase.PAUSED, Intent.RESUME) is Action.RESUME
    assert intent_action(Phase.INTRO, Intent.START) is Action.GO
    assert intent_action(Phase.END_PAIN, Intent.DONE) is None


def said(phase: Phase, text: str) -> tuple[Action | None, object]:
    """What the player reads in a message, once it is understood."""
    return read(phase, understand(text), text)


@given(
    word=st.sampled_from(sorted(WORDS)),
    case=st.sampled_from([str.lower, str.upper, str.title, str.capitalize]),
    before=st.sampled_from(["", " ", "  ", "ok ", "\n"]),
    after=st.sampled_from(["", "!", " !!", ".", " ✅", " 🙂", " please", "?"]),
)
def test_player_words_survive_case_emoji_and_padding(
    word: str, case: Callable[[str], str], before: str, after: str
) -> None:
    text = before + case(word) + after
    action, _ = said(Phase.CARD, text)
    assert action is intent_action(Phase.CARD, WORDS[word]), text


@given(
    word=st.sampled_from(["done", "finished", "skip", "stop", "hurt", "ouch", "pause"]),
    index=st.integers(min_value=0, max_value=10),
)
def test_one_slip_of_a_key_is_forgiven(word: str, index: int) -> None:
    i = index % (len(word) - 1)
    swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if swapped == word:
        return
    assert said(Phase.RUNNING, swapped)[0] is said(Phase.RUNNING, word)[0], swapped


@given(st.text())
def test_reading_any_text_never_raises(text: str) -> None:
    for phase in Phase:
        said(phase, text)
    parse_pain_kind(text)
    wants_shorter(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("sharp", PainKind.SHARP),
        ("a sudden stabbing pain", PainKind.SHARP),
        ("shooting", PainKind.SHOOTING),
        ("it went down my leg", PainKind.RADIATING),
        ("tingling in my foot", PainKind.LEG_NUMBNESS),
        ("my leg feels weak", PainKind.LEG_WEAKNESS),
        ("muscles working", PainKind.ACHE),
        ("Just ACHING", PainKind.ACHE),
        ("stiff", PainKind.STIFF),
        ("sharp pain into the leg", PainKind.RADIATING),  # the more serious one wins
        ("not sharp", None),
        ("banana", None),
        ("", None),
    ],
)
def test_kind_of_pain_in_words(text: str, kind: PainKind | None) -> None:
    assert parse_pain_kind(text) is kind


@given(st.text(alphabet=string.ascii_letters + " ", max_size=30))
def test_a_negated_kind_is_never_read(text: str) -> None:
    assert parse_pain_kind(f"not {text}") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sharp pain!", (Action.HURT, PainKind.SHARP)),
        ("ouch, tingling in my leg", (Action.HURT, PainKind.LEG_NUMBNESS)),
        ("it hurts", (Action.HURT, None)),
        ("muscles burning", (Action.HURT, PainKind.ACHE)),
        ("not sharp", (None, None)),
    ],
)
def test_a_pain_named_mid_exercise_is_it_hurt_with_its_kind(
    text: str, expected: tuple[Action | None, PainKind | None]
) -> None:
    assert said(Phase.RUNNING, text) == expected

"""The routine builder: budget, pain rules, rest days for muscles, avoid list, shape, doses."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from content.library import Library
from content.model import Category, Done, Dose, Routine, Section
from content.routines import RoutineRequest, build_routine, effective_level, estimate_seconds

TODAY = date(2026, 3, 10)
YESTERDAY = TODAY - timedelta(days=1)
LEVELS = (1, 2, 3)
BUDGETS = (10, 15, 20)
SEEDS = range(4)
SECTION_ORDER = list(Section)


def build(library: Library, **fields: Any) -> Routine:
    request = {"level": 2, "pain": 2, "minutes": 15, "today": TODAY, **fields}
    return build_routine(library, RoutineRequest(**request))


def ids(routine: Routine) -> list[str]:
    return [item.exercise_id for item in routine.items]


def every_routine(library: Library, pains: range) -> list[tuple[str, Routine]]:
    return [
        (f"level {level}, {minutes} min, pain {pain}, seed {seed}", routine)
        for level in LEVELS
        for minutes in BUDGETS
        for pain in pains
        for seed in SEEDS
        for routine in [build(library, level=level, minutes=minutes, pain=pain, seed=seed)]
    ]


# -- time budget -----------------------------------------------------------------------------


def test_estimate_is_within_two_minutes_of_the_budget(library: Library) -> None:
    for label, routine in every_routine(library, range(11)):
        budget = routine.budget_minutes * 60
        assert abs(routine.total_seconds - budget) <= 120, label
        assert abs(routine.minutes - routine.budget_minutes) <= 2, label


def test_item_estimates_come_from_their_doses(library: Library) -> None:
    routine = build(library, level=3, minutes=20)
    for item in routine.items:
        assert item.est_seconds == estimate_seconds(library.get(item.exercise_id), item.dose)
    assert routine.total_seconds == sum(item.est_seconds for item in routine.items)


def test_big_doses_are_trimmed_by_sets_to_fit_a_short_budget(library: Library) -> None:
    # Bird dog at its ceiling (12 each side x 3 sets) alone takes over 8 minutes.
    doses = {ex.id: ex.dose_ceiling for ex in library.all() if not ex.fills_time}
    excluded = only_strength(library, "bird_dog")
    routine = build(library, level=2, minutes=10, doses=doses, excluded=excluded)
    assert abs(routine.total_seconds - 600) <= 120
    (item,) = routine.section(Section.STRENGTH)
    ceiling = doses["bird_dog"]
    assert item.exercise_id == "bird_dog"
    assert item.dose.amount == ceiling.amount  # never fewer reps or shorter holds
    assert item.dose.sets < ceiling.sets


# -- pain ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pain", [7, 8, 10])
def test_high_pain_gives_only_gentle_mobility_stretches_and_walking(
    library: Library, pain: int
) -> None:
    for level in LEVELS:
        for minutes in BUDGETS:
            routine = build(library, level=level, minutes=minutes, pain=pain)
            assert routine.gentle
            exercises = [library.get(exercise_id) for exercise_id in ids(routine)]
            assert {ex.category for ex in exercises} <= {
                Category.MOBILITY,
                Category.STRETCH,
                Category.AEROBIC,
            }
            assert {ex.level for ex in exercises} == {1}
            assert ids(routine)[0] == "walking"


def test_pain_six_still_gets_strength_but_one_level_easier(library: Library) -> None:
    routine = build(library, level=3, pain=6, minutes=20)
    assert not routine.gentle
    assert routine.effective_level == 2
    assert routine.section(Section.STRENGTH)
    assert max(library.get(i).level for i in ids(routine)) == 2


@pytest.mark.parametrize(
    ("level", "pain", "expected"),
    [(3, 0, 3), (3, 3, 3), (3, 4, 2), (3, 6, 2), (1, 5, 1), (2, 7, 1), (3, 10, 1)],
)
def test_effective_level(level: int, pain: int, expected: int) -> None:
    assert effective_level(level, pain) == expected


def test_level_three_gets_harder_rungs_than_level_one(library: Library) -> None:
    def levels(level: int) -> set[int]:
        return {library.get(i).level for i in ids(build(library, level=level, minutes=20))}

    assert levels(1) == {1}
    assert 3 in levels(3)


# -- rest days for muscles -------------------------------------------------------------------


def strength_muscles(library: Library, routine: Routine) -> set[str]:
    return {
        m
        for item in routine.section(Section.STRENGTH)
        for m in library.get(item.exercise_id).muscles
    }


def test_no_strength_for_yesterdays_muscles(library: Library) -> None:
    for level in LEVELS:
        for seed in SEEDS:
            yesterday = build(library, level=level, minutes=20, today=YESTERDAY, seed=seed)
            history = tuple(Done(exercise_id=i, on=YESTERDAY) for i in ids(yesterday))
            today = build(library, level=level, minutes=20, history=history, seed=seed + 1)
            assert strength_muscles(library, yesterday)
            assert not strength_muscles(library, yesterday) & strength_muscles(library, today)
            assert abs(today.total_seconds - 1200) <= 120


@pytest.mark.parametrize(("days_ago", "glutes_allowed"), [(0, False), (1, False), (2, True)])
def test_glute_work_rests_one_day_after_a_bridge(
    library: Library, days_ago: int, glutes_allowed: bool
) -> None:
    history = (Done(exercise_id="glute_bridge", on=TODAY - timedelta(days=days_ago)),)
    glute_days = [
        build(library, level=level, minutes=20, seed=seed, history=history)
        for level in LEVELS
        for seed in range(8)
    ]
    has_glutes = ["glutes" in strength_muscles(library, routine) for routine in glute_days]
    assert any(has_glutes) is glutes_allowed


def test_activation_and_stretches_do_not_block_strength(library: Library) -> None:
    history = tuple(
        Done(exercise_id=i, on=YESTERDAY) for i in ("drawing_in", "dead_bug", "knee_to_chest")
    )
    assert build(library, history=history) == build(library, history=())


def test_unknown_ids_in_history_are_ignored(library: Library) -> None:
    history = (Done(exercise_id="removed_long_ago", on=YESTERDAY),)
    assert build(library, history=history) == build(library)


def test_recently_done_exercises_yield_to_fresh_ones(library: Library) -> None:
    first = build(library, level=2, minutes=15, seed=3)
    stretches = [i.exercise_id for i in first.section(Section.STRETCH)]
    history = tuple(Done(exercise_id=i, on=TODAY - timedelta(days=2)) for i in stretches)
    second = build(library, level=2, minutes=15, seed=3, history=history)
    assert not set(stretches) & {i.exercise_id for i in second.section(Section.STRETCH)}


# -- avoid list, exclusions, swaps -----------------------------------------------------------


def test_nothing_from_the_avoid_list_ever_appears(library: Library) -> None:
    avoided = {item.id for item in library.avoid_list}
    swaps = {"dead_bug": "crunches", "walking": "running", "sphinx": "deep_back_bends"}
    doses = {"crunches": Dose(kind="reps", amount=20)}
    for label, routine in every_routine(library, range(0, 11, 3)):
        assert not avoided & set(ids(routine)), label
    for level in LEVELS:
        routine = build(library, level=level, swaps=swaps, doses=doses, minutes=20)
        assert not (avoided | set(swaps)) & set(ids(routine))


def test_excluded_exercises_never_appear(library: Library) -> None:
    usual = build(library, level=2, minutes=20)
    excluded = frozenset(ids(usual))
    routine = build(library, level=2, minutes=20, excluded=excluded)
    assert not excluded & set(ids(routine))
    assert abs(routine.total_seconds - 1200) <= 120


def test_a_swap_replaces_its_source(library: Library) -> None:
    for seed in SEEDS:
        routine = build(library, level=3, seed=seed, swaps={"superman": "bird_dog_toes_down"})
        assert "superman" not in ids(routine)
        assert "bird_dog_toes_down" in ids(routine)


def test_a_swap_up_the_ladder_is_honoured_only_on_a_low_pain_day(library: Library) -> None:
    swaps = {"glute_bridge": "figure_four_bridge"}  # level 1 user moved up the bridge ladder
    assert "figure_four_bridge" in ids(build(library, level=1, pain=2, swaps=swaps))
    sore = build(library, level=1, pain=5, swaps=swaps)
    assert not {"figure_four_bridge", "glute_bridge"} & set(ids(sore))


def test_a_swap_target_must_still_rest_its_muscles(library: Library) -> None:
    history = (Done(exercise_id="glute_bridge", on=YESTERDAY),)
    routine = build(library, swaps={"bird_dog": "single_leg_bridge"}, history=history)
    assert not {"single_leg_bridge", "bird_dog"} & set(ids(routine))


def test_one_exercise_per_ladder(library: Library) -> None:
    for label, routine in every_routine(library, range(0, 7, 3)):
        ladders = [library.ladder(i)[0].id for i in ids(routine)]
        assert len(ladders) == len(set(ladders)), label


# -- shape and determinism -------------------------------------------------------------------


def test_warm_up_first_then_activation_strength_and_stretches_last(library: Library) -> None:
    for label, routine in every_routine(library, range(7)):
        sections = [item.section for item in routine.items]
        assert sections == sorted(sections, key=SECTION_ORDER.index), label
        assert sections[0] is Section.WARM_UP and sections[-1] is Section.STRETCH, label
        assert set(sections) == set(Section), label
        for item in routine.items:
            assert library.get(item.exercise_id).section is item.section, label


def test_warm_up_is_about_five_minutes(library: Library) -> None:
    for minutes in (15, 20):
        for seed in SEEDS:
            warm_up = build(library, minutes=minutes, seed=seed).section(Section.WARM_UP)
            assert 240 <= sum(item.est_seconds for item in warm_up) <= 420


def test_stretch_section_ends_lying_on_the_back_when_possible(library: Library) -> None:
    routine = build(library, level=1, pain=8, minutes=20)
    positions = [
        library.get(i.exercise_id).position.value for i in routine.section(Section.STRETCH)
    ]
    assert positions[-1] == "on-back"
    assert positions == sorted(
        positions,
        key=["standing", "sitting", "hands-knees", "face-down", "on-side", "on-back"].index,
    )


def test_same_request_same_routine(library: Library) -> None:
    history = (Done(exercise_id="bird_dog", on=YESTERDAY),)
    first = build(library, level=2, pain=3, minutes=15, seed=42, history=history)
    second = build(library, level=2, pain=3, minutes=15, seed=42, history=history)
    assert first == second


def test_seed_varies_the_routine_across_days(library: Library) -> None:
    routines = {tuple(ids(build(library, seed=seed))) for seed in range(7)}
    assert len(routines) >= 4


def test_seed_defaults_to_the_date(library: Library) -> None:
    assert build(library) == build(library, seed=TODAY.toordinal())
    assert build(library) != build(library, today=TODAY + timedelta(days=1))


# -- doses -----------------------------------------------------------------------------------


def only_strength(library: Library, keep: str) -> frozenset[str]:
    return frozenset(
        ex.id for ex in library.all() if ex.category is Category.STRENGTH and ex.id != keep
    )


def test_current_dose_overrides_the_start(library: Library) -> None:
    dose = Dose(kind="reps", amount=14, sets=2, rest_s=45)
    routine = build(
        library,
        level=1,
        doses={"glute_bridge": dose},
        excluded=only_strength(library, "glute_bridge"),
    )
    (item,) = routine.section(Section.STRENGTH)
    assert (item.exercise_id, item.dose) == ("glute_bridge", dose)


def test_stale_dose_of_another_kind_falls_back_to_the_start(library: Library) -> None:
    stale = Dose(kind="hold", amount=30)
    routine = build(
        library,
        level=1,
        doses={"glute_bridge": stale},
        excluded=only_strength(library, "glute_bridge"),
    )
    (item,) = routine.section(Section.STRENGTH)
    assert item.dose == library.get("glute_bridge").dose_start


@pytest.mark.parametrize(
    "fields",
    [{"minutes": 12}, {"pain": 11}, {"level": 0}, {"colour": "blue"}],
)
def test_request_is_validated(fields: dict[str, Any]) -> None:
    base: dict[str, Any] = {"level": 2, "pain": 2, "minutes": 15, "today": TODAY}
    with pytest.raises(ValidationError):
        RoutineRequest(**{**base, **fields})

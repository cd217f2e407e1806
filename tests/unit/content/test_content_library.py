"""The real library loads, holds what the seeds describe, and bad data is reported precisely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from content.library import SEED_NAMED, Library, LibraryError, Problem, load_library
from content.model import SEED_FILES, Category, Dose, Section

Entry = dict[str, Any]


def problems_of(data_dir: Path) -> tuple[Problem, ...]:
    with pytest.raises(LibraryError) as caught:
        load_library(data_dir)
    return caught.value.problems


# -- the real library ------------------------------------------------------------------------


def test_every_seed_named_exercise_is_present(library: Library) -> None:
    missing = [exercise_id for exercise_id in SEED_NAMED if exercise_id not in library]
    assert missing == []


def test_natural_easier_and_harder_steps_exist(library: Library) -> None:
    assert library.easier("front_plank") == library.get("knee_plank")
    assert library.easier("side_plank") == library.get("knee_side_plank")
    assert library.harder("bird_dog_toes_down") == library.get("bird_dog")
    assert [ex.id for ex in library.ladder("figure_four_bridge")] == [
        "glute_bridge",
        "figure_four_bridge",
        "single_leg_bridge",
    ]
    assert library.easier("glute_bridge") is None
    assert library.harder("single_leg_bridge") is None
    assert [ex.id for ex in library.ladder("walking")] == ["walking"]


def test_every_category_and_section_has_exercises(library: Library) -> None:
    assert {ex.category for ex in library.all()} == set(Category)
    assert {ex.section for ex in library.all()} == set(Section)


@pytest.mark.parametrize(
    ("avoid_id", "swap"),
    [
        ("crunches", "dead_bug"),
        ("heavy_sit_ups", "front_plank"),
        ("weighted_toe_touches", "good_morning"),
        ("loaded_good_mornings", "good_morning"),
        ("high_impact_jumps", "walking"),
        ("running", "walking"),
        ("deep_back_bends", "sphinx"),
        ("weighted_twists", "standing_torso_rotation"),
    ],
)
def test_avoid_list_has_the_seeds_items_with_safer_swaps(
    library: Library, avoid_id: str, swap: str
) -> None:
    item = next(item for item in library.avoid_list if item.id == avoid_id)
    assert item.swap == swap
    assert library.is_avoided(avoid_id)
    assert avoid_id not in library  # never an exercise, so never in a routine


def test_every_exercise_is_phone_ready_and_sourced(library: Library) -> None:
    for ex in library.all():
        assert 3 <= len(ex.steps) <= 6, ex.id
        assert all(len(step) <= 70 for step in ex.steps), ex.id
        assert ex.source in SEED_FILES, ex.id
        assert ex.dose_start.amount <= ex.dose_ceiling.amount, ex.id


def test_default_library_is_loaded_once(library: Library) -> None:
    assert load_library() is load_library()


def test_data_file_is_remembered(library: Library) -> None:
    assert library.data_file("glute_bridge") == "bridges_and_hips.toml"


# -- validation: each error names the file and the field --------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"dose_start": {"kind": "reps", "amount": 0}}, "dose_start.amount", "greater than 0"),
        (
            {"dose_start": {"kind": "hold", "amount": 10, "reps": 0}},
            "dose_start.reps",
            "greater than 0",
        ),
        ({"dose_start": {"kind": "reps", "amount": 8, "reps": 3}}, "dose_start.reps", "must be 1"),
        ({"dose_ceiling": {"kind": "reps", "amount": 6}}, "dose_ceiling", "below dose_start"),
        (
            {"dose_ceiling": {"kind": "hold", "amount": 30}},
            "dose_ceiling",
            "same kind and per_side",
        ),
        ({"dose_step": 3}, "dose_step", "1 or 2 reps"),
        ({"rep_s": 0}, "rep_s", "at least 1 s"),
        ({"steps": ["Lie down.", "Lift your hips.", "x" * 71]}, "steps.2", "at most 70"),
        ({"steps": ["Lie down.", "Lift your hips."]}, "steps", "at least 3"),
        ({"steps": ["Lie *down*.", "Lift.", "Lower."]}, "steps.0", "pattern"),
        ({"level": 4}, "level", "less than or equal to 3"),
        ({"category": "cardio"}, "category", "warm-up"),
        ({"position": "upside-down"}, "position", "on-back"),
        ({"muscles": ["biceps"]}, "muscles.0", "glutes"),
        ({"source": "999_nope.txt"}, "source", "not one of the seed articles"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
        ({"cautions": None}, "cautions", "Field required"),
        ({"alternate_sides": True}, "alternate_sides", "per_side"),
        ({"fills_time": True}, "fills_time", "single hold"),
        ({"harder": "test_move"}, "harder", "must differ"),
    ],
)
def test_invalid_field_is_reported_with_file_and_field(
    data_dir: Path,
    write_entries: Callable[..., Path],
    valid_exercise: Callable[..., Entry],
    overrides: Entry,
    field: str,
    words: str,
) -> None:
    write_entries(valid_exercise(**overrides))
    problems = problems_of(data_dir)
    assert [(p.file, p.item, p.field) for p in problems] == [
        ("zz_extra.toml", "exercise 'test_move'", field)
    ]
    assert words in problems[0].message
    assert f"zz_extra.toml: exercise 'test_move': {field}:" in str(problems[0])


def test_the_valid_entry_used_above_is_accepted(
    data_dir: Path, write_entries: Callable[..., Path], valid_exercise: Callable[..., Entry]
) -> None:
    write_entries(valid_exercise())
    assert load_library(data_dir).get("test_move").level == 2


def test_duplicate_id_names_both_files(
    data_dir: Path, write_entries: Callable[..., Path], valid_exercise: Callable[..., Entry]
) -> None:
    write_entries(valid_exercise(id="glute_bridge"))
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.field) == ("zz_extra.toml", "id")
    assert "bridges_and_hips.toml" in problem.message


def test_avoid_id_may_not_reuse_an_exercise_id(
    data_dir: Path, write_entries: Callable[..., Path]
) -> None:
    entry = {
        "id": "walking",
        "name": "Walking on stilts",
        "why": "Stilts are a bad idea for a sore back.",
        "swap": "walking",
        "source": "003_563e1f64351caf6d.txt",
    }
    write_entries(entry, table="avoid")
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.item, problem.field) == ("zz_extra.toml", "avoid 'walking'", "id")


@pytest.mark.parametrize("field", ["easier", "harder"])
def test_unknown_ladder_link(
    data_dir: Path,
    write_entries: Callable[..., Path],
    valid_exercise: Callable[..., Entry],
    field: str,
) -> None:
    write_entries(valid_exercise(**{field: "no_such_move"}))
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.field) == ("zz_extra.toml", field)
    assert "unknown exercise 'no_such_move'" in problem.message


def test_one_sided_ladder_link(
    data_dir: Path, write_entries: Callable[..., Path], valid_exercise: Callable[..., Entry]
) -> None:
    # glute_bridge names figure_four_bridge as harder, not test_move.
    write_entries(valid_exercise(easier="glute_bridge"))
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.field) == ("zz_extra.toml", "easier")
    assert "'glute_bridge' must name 'test_move' as its 'harder'" in problem.message


def test_ladder_must_rise_in_level(
    data_dir: Path, write_entries: Callable[..., Path], valid_exercise: Callable[..., Entry]
) -> None:
    write_entries(
        valid_exercise(id="hard_one", level=3, harder="easy_one"),
        valid_exercise(id="easy_one", level=1, easier="hard_one"),
    )
    problems = problems_of(data_dir)
    assert {(p.item, p.field) for p in problems} == {
        ("exercise 'hard_one'", "harder"),
        ("exercise 'easy_one'", "easier"),
    }
    assert all("is harder than" in p.message for p in problems)


def test_ladder_cycle(
    data_dir: Path, write_entries: Callable[..., Path], valid_exercise: Callable[..., Entry]
) -> None:
    write_entries(
        valid_exercise(id="move_a", harder="move_b", easier="move_c"),
        valid_exercise(id="move_b", harder="move_c", easier="move_a"),
        valid_exercise(id="move_c", harder="move_a", easier="move_b"),
    )
    problems = problems_of(data_dir)
    assert {p.field for p in problems} == {"harder"}
    assert {p.item for p in problems} == {f"exercise 'move_{x}'" for x in "abc"}
    assert "ladder loops: move_a -> move_b -> move_c -> move_a" in {p.message for p in problems}


def test_avoid_swap_must_be_an_exercise(data_dir: Path) -> None:
    path = data_dir / "avoid.toml"
    path.write_text(path.read_text().replace('swap = "sphinx"', 'swap = "cobra"'), encoding="utf-8")
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.item, problem.field) == (
        "avoid.toml",
        "avoid 'deep_back_bends'",
        "swap",
    )


def test_missing_seed_named_exercise_names_the_directory(data_dir: Path) -> None:
    path = data_dir / "stretches.toml"
    text = path.read_text()
    start = text.index('[[exercise]]\nid = "piriformis_stretch"')
    end = text.index("[[exercise]]", start + 1)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.item, problem.field) == (
        str(data_dir),
        "exercise 'piriformis_stretch'",
        "id",
    )
    assert "missing" in problem.message


def test_toml_syntax_error(data_dir: Path) -> None:
    (data_dir / "broken.toml").write_text("[[exercise]\nid = 'x'\n", encoding="utf-8")
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.field) == ("broken.toml", "toml")
    assert "line 1" in problem.message


def test_unknown_table(data_dir: Path) -> None:
    (data_dir / "odd.toml").write_text("[[routine]]\nid = 'x'\n", encoding="utf-8")
    (problem,) = problems_of(data_dir)
    assert (problem.file, problem.field) == ("odd.toml", "routine")


def test_all_problems_are_reported_at_once(
    data_dir: Path, write_entries: Callable[..., Path], valid_exercise: Callable[..., Entry]
) -> None:
    write_entries(valid_exercise(level=0), file="aa.toml")
    write_entries(valid_exercise(id="other_move", rep_s=-1), file="zz.toml")
    problems = problems_of(data_dir)
    assert {(p.file, p.field) for p in problems} == {("aa.toml", "level"), ("zz.toml", "rep_s")}


def test_empty_directory(tmp_path: Path) -> None:
    first, *missing = problems_of(tmp_path)
    assert (first.file, first.field) == (str(tmp_path), "files")
    assert len(missing) == len(SEED_NAMED)


def test_dose_defaults_and_validation() -> None:
    dose = Dose(kind="hold", amount=10)
    assert (dose.reps, dose.sets, dose.per_side, dose.rest_s) == (1, 1, False, 0)
    with pytest.raises(ValueError, match="amount"):
        Dose(kind="hold", amount=-5)
    with pytest.raises(ValueError, match="frozen"):
        dose.amount = 20  # type: ignore[misc]

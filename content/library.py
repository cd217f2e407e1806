"""Load the exercise library from TOML, cross-check it once, and look exercises up.

Every ``*.toml`` file in the data directory (``content/data`` by default) may hold
``[[exercise]]`` tables (fields of :class:`content.model.Exercise`) and ``[[avoid]]`` tables
(fields of :class:`content.model.AvoidItem`). Loading validates each entry with the frozen
pydantic models, then checks the library as a whole: ids are unique, every ``easier``/``harder``
and ``swap`` link resolves, ladders are mutually consistent, rise in level and have no cycles,
and every exercise the seed articles name (:data:`SEED_NAMED`) is present.

All problems are collected and raised together as one :class:`LibraryError`; each
:class:`Problem` names the data file, the entry and the field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from content.model import AvoidItem, Exercise

DEFAULT_DATA_DIR = Path(__file__).parent / "data"

SEED_NAMED: Mapping[str, str] = {
    "easy_walk_or_cycle": "easy walk or cycle (warm-up)",
    "hip_circles": "hip circles",
    "leg_swings": "leg swings",
    "mini_squat": "small-range bodyweight squats",
    "short_lunge": "small-range lunges",
    "drawing_in": "drawing-in maneuver",
    "pelvic_tilt": "pelvic tilt",
    "leg_slide": "leg slides",
    "dead_bug": "dead bug",
    "front_plank": "front plank",
    "side_plank": "side plank",
    "glute_bridge": "glute bridge",
    "single_leg_bridge": "single-leg bridge",
    "figure_four_bridge": "single-leg bridge, figure-four variant",
    "superman": "superman",
    "bird_dog": "bird dog",
    "bird_dog_toes_down": "bird dog, toes-down beginner version",
    "good_morning": "bodyweight good morning",
    "bodyweight_squat": "bodyweight squat",
    "knee_to_chest": "single knee-to-chest",
    "knee_rolls": "floor rotational stretch / knee rolls",
    "lying_rotational_stretch": "lying lower-back rotational stretch",
    "seated_rotational_stretch": "seated rotational stretch",
    "cat_camel": "cat-camel",
    "prone_snow_angel": "prone snow angel",
    "prone_leg_lift": "prone alternating leg lift",
    "side_lying_leg_raise": "side-lying lateral leg raise",
    "supine_hamstring_stretch": "supine hamstring stretch",
    "seated_forward_bend": "seated forward bend",
    "childs_pose": "child's pose",
    "piriformis_stretch": "piriformis stretch",
    "sphinx": "sphinx",
    "walking": "walking",
}
"""Exercise id -> how the seed articles name it. The library must contain all of them."""

_TABLES: Mapping[str, type[Exercise] | type[AvoidItem]] = {"exercise": Exercise, "avoid": AvoidItem}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data: which file, which entry, which field, and what."""

    file: str
    item: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.item}: " if self.item else ""
        return f"{self.file}: {where}{self.field}: {self.message}"


class LibraryError(ValueError):
    """The data does not make a valid library; ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Library:
    """The validated exercises and the avoid list, with ladder lookups."""

    def __init__(
        self,
        exercises: Mapping[str, Exercise],
        avoid_list: tuple[AvoidItem, ...],
        files: Mapping[str, str],
    ) -> None:
        """Wrap already cross-checked data; use :func:`load_library` to build one."""
        self._exercises = dict(exercises)
        self._avoid = avoid_list
        self._files = dict(files)

    def get(self, exercise_id: str) -> Exercise:
        """The exercise with this id; KeyError if there is none."""
        return self._exercises[exercise_id]

    def __contains__(self, exercise_id: object) -> bool:
        return exercise_id in self._exercises

    def all(self) -> tuple[Exercise, ...]:
        """Every exercise, in data-file order."""
        return tuple(self._exercises.values())

    def easier(self, exercise_id: str) -> Exercise | None:
        """The next easier exercise on the ladder, if any."""
        easier = self.get(exercise_id).easier
        return None if easier is None else self.get(easier)

    def harder(self, exercise_id: str) -> Exercise | None:
        """The next harder exercise on the ladder, if any."""
        harder = self.get(exercise_id).harder
        return None if harder is None else self.get(harder)

    def ladder(self, exercise_id: str) -> tuple[Exercise, ...]:
        """The whole ladder this exercise is on, easiest first (just itself if it has none)."""
        bottom = self.get(exercise_id)
        while bottom.easier is not None:
            bottom = self.get(bottom.easier)
        rungs = [bottom]
        while rungs[-1].harder is not None:
            rungs.append(self.get(rungs[-1].harder))
        return tuple(rungs)

    @property
    def avoid_list(self) -> tuple[AvoidItem, ...]:
        """What never goes into a routine, each with its safer swap."""
        return self._avoid

    def is_avoided(self, some_id: str) -> bool:
        """True if the id names something on the avoid list."""
        return any(item.id == some_id for item in self._avoid)

    def data_file(self, exercise_id: str) -> str:
        """The name of the data file the exercise was read from."""
        return self._files[exercise_id]


def load_library(data_dir: Path | None = None) -> Library:
    """Load and cross-check the library; the default directory is read once and cached."""
    if data_dir is None:
        return _default_library()
    return _load(data_dir)


@cache
def _default_library() -> Library:
    return _load(DEFAULT_DATA_DIR)


def _load(data_dir: Path) -> Library:
    problems: list[Problem] = []
    exercises: dict[str, Exercise] = {}
    avoid: dict[str, AvoidItem] = {}
    files: dict[str, str] = {}
    paths = sorted(data_dir.glob("*.toml"))
    if not paths:
        problems.append(Problem(str(data_dir), "", "files", "no .toml data files here"))
    for path in paths:
        for model in _read_file(path, problems):
            if model.id in files:
                problems.append(
                    Problem(
                        path.name,
                        _label(model),
                        "id",
                        f"duplicate id, first defined in {files[model.id]}",
                    )
                )
                continue
            files[model.id] = path.name
            if isinstance(model, Exercise):
                exercises[model.id] = model
            elif isinstance(model, AvoidItem):
                avoid[model.id] = model
    problems += _cross_check(exercises, avoid, files)
    problems += _missing_seed_named(exercises, data_dir)
    if problems:
        raise LibraryError(problems)
    return Library(exercises, tuple(avoid.values()), files)


def _read_file(path: Path, problems: list[Problem]) -> Iterator[Exercise | AvoidItem]:
    """Yield the valid entries of one file and record the problems of the others."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, "", "toml", str(exc)))
        return
    for table, entries in data.items():
        model_type = _TABLES.get(table)
        if model_type is None:
            expected = " or ".join(f"[[{name}]]" for name in _TABLES)
            problems.append(Problem(path.name, "", table, f"unknown table, expected {expected}"))
            continue
        if not isinstance(entries, list):
            problems.append(Problem(path.name, "", table, f"must be an array: [[{table}]]"))
            continue
        for index, raw in enumerate(entries):
            try:
                model = model_type.model_validate(raw)
            except ValidationError as exc:
                problems += _explain(path.name, table, index, raw, exc)
                continue
            yield model


def _explain(file: str, table: str, index: int, raw: Any, exc: ValidationError) -> list[Problem]:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    item = f"{table} {raw_id!r}" if isinstance(raw_id, str) else f"{table} #{index + 1}"
    errors = exc.errors()
    # pydantic also reports a list as too short once a bad item is dropped: noise, skip it.
    item_locs = {error["loc"][:-1] for error in errors if error["loc"]}
    return [
        Problem(file, item, ".".join(str(part) for part in error["loc"]) or "-", error["msg"])
        for error in errors
        if not (error["type"] == "too_short" and error["loc"] in item_locs)
    ]


def _label(model: Exercise | AvoidItem) -> str:
    kind = "exercise" if isinstance(model, Exercise) else "avoid"
    return f"{kind} {model.id!r}"


def _cross_check(
    exercises: Mapping[str, Exercise], avoid: Mapping[str, AvoidItem], files: Mapping[str, str]
) -> list[Problem]:
    problems: list[Problem] = []

    def problem(model: Exercise | AvoidItem, field: str, message: str) -> None:
        problems.append(Problem(files[model.id], _label(model), field, message))

    for ex in exercises.values():
        for field, other_id, back in (
            ("easier", ex.easier, "harder"),
            ("harder", ex.harder, "easier"),
        ):
            if other_id is None:
                continue
            other = exercises.get(other_id)
            if other is None:
                problem(ex, field, f"unknown exercise {other_id!r}")
                continue
            if getattr(other, back) != ex.id:
                problem(ex, field, f"{other_id!r} must name {ex.id!r} as its '{back}'")
            low, high = (other, ex) if field == "easier" else (ex, other)
            if low.level > high.level:
                problem(ex, field, f"{low.id!r} (level {low.level}) is harder than {high.id!r}")
        problems += _cycle(ex, exercises, files)
    for item in avoid.values():
        if item.swap not in exercises:
            problem(item, "swap", f"unknown exercise {item.swap!r}")
    return problems


def _missing_seed_named(exercises: Mapping[str, Exercise], data_dir: Path) -> list[Problem]:
    """Every exercise the seeds name must be somewhere in the data directory."""
    return [
        Problem(
            str(data_dir),
            f"exercise {exercise_id!r}",
            "id",
            f"missing from every file; the seeds name {SEED_NAMED[exercise_id]!r}",
        )
        for exercise_id in SEED_NAMED
        if exercise_id not in exercises
    ]


def _cycle(
    start: Exercise, exercises: Mapping[str, Exercise], files: Mapping[str, str]
) -> list[Problem]:
    """Report a ladder that, going ever harder from ``start``, comes back to ``start``."""
    path = [start.id]
    current = start
    while current.harder is not None and current.harder in exercises:
        if current.harder == start.id:
            loop = " -> ".join([*path, start.id])
            return [Problem(files[start.id], _label(start), "harder", f"ladder loops: {loop}")]
        if current.harder in path:
            return []  # a loop that does not pass through `start`; reported from its members
        current = exercises[current.harder]
        path.append(current.id)
    return []

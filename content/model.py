"""Validated, frozen models of the exercise library and of a day's routine.

Doses
-----
A :class:`Dose` says how much of an exercise to do:

* ``kind="reps"``: ``amount`` repetitions per set; ``reps`` is always 1.
* ``kind="hold"``: ``reps`` holds of ``amount`` seconds per set (``reps=1`` for a single hold).
  Continuous activities (an easy walk) are one long hold.
* ``sets`` sets with ``rest_s`` seconds of rest between two sets (ignored when ``sets == 1``).
* ``per_side``: the count above is done on each side (each leg, each direction).

An :class:`Exercise` carries ``dose_start`` (where a new user begins), ``dose_ceiling`` (the top
of every field before moving up the ladder) and ``dose_step`` (how much ``amount`` grows per
progression step: 1-2 reps, or a multiple of 5 s for holds).

``rep_s`` is the time one repetition takes for a reps dose; for a hold dose it is the time to
release and set up again between two holds. ``alternate_sides`` says whether a per-side dose
switches side every repetition (left, right, left ...) or finishes one side first.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

SEED_FILES: frozenset[str] = frozenset(
    {
        "000_1dc9c59fbca25a08.txt",
        "001_2b58ae8b8fdd3e07.txt",
        "002_0770abae4331a668.txt",
        "003_563e1f64351caf6d.txt",
    }
)
"""The seed articles every fact comes from (``../shared/seeds`` next to the repository)."""

STEP_MAX_CHARS = 70
"""A step must fit one phone line."""


class Category(StrEnum):
    """What an exercise is for; decides where it sits in a routine."""

    WARM_UP = "warm-up"
    ACTIVATION = "activation"
    STRENGTH = "strength"
    STRETCH = "stretch"
    MOBILITY = "mobility"
    AEROBIC = "aerobic"


class Section(StrEnum):
    """The parts of a routine, in the order they are played."""

    WARM_UP = "warm-up"
    ACTIVATION = "activation"
    STRENGTH = "strength"
    STRETCH = "stretch"


SECTION_OF: dict[Category, Section] = {
    Category.WARM_UP: Section.WARM_UP,
    Category.AEROBIC: Section.WARM_UP,
    Category.ACTIVATION: Section.ACTIVATION,
    Category.STRENGTH: Section.STRENGTH,
    # The seeds finish with stretches and slow spine mobility (cat stretch) together.
    Category.MOBILITY: Section.STRETCH,
    Category.STRETCH: Section.STRETCH,
}


class Position(StrEnum):
    """The body position an exercise starts from."""

    ON_BACK = "on-back"
    FACE_DOWN = "face-down"
    ON_SIDE = "on-side"
    HANDS_KNEES = "hands-knees"
    STANDING = "standing"
    SITTING = "sitting"


class Muscle(StrEnum):
    """Muscle groups, coarse enough for the "no same muscles two days running" rule."""

    DEEP_CORE = "deep-core"
    ABS = "abs"
    OBLIQUES = "obliques"
    LOWER_BACK = "lower-back"
    UPPER_BACK = "upper-back"
    GLUTES = "glutes"
    HIP_ABDUCTORS = "hip-abductors"
    HIP_FLEXORS = "hip-flexors"
    HIP_ROTATORS = "hip-rotators"
    HAMSTRINGS = "hamstrings"
    QUADS = "quads"
    CALVES = "calves"


Side = Literal["left", "right"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Cards go out as plain text; characters that Markdown or HTML would eat are kept out of the data.
_PLAIN = r"^[^*_`<>\[\]]*$"


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=_PLAIN
    )


Line = Annotated[str, _text(3, 90)]
StepLine = Annotated[str, _text(3, STEP_MAX_CHARS)]


def _known_seed(source: str) -> str:
    if source not in SEED_FILES:
        raise ValueError(f"{source!r} is not one of the seed articles")
    return source


SeedFile = Annotated[str, AfterValidator(_known_seed)]
ExerciseId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


class Dose(_Frozen):
    """How much of an exercise: reps or holds, sets, sides and rest (see module docstring)."""

    kind: Literal["reps", "hold"]
    amount: int = Field(gt=0, le=3600)
    reps: int = Field(default=1, gt=0, le=50)
    sets: int = Field(default=1, gt=0, le=10)
    per_side: bool = False
    rest_s: int = Field(default=0, ge=0, le=300)

    @field_validator("reps")
    @classmethod
    def _one_rep_count(cls, reps: int, info: ValidationInfo) -> int:
        # A reps dose counts in `amount`; a second count would be ambiguous.
        if info.data.get("kind") == "reps" and reps != 1:
            raise ValueError("must be 1 for a reps dose (the count goes in 'amount')")
        return reps


class Exercise(_Frozen):
    """One exercise of the library, as written in a data file."""

    id: ExerciseId
    name: Annotated[str, _text(3, 40)]
    purpose: Annotated[str, _text(10, 90)]
    category: Category
    muscles: tuple[Muscle, ...] = Field(min_length=1)
    position: Position
    level: int = Field(ge=1, le=3)
    steps: tuple[StepLine, ...] = Field(min_length=3, max_length=6)
    dose_start: Dose
    dose_ceiling: Dose
    dose_step: int = Field(gt=0)
    rep_s: int = Field(ge=0, le=60)
    alternate_sides: bool = False
    fills_time: bool = False
    easier: ExerciseId | None = None
    harder: ExerciseId | None = None
    cautions: tuple[Line, ...] = Field(min_length=1, max_length=3)
    source: SeedFile

    @field_validator("dose_ceiling")
    @classmethod
    def _ceiling_above_start(cls, ceiling: Dose, info: ValidationInfo) -> Dose:
        start: Dose | None = info.data.get("dose_start")
        if start is None:
            return ceiling
        if (ceiling.kind, ceiling.per_side) != (start.kind, start.per_side):
            raise ValueError("must have the same kind and per_side as dose_start")
        for name in ("amount", "reps", "sets"):
            if getattr(start, name) > getattr(ceiling, name):
                raise ValueError(
                    f"{name} {getattr(ceiling, name)} is below dose_start.{name} "
                    f"{getattr(start, name)}"
                )
        return ceiling

    @field_validator("dose_step")
    @classmethod
    def _small_step(cls, step: int, info: ValidationInfo) -> int:
        # The design's progression rule: +1-2 reps or +5 s of hold per step.
        start: Dose | None = info.data.get("dose_start")
        if start is None:
            return step
        if start.kind == "reps" and step > 2:
            raise ValueError("a reps exercise progresses by 1 or 2 reps")
        if start.kind == "hold" and step % 5:
            raise ValueError("a hold progresses in multiples of 5 s")
        return step

    @field_validator("rep_s")
    @classmethod
    def _rep_takes_time(cls, rep_s: int, info: ValidationInfo) -> int:
        start: Dose | None = info.data.get("dose_start")
        if start is not None and start.kind == "reps" and rep_s == 0:
            raise ValueError("a repetition must take at least 1 s")
        return rep_s

    @field_validator("alternate_sides")
    @classmethod
    def _sides_need_per_side(cls, alternate: bool, info: ValidationInfo) -> bool:
        start: Dose | None = info.data.get("dose_start")
        if alternate and start is not None and not start.per_side:
            raise ValueError("only a per_side dose can alternate sides")
        return alternate

    @field_validator("fills_time")
    @classmethod
    def _filler_is_one_hold(cls, fills: bool, info: ValidationInfo) -> bool:
        start: Dose | None = info.data.get("dose_start")
        if fills and start is not None and (start.kind, start.sets, start.reps) != ("hold", 1, 1):
            raise ValueError("a time filler must be a single hold (one continuous activity)")
        return fills

    @field_validator("harder")
    @classmethod
    def _harder_differs(cls, harder: str | None, info: ValidationInfo) -> str | None:
        if harder is not None and harder in (info.data.get("id"), info.data.get("easier")):
            raise ValueError("must differ from the exercise itself and from 'easier'")
        return harder

    @field_validator("easier")
    @classmethod
    def _easier_differs(cls, easier: str | None, info: ValidationInfo) -> str | None:
        if easier is not None and easier == info.data.get("id"):
            raise ValueError("must differ from the exercise itself")
        return easier

    @property
    def section(self) -> Section:
        """The routine section this exercise belongs to."""
        return SECTION_OF[self.category]


class AvoidItem(_Frozen):
    """Something the seeds say not to do with a sore back, and the safer exercise instead."""

    id: ExerciseId
    name: Annotated[str, _text(3, 60)]
    why: Line
    swap: ExerciseId
    source: SeedFile


class Segment(_Frozen):
    """One timed part of an exercise for the player: a hold, a block of reps, or a rest.

    ``set_index`` is 1-based out of ``sets``. For a hold, ``rep_index`` is the hold number out of
    ``reps`` (holds per side per set). For a block of reps ``reps`` is the count in the block and
    ``rep_index`` is None. ``alternating`` marks a block that switches side every rep (``reps``
    each side). Rests have ``reps == 0``.
    """

    kind: Literal["hold", "reps", "rest"]
    seconds: int = Field(ge=0)
    set_index: int = Field(gt=0)
    sets: int = Field(gt=0)
    rep_index: int | None = None
    reps: int = Field(ge=0)
    side: Side | None = None
    alternating: bool = False


class Done(_Frozen):
    """An exercise the user did on a local date (the builder's history input)."""

    exercise_id: str
    on: date


class RoutineItem(_Frozen):
    """One exercise of a routine with today's dose and its estimated duration."""

    exercise_id: str
    section: Section
    dose: Dose
    est_seconds: int = Field(ge=0)


class Routine(_Frozen):
    """A day's routine: items in play order, warm-up first and stretches last."""

    items: tuple[RoutineItem, ...]
    budget_minutes: int
    effective_level: int = Field(ge=1, le=3)
    gentle: bool

    @property
    def total_seconds(self) -> int:
        """Estimated duration of the whole routine."""
        return sum(item.est_seconds for item in self.items)

    @property
    def minutes(self) -> int:
        """Estimated duration rounded to whole minutes."""
        return round(self.total_seconds / 60)

    def section(self, section: Section) -> tuple[RoutineItem, ...]:
        """The items of one section, in play order."""
        return tuple(item for item in self.items if item.section is section)

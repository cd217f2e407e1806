"""Command line for the content package.

``python -m content check [--data DIR]``   validate the library, count it, list seed-named moves
``python -m content show ID [--data DIR]`` print an exercise card at its starting dose
``python -m content routine --level 2 --pain 3 --minutes 15 [--seed N] [--today DATE]``

Exit status: 0 on success, 1 when the data is invalid (each problem names file and field),
2 for a usage error or an unknown exercise id.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from content.cards import dose_text, exercise_card
from content.library import SEED_NAMED, Library, LibraryError, load_library
from content.model import Category, Section
from content.routines import GENTLE_PAIN, RoutineRequest, build_routine

_SECTION_TITLES = {
    Section.WARM_UP: "Warm-up",
    Section.ACTIVATION: "Core activation",
    Section.STRENGTH: "Strength",
    Section.STRETCH: "Mobility and stretches",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        library = load_library(args.data)
    except LibraryError as exc:
        print(f"Invalid library: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.command == "check":
        _check(library)
        return 0
    if args.command == "show":
        if args.exercise_id not in library:
            print(f"Unknown exercise id: {args.exercise_id!r}", file=sys.stderr)
            return 2
        exercise = library.get(args.exercise_id)
        print(exercise_card(exercise, exercise.dose_start))
        return 0
    _routine(library, args)
    return 0


def _parser() -> argparse.ArgumentParser:
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument(
        "--data", type=Path, default=None, help="data directory (default: content/data)"
    )
    parser = argparse.ArgumentParser(
        prog="python -m content", description="Check and preview the BackCoach exercise library."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", parents=[data], help="validate the library and summarise it")
    show = commands.add_parser("show", parents=[data], help="print one exercise card")
    show.add_argument("exercise_id", metavar="ID")
    routine = commands.add_parser("routine", parents=[data], help="build and print a routine")
    routine.add_argument("--level", type=int, choices=(1, 2, 3), required=True)
    routine.add_argument("--pain", type=int, choices=range(11), metavar="0-10", required=True)
    routine.add_argument("--minutes", type=int, choices=(10, 15, 20), required=True)
    routine.add_argument("--seed", type=int, default=None, help="variety seed (default: date)")
    routine.add_argument(
        "--today", type=date.fromisoformat, default=None, help="local date, YYYY-MM-DD"
    )
    return parser


def _check(library: Library) -> None:
    exercises = library.all()
    print(f"Library OK: {len(exercises)} exercises, {len(library.avoid_list)} things to avoid.")
    print()
    counts = Counter((ex.category, ex.level) for ex in exercises)
    print(f"  {'category':<12}{'L1':>4}{'L2':>4}{'L3':>4}{'total':>7}")
    for category in Category:
        row = [counts[category, level] for level in (1, 2, 3)]
        print(f"  {category.value:<12}{row[0]:>4}{row[1]:>4}{row[2]:>4}{sum(row):>7}")
    print()
    print(f"Seed-named exercises ({len(SEED_NAMED)}):")
    for exercise_id, seed_name in SEED_NAMED.items():
        exercise = library.get(exercise_id)
        print(f"  {exercise_id:<26} {seed_name:<40} {exercise.source}")
    print()
    print("Never in a routine (safer swap):")
    for item in library.avoid_list:
        print(f"  {item.name} -> {item.swap}")


def _routine(library: Library, args: argparse.Namespace) -> None:
    today = args.today or date.today()
    request = RoutineRequest(
        level=args.level, pain=args.pain, minutes=args.minutes, today=today, seed=args.seed
    )
    routine = build_routine(library, request)
    print(
        f"{routine.budget_minutes}-minute routine, level {request.level}, pain {request.pain}: "
        f"about {routine.minutes} min ({_clock(routine.total_seconds)})"
    )
    if routine.gentle:
        print(f"Gentle day (pain {GENTLE_PAIN}+): walking, mobility and stretches only.")
    elif routine.effective_level < request.level:
        print(f"Pain {request.pain}: exercises one level easier today.")
    for section in Section:
        items = routine.section(section)
        if not items:
            continue
        print()
        print(_SECTION_TITLES[section])
        for item in items:
            exercise = library.get(item.exercise_id)
            print(
                f"  {_clock(item.est_seconds):>5}  {exercise.name}: "
                f"{dose_text(exercise, item.dose)}"
            )


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


if __name__ == "__main__":
    sys.exit(main())

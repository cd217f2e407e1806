"""`python -m content`: check, show and routine, including bad data and unknown ids."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from content.__main__ import main
from content.library import SEED_NAMED

REPO = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_counts_and_lists_seed_named_exercises(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert re.search(r"Library OK: \d+ exercises", out)
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:2] == "  "}
    assert rows["strength"][-1] == str(sum(map(int, rows["strength"][:3])))
    for exercise_id in SEED_NAMED:
        assert f"  {exercise_id} " in out


def test_check_on_bad_data_exits_1_naming_file_and_field(
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    write_entries: Callable[..., Path],
    valid_exercise: Callable[..., dict[str, Any]],
) -> None:
    write_entries(valid_exercise(dose_start={"kind": "hold", "amount": -10}))
    code, out, err = run(capsys, "check", "--data", str(data_dir))
    assert code == 1
    assert out == ""
    assert "zz_extra.toml: exercise 'test_move': dose_start.amount:" in err


def test_show_prints_the_card(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "dead_bug")
    assert code == 0
    assert out.startswith("Dead bug\n")
    assert "8 reps, each side, alternating" in out
    assert "\n1. " in out and "Caution: " in out


def test_show_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "show", "crunches")
    assert code == 2
    assert "crunches" in err


def test_routine_prints_sections_and_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ("routine", "--level", "2", "--pain", "3", "--minutes", "15", "--seed", "7")
    code, out, _ = run(capsys, *argv)
    assert code == 0
    minutes = int(re.search(r"about (\d+) min", out).group(1))  # type: ignore[union-attr]
    assert 13 <= minutes <= 17
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert headings[1:] == ["Warm-up", "Core activation", "Strength", "Mobility and stretches"]
    assert run(capsys, *argv)[1] == out  # same seed, same routine


def test_routine_on_a_high_pain_day_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "routine", "--level", "3", "--pain", "8", "--minutes", "10")
    assert code == 0
    assert "Gentle day" in out
    assert "Strength" not in out


def test_routine_rejects_an_odd_budget(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["routine", "--level", "2", "--pain", "3", "--minutes", "12"])
    assert exc.value.code == 2


def test_module_runs_as_a_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "content", "show", "sphinx"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Sphinx stretch\n")

"""`backcoach shell` with piped input: the scripted conversations from the README and issues."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from content.library import load_library
from content.routines import RoutineRequest, build_routine

ONBOARDING = [
    "/start",
    "[I agree]",
    *["[No]"] * 7,
    "about 5",
    "[Longer]",
    "[Some activity]",
    "[Mon · Wed · Fri]",
    "7:45",
    "London",
    "[Yes]",
]


def shell(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    db = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--db", db, *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


def bot_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("🤖")]


def test_start_help_hello_prints_three_answers_and_exits_0(tmp_path: Path) -> None:
    result = shell(tmp_path, ["/start", "/help", "hello"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hi Ann" in out  # /start
    assert "/settings – " in out  # /help
    assert "Please tap “I agree”" in out  # hello, mid-consent: the hint
    assert out.index("Hi Ann") < out.index("/settings – ") < out.index("Please tap")
    assert "[1] I agree" in out


def test_the_whole_onboarding_can_be_scripted_to_the_summary(tmp_path: Path) -> None:
    result = shell(tmp_path, ONBOARDING)
    assert result.returncode == 0, result.stderr
    assert "(shell)" not in result.stdout  # every button was found
    last = result.stdout.split("you> [Yes]")[-1]
    assert "Here's your plan" in last and "Europe/London" in last and "07:45" in last
    assert "[1] Start my first routine now" in last


def test_a_missing_button_is_reported_and_the_shell_goes_on(tmp_path: Path) -> None:
    result = shell(tmp_path, ["/start", "[Maybe]", "/help"])
    assert result.returncode == 0
    assert "(shell) no button 'Maybe'" in result.stdout
    assert "/settings – " in result.stdout


def _a_day_with_a_bridge() -> tuple[date, int, str]:
    """A date whose first routine (level 2, pain 2) has a bridge with an easier version."""
    library = load_library()
    for offset in range(60):
        day = date(2026, 11, 23) + timedelta(days=offset)
        routine = build_routine(library, RoutineRequest(level=2, pain=2, minutes=15, today=day))
        for n, item in enumerate(routine.items, start=1):
            exercise = library.get(item.exercise_id)
            if "bridge" in exercise.id and exercise.easier is not None:
                return day, n, exercise.name
    raise AssertionError("no routine with a bridge in two months")


def test_a_sharp_hurt_on_a_bridge_gives_an_easier_bridge_next_time_with_the_reason(
    tmp_path: Path,
) -> None:
    day, position, bridge = _a_day_with_a_bridge()
    script = [
        *ONBOARDING[:9],
        "2",
        "[Longer]",
        "[Some activity]",
        *ONBOARDING[12:],
        "[Start my first routine now]",
        "[Start]",
        *["done"] * (position - 1),
        "it hurt",
        "[Sharp]",
        "6",
        "[End for today]",
        "4",
        # A sharp pain brings the red-flag questions back before the next routine.
        *["[No]"] * 7,
        "[+2d]",
        "/routine",
        "/plan",
    ]
    result = shell(tmp_path, script, "--now", f"{day.isoformat()}T07:00Z")
    assert result.returncode == 0, result.stderr
    assert "(shell)" not in result.stdout.replace("(shell) the clock", "")
    assert "Safety question 1 of 7" in result.stdout.split("you> [End for today]")[-1]
    later = result.stdout.split("you> /routine")[-1]
    intro, plan = later.split("you> /plan")
    reason = "(easier) — it gave a sharp or shooting pain"
    assert "What changed since last time:" in intro
    assert f"{bridge} → " in intro and reason in intro
    assert "Recent changes:" in plan and f"{bridge} → " in plan and reason in plan


def readme_scripts() -> list[list[str]]:
    """The piped conversations of the README's "Try it offline" section, as input lines."""
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"printf '(.*?)' \\\n\s*\| \.venv/bin/backcoach shell([^\n]*)", readme)
    return [[*text.split("\\n")[:-1], "::args::", *args.split()] for text, args in found]


def test_the_readme_scripts_show_what_they_promise(tmp_path: Path) -> None:
    leg, worse = [s for s in readme_scripts() if "::args::" in s][-2:]
    for script, promise in (
        (leg, ["I've stopped today's routine", "Numbness, tingling", "Safety question 1 of 7"]),
        (worse, ["7/10 is a lot", "A gentle day", "your morning pain was high (7/10)"]),
    ):
        cut = script.index("::args::")
        args = [a for a in script[cut + 1 :] if a != "--fresh"]
        (tmp_path / "s.db").unlink(missing_ok=True)
        result = shell(tmp_path, script[:cut], *args)
        assert result.returncode == 0, result.stderr
        for words in promise:
            assert words in result.stdout, (words, result.stdout[-1500:])

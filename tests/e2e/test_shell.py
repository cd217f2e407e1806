"""`backcoach shell` with piped input: the scripted conversations from the README and issues."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def shell(tmp_path: Path, lines: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--db", f"sqlite+aiosqlite:///{tmp_path}/s.db"],
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

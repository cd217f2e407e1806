"""A whole routine played through `backcoach shell` with piped input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ONBOARDING = [
    "/start", "[I agree]", *["[No]"] * 7, "about 3", "[Longer]", "[Some activity]",
    "[Mon · Wed · Fri]", "7:45", "London", "[Yes]", "[Start my first routine now]",
]  # fmt: skip
ROUTINE = [
    "/routine", "[Start]", "done", "skip", "it hurt", "[Muscles]", "3",
    *["done"] * 20, "4",
]  # fmt: skip


def test_a_routine_can_be_played_in_the_shell_to_its_summary(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--db", f"sqlite+aiosqlite:///{tmp_path}/s.db"],
        input="\n".join([*ONBOARDING, *ROUTINE]) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(shell)" not in out  # every button was found
    assert "Today's routine · about 15 min" in out
    assert "Exercise 1 of " in out and "Caution: " in out
    assert "Sorry it hurt. What did it feel like?" in out
    assert "muscles working — that's normal" in out
    assert "How is your back right now" in out
    summary = out.split("you> 4")[-1]
    assert "Well done, Ann! 🎉 Routine complete." in summary
    # The ache told with "it hurt" counts (issue 14: it used to show as "hurt 0").
    assert "· skipped 1 · hurt 1 ·" in summary and "Your back now: 4/10" in summary
    assert "Next routine: " in summary
    assert "How did that feel?" in summary and "[1] 😌 Easy" in summary

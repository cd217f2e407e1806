"""`backcoach shell` run twice on one database: the second session's words are not ignored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def shell(tmp_path: Path, lines: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKCOACH_")}
    db = f"sqlite+aiosqlite:///{tmp_path}/s.db"
    return subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--db", db],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )


FIRST = ["/start", "[I agree]", *["[No]"] * 7, "about 5"]  # update 10 is on record
# Back to the steps where the first run stopped; the tenth update is a typed time.
SECOND = ["/start", "[Longer]", "[Some activity]", "[Mon · Wed · Fri]", *["/help"] * 5, "7:45"]


def test_a_second_shell_on_the_same_database_answers_typed_words(tmp_path: Path) -> None:
    first = shell(tmp_path, FIRST)
    assert first.returncode == 0, first.stderr
    assert "How long has your back been hurting" in first.stdout

    second = shell(tmp_path, SECOND)
    assert second.returncode == 0, second.stderr
    after_time = second.stdout.split("you> 7:45")[-1]
    assert "where are you" in after_time  # the typed time was taken, not ignored

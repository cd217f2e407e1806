"""`backcoach shell` run twice on one database: the second session's words are not ignored."""

from __future__ import annotations

from pathlib import Path

from test_shell import shell

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

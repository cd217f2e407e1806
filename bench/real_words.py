"""Writes bot/domain/real_words.txt: common English words one slip away from the lexicon.

    .venv/bin/python bench/real_words.py

The understanding step corrects a misspelt symptom word ("tinglng" → "tingling"), but a real
word one slip away ("sock", "seven") must stay itself, or "pick up a sock" would read as
"shock". This lists the 60,000 most frequent English words (wordfreq, a development
dependency) that a correction would otherwise change; tests/unit/understanding checks the
file is complete for the lexicon as it stands.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wordfreq import top_n_list  # noqa: E402

from bot.domain.understanding import REAL_WORDS, would_correct  # noqa: E402

COMMON = 60_000


def real_words() -> list[str]:
    """Frequent words the typo correction would otherwise turn into lexicon words."""
    return sorted({w for w in top_n_list("en", COMMON) if w.isalpha() and would_correct(w)})


def main() -> int:
    words = real_words()
    REAL_WORDS.write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words written to {REAL_WORDS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

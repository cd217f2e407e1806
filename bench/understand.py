"""Benchmark: the understanding step — messages per second on one core, and its start-up cost.

    .venv/bin/python bench/understand.py [--rounds 5] [--repeat 10] [--imports 7]

Throughput: every message of the labelled corpus (tests/unit/understanding/) is understood
`--repeat` times per round, in this one process (one core); the table gives the median of
`--rounds` rounds. The baseline, measured in the same run on the same messages, is what the
routine player read before this step existed: `parse_intent`, `parse_pain` and
`parse_pain_kind` on each message.

Start-up: a fresh interpreter imports what the understanding step stands on (the parsers and
the safety rules), then, in another, the step itself with its vocabulary loaded and indexed
(the first `understand()` call); the table gives the median of `--imports` runs of each and
their difference: what the step adds to the bot's start-up. Target: at least 5,000 messages/s
and under 0.2 s added to start-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.parsing import parse_intent, parse_pain  # noqa: E402
from bot.domain.player_text import parse_pain_kind  # noqa: E402
from bot.domain.understanding import understand  # noqa: E402

CORPUS = ROOT / "tests" / "unit" / "understanding"
TARGET_RATE = 5000
TARGET_IMPORT = 0.2


def messages() -> list[str]:
    """The corpus texts, in file order."""
    return [
        json.loads(line)["text"]
        for path in sorted(CORPUS.glob("corpus_*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def old_readers(text: str) -> None:
    """What the player read of a message before the understanding step."""
    parse_intent(text)
    parse_pain(text)
    parse_pain_kind(text)


def rate(read: Callable[[str], object], texts: Sequence[str], repeat: int, rounds: int) -> float:
    """Median messages per second over `rounds` rounds."""
    for text in texts:  # warm caches, as a running bot has
        read(text)
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            for text in texts:
                read(text)
        results.append(len(texts) * repeat / (time.perf_counter() - start))
    return statistics.median(results)


def import_seconds(code: str, runs: int) -> float:
    """Median wall time of a fresh interpreter running `code`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--imports", type=int, default=7)
    args = parser.parse_args()
    texts = messages()
    new = rate(understand, texts, args.repeat, args.rounds)
    old = rate(old_readers, texts, args.repeat, args.rounds)
    bare = import_seconds("import bot.domain.parsing, bot.domain.safety", args.imports)
    loaded = import_seconds(
        "from bot.domain.understanding import understand; understand('hi')", args.imports
    )
    added = max(0.0, loaded - bare)
    print(f"corpus: {len(texts)} messages, {args.rounds} rounds × {args.repeat} passes")
    print()
    print("| measure | baseline | understanding | ratio | target |")
    print("|---|---|---|---|---|")
    print(
        f"| messages/s, one core (median) | {old:,.0f} (old parsers) | {new:,.0f} "
        f"| {new / old:.2f} | ≥ {TARGET_RATE:,} |"
    )
    print(
        f"| start-up: import and index (median of {args.imports}) | {bare:.3f} s | {loaded:.3f} s "
        f"| +{added:.3f} s | < +{TARGET_IMPORT} s |"
    )
    ok = new >= TARGET_RATE and added < TARGET_IMPORT
    print()
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

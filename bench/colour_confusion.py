"""The colour reader's confusion as ingest stored it, and whether naming a thing by it would name things better.

Every stored object sighting of simulated episodes matched to a true thing of the sighting's label; its stored
colour counted against the thing's true colour (the reader calibrated like a sensor). With ``--names`` each
true thing's reads are named two ways: by ``planners.identities.read_colour`` (most read, faded and lifted
colours put right) and by the true colour of largest posterior given the reads under the measured confusion
(each read an independent draw from its true colour's row, one pseudo-count per cell, flat prior over
colours), the confusion measured on ``--calibrate`` sets (default: the sets themselves, i.e. in-sample).

    PYTHONPATH=$PWD python bench/colour_confusion.py WORK:1,2,3 [WORK:4,5,6 ...] [--names] [--calibrate WORK:1,2,3 ...]

WORK is a ``mnemo eval --suite sim --work`` folder; matching as in ``bench/colour_reading.py`` (nearest truth
frame within 0.15 s, IoU >= 0.3). Develop on dev seeds only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.colour_reading import matched  # noqa: E402


def confusion(work: Path, seed: int, only: str | None = None) -> dict[str, Counter]:
    """True colour -> Counter of stored reads, over the object sightings matched to a thing of their label."""
    out: dict[str, Counter] = defaultdict(Counter)
    for _, _, obj, colour, label in matched(work, seed):
        if colour and obj["category"] == label and only in (None, obj["id"]):
            out[obj["colour"]][colour] += 1
    return out


def matched_reads(work: Path, seed: int) -> list[tuple[dict, Counter]]:
    """(true thing, Counter of its stored reads) per true thing with reads of its label."""
    truth = json.loads((work / f"episode-{seed}/truth.json").read_text())
    out = []
    for obj in truth["objects"]:
        reads = confusion(work, seed, only=obj["id"]).get(obj["colour"], Counter())
        if reads:
            out.append((obj, reads))
    return out


def likeliest(reads: Counter, table: dict[str, Counter], smooth: float = 1.0) -> str | None:
    """The true colour of largest posterior given the reads, each an independent draw from its row, flat prior."""
    if not reads:
        return None

    def p(read: str, true: str) -> float:
        return (table[true][read] + smooth) / (sum(table[true].values()) + smooth * len(table))
    score = {t: sum(n * math.log(p(c, t)) for c, n in reads.items()) for t in table}
    return max(sorted(score), key=lambda t: score[t])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", help="WORK:seed,seed,...")
    parser.add_argument("--names", action="store_true", help="name each true thing both ways")
    parser.add_argument("--calibrate", nargs="*", default=None, help="WORK:seeds to measure the confusion on")
    args = parser.parse_args()
    total = _table(args.calibrate or args.sets)
    print(f"# {sum(sum(c.values()) for c in total.values())} sightings")
    for true in sorted(total):
        print(f'    "{true}": {dict(sorted(total[true].items()))},')
    if args.names:
        from planners.identities import read_colour

        right = Counter()
        for item in args.sets:
            work, seeds = item.rsplit(":", 1)
            for seed in seeds.split(","):
                for obj, reads in matched_reads(Path(work), int(seed)):
                    a, b = read_colour(reads), likeliest(reads, total)
                    right["things"] += 1
                    right["rules"] += a == obj["colour"]
                    right["posterior"] += b == obj["colour"]
                    if a != b:
                        print(seed, obj["colour"], obj["category"], dict(reads), "rules:", a, "posterior:", b)
        print(dict(right))


def _table(sets: list[str]) -> dict[str, Counter]:
    total: dict[str, Counter] = defaultdict(Counter)
    for item in sets:
        work, seeds = item.rsplit(":", 1)
        for seed in seeds.split(","):
            for true, reads in confusion(Path(work), int(seed)).items():
                total[true].update(reads)
    return total


if __name__ == "__main__":
    main()

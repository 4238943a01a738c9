"""Precision and recall of the acts the perceived world infers (puts, picks, openings, entries, handovers),
against the simulator's truth, and how often each act's doer is the true one.

    python bench/acts.py [--seeds 1,2,3] [--minutes 10] [--work out/eval-work] [--out out/bench/acts.json]

Each seed's episode is ingested as ``mnemo eval --suite sim`` ingests it (bench/causal_answers.py:
``perceived_memory``, reused from ``--work``), the world is built from that memory (``planners.world.World``),
and its acts are matched to the truth's by ``acts_score`` (the same matching the oracle test uses).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    from bench.causal_answers import perceived_memory
    from memory.store import MemoryStore
    from mnemo.evaluation.acts import acts_score, pooled
    from planners.world import World

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--work", type=Path, default=Path("out/eval-work"))
    parser.add_argument("--out", type=Path, default=Path("out/bench/acts.json"))
    args = parser.parse_args()
    per_seed = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        directory, truth = perceived_memory(seed, args.minutes, args.work)
        store = MemoryStore(directory, create=False, readonly=True)
        try:
            per_seed[seed] = acts_score(World(store), truth)
        finally:
            store.close()
    report = {"seeds": args.seeds, "pooled": pooled(list(per_seed.values())), "per_seed": per_seed}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report["pooled"], indent=1))


if __name__ == "__main__":
    main()

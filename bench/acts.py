"""Precision and recall of the acts the perceived world infers (puts, picks, openings, entries, handovers),
against the simulator's truth, and how often each act's doer is the true one.

    python bench/acts.py [--seeds 1,2,3] [--minutes 10] [--work out/eval-work] [--out out/bench/acts.json]

Each seed's episode is ingested as ``mnemo eval --suite sim`` ingests it (bench/causal_answers.py:
``perceived_memory``, reused from ``--work``; a ``--work`` of ``mnemo eval``'s own, ``memory-N`` beside
``episode-N/truth.json``, is read as it is), the world is built from that memory (``planners.world.World``),
and its acts are matched to the truth's by ``acts_score`` (the same matching the oracle test uses). ``by_label``
scores the same acts with things named by their label alone: a put or pick found on a thing whose colour
perception misread is the act found, the name a perception slip (answers take the one look-alike of another
colour with the deed asked about: docs/reasoning.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def memory_of(seed: int, minutes: float, work: Path):
    """(memory directory, truth) of the seed's episode under ``work``: the ``mnemo eval --suite sim`` layout
    (``memory-N`` beside ``episode-N/truth.json``, any profile) when it is there, else ingested as
    bench/causal_answers.py's ``perceived_memory`` does (built once into ``perceived-N``)."""
    from bench.causal_answers import perceived_memory
    from sim import load_truth

    stored, truth = work / f"memory-{seed}", work / f"episode-{seed}" / "truth.json"
    if (stored / "memory.db").exists() and truth.exists():
        return stored, load_truth(truth)
    return perceived_memory(seed, minutes, work)


def by_label(world, truth):
    """(world, truth) as ``acts_score`` reads them, each thing named by its label ("red mug" -> "mug")."""
    from dataclasses import replace
    from types import SimpleNamespace

    label = lambda name: name.split()[-1]  # noqa: E731
    acts = [replace(a, target=label(a.target)) if a.kind in ("put", "pick", "handover") else a for a in world.actions]
    return (SimpleNamespace(actions=acts, people=world.people),
            replace(truth, objects=[replace(o, name=label(o.name)) for o in truth.objects]))


def main() -> None:
    from memory.store import MemoryStore
    from mnemo.evaluation.acts import acts_score, pooled
    from planners.world import World

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--work", type=Path, default=Path("out/eval-work"))
    parser.add_argument("--out", type=Path, default=Path("out/bench/acts.json"))
    args = parser.parse_args()
    per_seed, per_label = {}, {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        directory, truth = memory_of(seed, args.minutes, args.work)
        store = MemoryStore(directory, create=False, readonly=True)
        try:
            world = World(store)
            per_seed[seed] = acts_score(world, truth)
            per_label[seed] = acts_score(*by_label(world, truth))
        finally:
            store.close()
    report = {"seeds": args.seeds, "pooled": pooled(list(per_seed.values())), "per_seed": per_seed,
              "by_label": pooled(list(per_label.values()))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    for name in ("pooled", "by_label"):
        print(name, json.dumps({k: {m: v if not isinstance(v, float) else round(v, 3) for m, v in kind.items()}
                                for k, kind in report[name].items()}))


if __name__ == "__main__":
    main()

"""QA accuracy per type and answering time of the sim suite's questions, from a memory ingested once.

    python bench/causal_answers.py [--seeds 1,2,3] [--minutes 20] [--work out/eval-work] [--out out/bench/causal.json]

For each seed: the episode rendered by ``mnemo eval --suite sim`` (reused from ``--work``/episode-N,
rendered there when missing) is ingested as the suite ingests it (the simulator's detector through
ingest's entity stage at the default noise; the episode's audio through lite's speech stack, which
recognises no words; poses and the map beside; built once into
``--work``/perceived-N and reused), and the suite's generated questions are asked of a Reasoner at
their times. The generated question types' answers read the perceived world (the rule of each is in
the output), so re-running the answerer costs no new ingest; evidence is not compared. The answering
wall time is the cost of answering each question from the world cut at its time (issue #26).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def perceived_memory(seed: int, minutes: float, work: Path):
    """(memory directory, truth) of the seed's episode, ingested as ``mnemo eval --suite sim`` does (the
    simulator's detector through ingest's entity stage; its audio through lite's speech stack; poses and the
    map beside)."""
    import mnemo
    from mnemo.evaluation.sim_perception import feed_sim_perception
    from mnemo.evaluation.sim_suite import prepare_episode, sim_profile
    from sim import NoiseConfig
    from streams.identity import stream_id

    video, truth, _ = prepare_episode(seed, minutes, work / f"episode-{seed}")
    directory = work / f"perceived-{seed}"
    if not (directory / "done").exists():
        profile = sim_profile("lite", truth, video.parent / "truth.json", NoiseConfig(), seed)
        with mnemo.open(directory, profile=profile, create=True) as memory:
            stream = stream_id(str(video))
            memory.store.add_stream(stream, str(video))
            feed_sim_perception(memory.store, truth, stream, NoiseConfig(), seed)
            memory.ingest(str(video))
        (directory / "done").write_text("")
    return directory, truth


def answer_episode(directory: Path, truth, seed: int) -> dict:
    from memory.store import MemoryStore
    from mnemo.reasoner import Reasoner
    from sim import generate_questions, score

    questions = generate_questions(truth, seed=seed, per_type=30)
    store = MemoryStore(directory, create=False, readonly=True)
    answers = []
    with Reasoner(store, embedders={}) as reasoner:
        started = time.perf_counter()
        for q in questions:
            a = reasoner.ask(q.text, at=q.asked_at)
            answers.append({"id": q.id, "type": q.type, "at": q.asked_at, "text": q.text, "answer": a.text,
                            "rule": a.detail.get("rule"), "truth": str(q.answer),
                            "score": float(score(q, a.value if a.known else None))})
        wall = time.perf_counter() - started
    store.close()
    return {"seed": seed, "questions": len(questions), "answer_wall_s": wall, "answers": answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--work", type=Path, default=Path("out/eval-work"))
    parser.add_argument("--out", type=Path, default=Path("out/bench/causal.json"))
    args = parser.parse_args()
    episodes = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        directory, truth = perceived_memory(seed, args.minutes, args.work)
        episodes.append(answer_episode(directory, truth, seed))
        print(f"seed {seed}: {episodes[-1]['questions']} questions answered in "
              f"{episodes[-1]['answer_wall_s']:.1f} s", flush=True)
    scores = defaultdict(list)
    for e in episodes:
        for a in e["answers"]:
            scores[a["type"]].append(a["score"])
    report = {"seeds": args.seeds, "accuracy": float(np.mean([s for v in scores.values() for s in v])),
              "by_type": {t: float(np.mean(v)) for t, v in scores.items()},
              "answer_wall_s": sum(e["answer_wall_s"] for e in episodes),
              "rules": dict(Counter(a["rule"] for e in episodes for a in e["answers"])), "episodes": episodes}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps({k: report[k] for k in ("accuracy", "by_type", "answer_wall_s")}, indent=1))


if __name__ == "__main__":
    main()

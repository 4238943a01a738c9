"""What the colour reading is worth to the answers: copies of evaluated memories whose object sightings get their
colour read again from the episode's frames by the current ``perception/colour.py``, asked the suite's questions.

    PYTHONPATH=$PWD python bench/colour_reask.py WORK --seeds 4,5,6 --scratch /tmp/reask [--types where_now,where_at]

WORK is a ``mnemo eval --suite sim --work`` folder (``episode-N`` and ``memory-N``); nothing in it is written.
Each ``memory-N`` is copied to ``SCRATCH/memory-N``, and every object sighting with a box there gets the colour the
namer reads at the video frame of its time (ingest reads the same frame and box; nothing else of ingest depends
on the colour). The suite's dev-wording questions are then asked of the copy and of the original memory, and the
accuracy per type of both is printed, each beside the last_room baseline on the same memory (``before`` is the
original, which reproduces the evaluation's own figures).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perception.colour import ColourNamer  # noqa: E402


def recolour(memory: Path, video: Path, namer: ColourNamer) -> tuple[int, int]:
    """Rewrites the colour of every object sighting with a box from the frame at its time; (sightings, changed)."""
    import av

    db = sqlite3.connect(memory / "memory.db")
    rows = db.execute("select rowid, time, box, colour from sightings where kind='object' and box is not null "
                      "order by time").fetchall()
    by_time: dict[float, list] = defaultdict(list)
    for row in rows:
        by_time[row[1]].append(row)
    times = sorted(by_time)
    updates, k = [], 0
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            ft = float(frame.pts * frame.time_base)
            image = None
            while k < len(times) and times[k] <= ft + 1e-3:
                if abs(times[k] - ft) <= 0.051:
                    image = frame.to_ndarray(format="rgb24") if image is None else image
                    for rowid, _, box, old in by_time[times[k]]:
                        updates.append((namer.of_box(image, json.loads(box)), rowid, old))
                k += 1
            if k >= len(times):
                break
    db.executemany("update sightings set colour = ? where rowid = ?", [(new, rowid) for new, rowid, _ in updates])
    db.commit()
    db.close()
    return len(rows), sum(new != (old or "") for new, _, old in updates)


def accuracy(memory: Path, truth, seed: int, types: set[str] | None) -> tuple[dict, dict]:
    """Scores per question type of the answerer and of the last_room baseline on the same memory."""
    import mnemo
    from mnemo.evaluation.baselines import baseline_score, make_baselines
    from mnemo.evaluation.sim_suite import QUESTIONS_PER_TYPE
    from sim.questions import generate_questions, score

    scores: dict[str, list[float]] = defaultdict(list)
    last_room: dict[str, list[float]] = defaultdict(list)
    baseline = make_baselines("last_room")[0]
    questions = [q for q in generate_questions(truth, seed=seed, per_type=QUESTIONS_PER_TYPE)
                 if types is None or q.type in types]
    with mnemo.open(memory) as m:
        for q in questions:
            answer = m.ask(q.text, at=q.asked_at)
            scores[q.type].append(float(score(q, answer.value if answer.known else None)))
            last_room[q.type].append(baseline_score(baseline, m, q))
    return scores, last_room


def main() -> None:
    from mnemo.evaluation.sim_suite import prepare_episode

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work", type=Path)
    parser.add_argument("--seeds", default="4,5,6")
    parser.add_argument("--scratch", type=Path, required=True)
    parser.add_argument("--types", default="", help="comma-separated question types (default: all)")
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    types = set(args.types.split(",")) if args.types else None
    total: dict[str, dict[str, list[float]]] = {w: defaultdict(list) for w in
                                                ("before", "after", "last_room before", "last_room after")}
    for seed in (int(s) for s in args.seeds.split(",")):
        video, truth, _ = prepare_episode(seed, args.minutes, args.work / f"episode-{seed}")
        copies = {}
        for which in ("before", "after"):
            copies[which] = args.scratch / f"{which}-{seed}"
            shutil.rmtree(copies[which], ignore_errors=True)
            shutil.copytree(args.work / f"memory-{seed}", copies[which], ignore=shutil.ignore_patterns("writer.lock"))
        n, changed = recolour(copies["after"], video, ColourNamer())
        line = [f"seed {seed}: {changed} of {n} object sightings change colour"]
        for which, memory in copies.items():
            for name, scores in zip((which, f"last_room {which}"), accuracy(memory, truth, seed, types)):
                for t, s in scores.items():
                    total[name][t] += s
                line.append(name + " " + " ".join(f"{t} {np.mean(s):.3f}" for t, s in sorted(scores.items())))
        print("; ".join(line), flush=True)
    for which, scores in total.items():
        every = [v for s in scores.values() for v in s]
        print(f"{which}: all {np.mean(every):.3f} ({len(every)}) " +
              " ".join(f"{t} {np.mean(s):.3f} ({len(s)})" for t, s in sorted(scores.items())))


if __name__ == "__main__":
    main()

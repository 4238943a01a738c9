"""Why one person becomes several entities: a tally of the person clusters ingest stored on simulated
episodes, and a replay of person re-identification on the stored tracks (fast: no re-ingest).

    PYTHONPATH=$PWD python bench/person_splits.py WORK [--seeds 1,2,3] [--json]

The answerer's world takes its people from these stored entities (planners/world_build.py): "stored" is its
figure too.
WORK is a ``mnemo eval --suite sim --work`` folder (``episode-N/truth.json`` and ``memory-N`` beside).
Per seed and true person: B-cubed of person sightings, clusters found, and per split (a track that founded an
entity while its person already had one) the reason seen at that moment: the person's entity was in view at
the same time (excluded), or the track's appearance was below the threshold (with the track's box: cut off by
the frame's edge, small/far, short); and the sightings lost to precision: a track that joined another person's
entity, a track holding two people (a tracker swap). The replay uses each track's stored vector (its mean, kept
on its best view) in the order ingest entered them (appearance ids); ``--reid`` replays other ReidConfig fields.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnemo.evaluation.entities import _match, _observation, bcubed  # noqa: E402


@dataclass
class PersonTrack:
    track: int  # appearance id (ingest's entry order)
    entity: int  # entity ingest stored
    times: list
    boxes: list
    truths: list  # per sighting: the true person, or "false:N"
    vector: np.ndarray | None

    @property
    def truth(self) -> str:
        return Counter(self.truths).most_common(1)[0][0]

    @property
    def start(self) -> float:
        return min(self.times)

    @property
    def end(self) -> float:
        return max(self.times)


def load(work: Path, seed: int, size: tuple[int, int] = (320, 240), kind: str = "person") -> list[PersonTrack]:
    """Person tracks stored in WORK/memory-SEED, each sighting matched to the truth as the evaluation does."""
    from sim import load_truth

    truth = load_truth(work / f"episode-{seed}" / "truth.json")
    db = sqlite3.connect(f"file:{work / f'memory-{seed}' / 'memory.db'}?mode=ro", uri=True)
    rows = db.execute("SELECT time, track, entity, kind, box, appearance FROM sightings WHERE box IS NOT NULL "
                      "AND entity IS NOT NULL ORDER BY time, id").fetchall()
    merged = dict(db.execute("SELECT id, merged_into FROM entities WHERE merged_into IS NOT NULL").fetchall()) \
        if _has_column(db, "entities", "merged_into") else {}
    db.close()
    sx, sy = size[0] / float(truth.width), size[1] / float(truth.height)
    frames = {round(float(o.time), 3): o for o in truth.observations}
    tolerance = 0.5 / float(truth.observation_rate)
    by_time: dict[float, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_time[round(r[0], 3)].append(i)
    true_of: dict[int, str] = {}
    for time, members in by_time.items():
        observation = _observation(frames, time, tolerance)
        visible = [] if observation is None else [
            (e.entity, (e.box[0] * sx, e.box[1] * sy, e.box[2] * sx, e.box[3] * sy)) for e in observation.entities]
        pairs = _match([json.loads(rows[i][4]) for i in members], [b for _, b in visible], 0.3)
        for k, i in enumerate(members):
            j = pairs.get(k)
            true_of[i] = str(visible[j][0]) if j is not None else f"false:{rows[i][1]}"
    tracks: dict[int, PersonTrack] = {}
    for i, (time, track, entity, row_kind, box, vector) in enumerate(rows):
        if row_kind != kind:
            continue
        t = tracks.setdefault(track, PersonTrack(track, _root(merged, entity), [], [], [], None))
        t.times.append(float(time))
        t.boxes.append(json.loads(box))
        t.truths.append(true_of[i])
        if vector is not None:
            t.vector = np.frombuffer(vector, np.float16).astype(np.float64)
    return [tracks[k] for k in sorted(tracks)]


def _has_column(db, table: str, column: str) -> bool:
    return any(r[1] == column for r in db.execute(f"PRAGMA table_info({table})"))


def _root(parent: dict, e: int) -> int:
    while e in parent:
        e = parent[e]
    return e


def score(tracks: list[PersonTrack], entity_of: dict[int, int] | None = None) -> dict:
    """B-cubed of person sightings (entity per track: ``entity_of`` or what ingest stored)."""
    pred, true = {}, {}
    for t in tracks:
        for k, truth in enumerate(t.truths):
            pred[(t.track, k)] = (entity_of or {}).get(t.track, t.entity)
            true[(t.track, k)] = truth
    b = bcubed(pred, true)
    people = {v for v in true.values() if not v.startswith("false:")}
    clusters = {p: len({pred[i] for i in true if true[i] == p}) for p in sorted(people)}
    return {"precision": round(b.precision, 3), "recall": round(b.recall, 3), "f1": round(b.f1, 3),
            "entities": len(set(pred.values())), "people": len(people), "clusters_per_person": clusters,
            "sightings": len(pred)}


def edge_share(t: PersonTrack, size: tuple[int, int], margin: float = 2.0) -> float:
    """Share of the track's boxes touching the frame's edge (cut off by it)."""
    w, h = size
    cut = [b[0] <= margin or b[1] <= margin or b[2] >= w - margin or b[3] >= h - margin for b in t.boxes]
    return float(np.mean(cut))


def _trim(vectors: list, size: int) -> list:
    """The registry's gallery rule: drop the most redundant vectors (highest similarity to another) down to size."""
    while len(vectors) > size:
        units = np.stack([v / max(np.linalg.norm(v), 1e-12) for v in vectors])
        sims = units @ units.T
        np.fill_diagonal(sims, -np.inf)
        vectors.pop(int(np.argmax(sims.max(axis=1))))
    return vectors


def tally(tracks: list[PersonTrack], size: tuple[int, int] = (320, 240), gallery_size: int = 5,
          **options) -> dict:
    """Replay ingest's person re-identification (ReidConfig ``options``; a gallery of ``gallery_size`` track
    vectors per entity, as the registry keeps) and say, for each track that founded an entity while its
    person already had one, why it did not join."""
    from perception.reid import ReidClusterer

    reid = ReidClusterer(**{"kind_thresholds": (("person", 0.35),), **options})
    gallery: dict[int, list] = defaultdict(list)
    recent: list[tuple[int, float, float]] = []
    first_entity: dict[str, set] = defaultdict(set)  # true person -> entities their tracks made
    owner: dict[int, Counter] = defaultdict(Counter)  # entity -> true people's sightings
    reasons: Counter = Counter()
    details = []
    entity_of: dict[int, int] = {}
    for t in tracks:
        if t.vector is None:
            continue
        busy = [e for e, s, end in recent if s < t.end and end > t.start]
        unit = reid._centred(t.vector, "person", "", len(t.times), update=False)
        sims = dict(zip(reid.entities("person"), reid.similarities(unit, "person")))
        entity = reid.assign(t.vector, "person", weight=len(t.times), exclude=busy)
        entity_of[t.track] = entity
        recent.append((entity, t.start, t.end))
        gallery[entity] = _trim(gallery[entity] + [t.vector], gallery_size)
        views = {e: np.stack(v) for e, v in gallery.items() if v}
        for a, b, _ in reid.merge_candidates(views=views):
            spans = {e: [(s, end) for x, s, end in recent if x == e] for e in (a, b)}
            if any(s1 <= e2 and s2 <= e1 for s1, e1 in spans[a] for s2, e2 in spans[b]):
                continue  # seen at the same time: two people (ingest asks the registry)
            reid.merge(a, b)
            gallery[a] = _trim(gallery[a] + gallery.pop(b, []), gallery_size)
            entity_of = {k: (a if v == b else v) for k, v in entity_of.items()}
            recent = [(a if e == b else e, s, end) for e, s, end in recent]
            owner[a] += owner.pop(b, Counter())
            first_entity = defaultdict(set, {p: {a if e == b else e for e in es} for p, es in first_entity.items()})
            entity = a if entity == b else entity
        truth = t.truth
        own = [e for e in first_entity[truth] if e in sims]
        if entity not in sims and own and not truth.startswith("false:"):  # founded a new entity: a split
            best = max(own, key=lambda e: sims[e])
            if best in busy:
                why = "in view with its own entity (excluded)"
            else:
                why = "appearance below threshold"
                edge = edge_share(t, size)
                height = float(np.median([b[3] - b[1] for b in t.boxes]))
                why += (": cut by the frame" if edge >= 0.5 else ": small/far" if height < 40
                        else ": short track" if len(t.times) <= 2 else ": whole view")
            reasons[why] += len(t.times)
            details.append({"track": t.track, "truth": truth, "n": len(t.times), "best_own": round(float(sims[best]), 3),
                            "best_other": round(float(max([s for e, s in sims.items() if e not in own], default=-1)), 3),
                            "why": why, "edge": round(edge_share(t, size), 2),
                            "height": round(float(np.median([b[3] - b[1] for b in t.boxes])), 1)})
        held = owner[entity].most_common(1)[0][0] if owner[entity] else None
        if entity in sims and held is not None and held != truth and not truth.startswith("false:"):
            reasons["joined another person's entity"] += len(t.times)  # a precision loss, not a split
            details.append({"track": t.track, "truth": truth, "n": len(t.times), "joined": held,
                            "sim": round(float(sims[entity]), 3), "why": "joined another person's entity"})
        if len({x for x in t.truths if not x.startswith("false:")}) > 1:
            reasons["track holds two people (tracker swap)"] += len(t.times)
        first_entity[truth].add(entity)
        owner[entity][truth] += len(t.times)
    false = sum(x.startswith("false:") for t in tracks for x in t.truths)
    return {"replay": score(tracks, entity_of), "split_sightings_by_reason": dict(reasons), "splits": details,
            "sightings_matching_no_person": false}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--reid", default="{}", help="ReidConfig fields as JSON, e.g. '{\"view_kinds\": [\"person\"]}'")
    args = parser.parse_args()
    options = json.loads(args.reid)
    out = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        tracks = load(args.work, seed)
        out[seed] = {"stored": score(tracks), "tracks": len(tracks), **tally(tracks, **options)}
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for seed, r in out.items():
        print(f"seed {seed}: stored {r['stored']}")
        print(f"  replay {r['replay']}")
        print(f"  sightings by reason {r['split_sightings_by_reason']}; matching no person: "
              f"{r['sightings_matching_no_person']}")
        for d in r["splits"]:
            print("   ", d)


if __name__ == "__main__":
    main()

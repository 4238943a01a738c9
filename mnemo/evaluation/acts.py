"""The perceived world's acts scored against a simulated episode's truth: per kind (put, pick, open, enter,
handover), precision (inferred acts that match a true one) and recall (true acts done in view that were
inferred), and the share of matched acts whose doer is the true one.

A true act and an inferred one match when they are of one kind, on the same thing (its name), piece of
furniture (its label) or room, and within TOLERANCE seconds; each true act matches at most one inferred
act (nearest in time first). The doer is judged by place, as the world names its people by itself: the
inferred doer was seen within DOER_RADIUS metres of where the true doer stood, within DOER_SECONDS of the
act. Pauses while carried are not acts (``Action.resting``), visits are not scored, handovers count from
the confidence answers read them at (``planners.world_acts.HANDOVER_BAR``)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from planners.world_acts import HANDOVER_BAR

KINDS = ("put", "pick", "open", "enter", "handover")
TOLERANCE = {"put": 5.0, "pick": 5.0, "open": 3.0, "enter": 3.0, "handover": 10.0}  # seconds
DOER_RADIUS = 1.5  # metres between the inferred doer's sighting and the true doer's place
DOER_SECONDS = 2.0  # seconds around the act in which that sighting may be


def true_acts(truth) -> list[dict]:
    """The truth's acts of the scored kinds: kind, time, doer (person id), target name, seen (in view).
    A handover is a fetched thing put down for someone who asked for it (the putter's line to them)."""
    names = {e.id: e.name for e in (*truth.objects, *truth.rooms)}
    names.update({f.id: f.category for f in truth.furniture})
    out = [{"kind": e.kind, "time": e.time, "doer": e.actor, "target": names.get(e.target, e.target),
            "seen": e.observed}
           for e in truth.events if e.kind in ("put", "pick", "open", "enter")]
    for u in truth.utterances:
        if u.kind != "handover" or not u.objects or u.addressee is None:
            continue
        puts = [e for e in truth.events if e.kind == "put" and e.actor == u.speaker and e.target == u.objects[0]
                and e.time <= u.start]
        if puts:
            out.append({"kind": "handover", "time": puts[-1].time, "doer": u.speaker, "to": u.addressee,
                        "target": names[u.objects[0]], "seen": puts[-1].observed})
    return out


def acts_score(world, truth) -> dict:
    """Per kind: true (seen), inferred, matched, precision, recall, doer (share of matches with the right doer)."""
    paths = {k.entity: k for k in truth.paths}
    truths = true_acts(truth)
    inferred = [a for a in world.actions if a.kind in KINDS and a.resting
                and (a.kind != "handover" or a.confidence >= HANDOVER_BAR)]
    out = {}
    for kind in KINDS:
        want = [t for t in truths if t["kind"] == kind]
        have = [a for a in inferred if a.kind == kind]
        pairs = _match(want, have, TOLERANCE[kind])
        seen = [t for t in want if t["seen"]]
        found = [i for i, t in enumerate(want) if t["seen"] and i in pairs]
        doers = [_same_doer(world, have[pairs[i]], want[i], paths) for i in found]
        out[kind] = {"true_seen": len(seen), "inferred": len(have), "matched": len(pairs),
                     "precision": len(pairs) / len(have) if have else None,
                     "recall": len(found) / len(seen) if seen else None,
                     "doer": float(np.mean(doers)) if doers else None}
    return out


def pooled(scores: list[dict]) -> dict:
    """Per-kind scores summed over episodes (precision and recall of the pooled counts; doer weighted)."""
    out = {}
    for kind in KINDS:
        n = defaultdict(float)
        for s in scores:
            k = s[kind]
            n["true_seen"] += k["true_seen"]
            n["inferred"] += k["inferred"]
            n["matched"] += k["matched"]
            n["found"] += (k["recall"] or 0.0) * k["true_seen"]
            n["doers"] += (k["doer"] or 0.0) * (k["recall"] or 0.0) * k["true_seen"]
        out[kind] = {"true_seen": int(n["true_seen"]), "inferred": int(n["inferred"]),
                     "precision": n["matched"] / n["inferred"] if n["inferred"] else None,
                     "recall": n["found"] / n["true_seen"] if n["true_seen"] else None,
                     "doer": n["doers"] / n["found"] if n["found"] else None}
    return out


def _match(want: list[dict], have: list, tolerance: float) -> dict[int, int]:
    """One-to-one pairs (true index -> inferred index) of one target within ``tolerance`` s, nearest first."""
    cands = sorted((abs(a.time - t["time"]), i, j) for i, t in enumerate(want) for j, a in enumerate(have)
                   if abs(a.time - t["time"]) <= tolerance and _same_target(t, a))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in cands:
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def _same_target(t: dict, a) -> bool:
    if t["kind"] == "open":  # the world names a piece of furniture by its label, with its room when two share it
        return a.target == t["target"] or a.target.endswith(" " + t["target"])
    return a.target == t["target"]


def _same_doer(world, a, t: dict, paths) -> bool:
    person = world.people.get(a.actor)
    path = paths.get(t["doer"])
    if person is None or path is None:
        return False
    m = np.abs(person.times - a.time) <= DOER_SECONDS
    if not m.any():
        return False
    tx = np.interp(person.times[m], path.times, path.xs)
    ty = np.interp(person.times[m], path.times, path.ys)
    return bool(np.min(np.hypot(person.xs[m] - tx, person.ys[m] - ty)) <= DOER_RADIUS)

"""Why the perceived world misses the puts, picks and room entries done in view: a tally of causes per
missed act, read against the simulator's truth (bench only; nothing here feeds the world).

    python bench/acts_misses.py [--seeds 1,2,3] [--minutes 5] [--work out/eval-work] [--verbose]

For each true act seen (its doer in view) that the world (planners.world.World) did not infer, matched as
``mnemo.evaluation.acts.acts_score`` matches, the first cause that holds of:

- puts and picks: ``not_in_view`` (the camera never saw the thing within WINDOW s of the act),
  ``no_thing`` (the world holds no thing of its label), ``other_colour`` (none of its name, but things of its
  label: its colour read otherwise, or another of its label), ``unsighted`` (the thing is in the
  world, but no sighting of it within WINDOW s), ``no_stay`` (no resting place of it after the put / before
  the pick), ``other_time`` (an act of that kind on it, farther off in time), ``pause`` (inferred, but as a
  pause while carried), ``other_thing`` (an act of that kind at the time on another thing), else ``no_act``;
- entries: ``unsighted`` (no person sighting within WINDOW s near the true doer's path), ``other_time``
  (an entry into the room by someone near, farther off), ``other_room`` (an entry at the time into another
  room), else ``no_act`` with the rooms of the nearest sightings before and after;
- openings: ``no_piece`` (no piece of its label in the world), ``unread`` (no state of its label read within
  WINDOW s), ``never_open`` (read, never open), ``unplaced`` (read open only on sightings with no position),
  ``thin`` (read open, as few times as misreadings give), ``other_time`` (an opening of it farther off), else
  ``no_act``.

Doers: per kind, of the matched acts, how many have the right doer, none, or another.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WINDOW = 5.0  # seconds around an act in which its thing or doer counts as sighted
NEAR = 1.5  # metres from the true doer's path within which a person sighting is theirs


def _path_xy(paths, entity: str, times: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    path = paths.get(entity)
    if path is None:
        return None
    return np.interp(times, path.times, path.xs), np.interp(times, path.times, path.ys)


def _people_near(world, paths, doer: str, t: float) -> dict[str, int]:
    """World person -> sightings within WINDOW s of t and NEAR m of the true doer's path."""
    out = {}
    for name, p in world.people.items():
        m = np.abs(p.times - t) <= WINDOW
        if not m.any():
            continue
        xy = _path_xy(paths, doer, p.times[m])
        if xy is None:
            continue
        n = int(np.count_nonzero(np.hypot(p.xs[m] - xy[0], p.ys[m] - xy[1]) <= NEAR))
        if n:
            out[name] = n
    return out


def explain(world, truth) -> tuple[Counter, list[dict], dict]:
    from mnemo.evaluation.acts import KINDS, TOLERANCE, _match, _same_doer, true_acts
    from planners.world_acts import HANDOVER_BAR

    paths = {k.entity: k for k in truth.paths}
    ids = {o.name: o.id for o in truth.objects}
    seen_at: dict[str, list[float]] = defaultdict(list)
    for obs in truth.observations:
        for s in obs.entities:
            seen_at[s.entity].append(obs.time)
    truths = true_acts(truth)
    inferred = [a for a in world.actions if a.kind in KINDS and a.resting
                and (a.kind != "handover" or a.confidence >= HANDOVER_BAR)]
    tally: Counter = Counter()
    rows: list[dict] = []
    doers: dict[str, Counter] = defaultdict(Counter)
    for kind in ("put", "pick", "enter", "open"):
        want = [t for t in truths if t["kind"] == kind]
        have = [a for a in inferred if a.kind == kind]
        pairs = _match(want, have, TOLERANCE[kind])
        for i, t in enumerate(want):
            if not t["seen"]:
                continue
            if i in pairs:
                a = have[pairs[i]]
                right = _same_doer(world, a, t, paths)
                doers[kind]["right" if right else ("none" if not a.actor else "other")] += 1
                if not right:
                    near = _people_near(world, paths, t["doer"], t["time"])
                    rows.append({"kind": kind, "doer": "wrong", "time": round(t["time"], 1), "target": t["target"],
                                 "actor": a.actor, "near_doer": near})
                continue
            explain_one = {"enter": lambda: _explain_entry(world, t, paths),
                           "open": lambda: _explain_open(world, t)}.get(kind, lambda: _explain_move(world, t, kind,
                                                                                                 seen_at, ids))
            cause, detail = explain_one()
            tally[(kind, cause)] += 1
            rows.append({"kind": kind, "cause": cause, "time": round(t["time"], 1), "target": t["target"],
                         "doer": t["doer"], **detail})
    return tally, rows, {k: dict(v) for k, v in doers.items()}


def _explain_move(world, t: dict, kind: str, seen_at, ids) -> tuple[str, dict]:
    time, name = t["time"], t["target"]
    cam = np.asarray(seen_at.get(ids.get(name, ""), []))
    in_view = int(np.count_nonzero(np.abs(cam - time) <= WINDOW)) if len(cam) else 0
    detail: dict = {"camera_frames": in_view}
    if not in_view:
        return "not_in_view", detail
    thing = world.things.get(name)
    same_kind = [a for a in world.actions if a.kind == kind]
    others = [a.target for a in same_kind if a.target != name and abs(a.time - time) <= 5.0 and a.resting]
    detail["others_then"] = others
    if thing is None:
        label = name.split()[-1]
        alike = [n for n in world.things if n.split()[-1] == label]
        detail["alike"] = alike
        return ("other_colour" if alike else "no_thing"), detail
    m = np.abs(thing.times - time) <= WINDOW
    detail["sightings"] = int(np.count_nonzero(m))
    detail["stays"] = [(round(s.start, 1), round(s.end, 1), round(s.x, 1), round(s.y, 1)) for s in thing.stays]
    mine = [a for a in same_kind if a.target == name]
    pause = [a for a in mine if not a.resting and abs(a.time - time) <= 5.0]
    if pause:
        return "pause", detail
    if mine:
        detail["nearest"] = round(min((a.time - time for a in mine), key=abs), 1)
        if abs(detail["nearest"]) <= 30.0:
            return "other_time", detail
    if not m.any():
        return "unsighted", detail
    if kind == "put" and not any(s.end >= time - 1.0 for s in thing.stays):
        return "no_stay", detail
    if kind == "pick" and not any(s.start <= time + 1.0 for s in thing.stays):
        return "no_stay", detail
    if others:
        return "other_thing", detail
    return "no_act", detail


def _explain_open(world, t: dict) -> tuple[str, dict]:
    from memory import perceived
    from mnemo.evaluation.acts import _same_target

    time, label = t["time"], t["target"]
    read = [r for r in perceived.states(world.store, "furniture") if r[2] == label and abs(r[0] - time) <= WINDOW]
    detail: dict = {"read": len(read), "open": sum(r[5] == "open" for r in read),
                    "open_placed": sum(r[5] == "open" and r[3] is not None for r in read)}
    opens = [a for a in world.actions if a.kind == "open" and _same_target(t, a)]
    if opens:
        detail["nearest"] = round(min((a.time - time for a in opens), key=abs), 1)
    if not any(f.name == label for f in world.furniture):
        return "no_piece", detail
    if not read:
        return "unread", detail
    if not detail["open"]:
        return "never_open", detail
    if not detail["open_placed"]:
        return "unplaced", detail
    if opens and abs(detail["nearest"]) <= 30.0:
        return "other_time", detail
    if 2 * detail["open"] - len(read) < 2:
        return "thin", detail
    return "no_act", detail


def _explain_entry(world, t: dict, paths) -> tuple[str, dict]:
    time, room = t["time"], t["target"]
    near = _people_near(world, paths, t["doer"], time)
    detail: dict = {"near": near}
    if not near:
        return "unsighted", detail
    enters = [a for a in world.actions if a.kind == "enter" and a.actor in near]
    into = [a for a in enters if a.target == room]
    if into:
        detail["nearest"] = round(min((a.time - time for a in into), key=abs), 1)
        if abs(detail["nearest"]) <= 30.0:
            return "other_time", detail
    elsewhere = [a.target for a in enters if abs(a.time - time) <= 5.0]
    if elsewhere:
        detail["into"] = elsewhere
        return "other_room", detail
    rooms = []
    for who in near:
        p = world.people[who]
        before, after = p.times < time, p.times >= time
        for side, mask in (("before", before), ("after", after)):
            if mask.any():
                j = np.flatnonzero(mask)[-1 if side == "before" else 0]
                rooms.append((who, side, round(float(p.times[j]) - time, 1),
                              world.room_at(float(p.xs[j]), float(p.ys[j]))))
    detail["sides"] = rooms
    return "no_act", detail


def main() -> None:
    from bench.acts import memory_of
    from memory.store import MemoryStore
    from planners.world import World

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--work", type=Path, default=Path("out/eval-work"))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    total: Counter = Counter()
    doers: dict[str, Counter] = defaultdict(Counter)
    for seed in [int(s) for s in args.seeds.split(",")]:
        directory, truth = memory_of(seed, args.minutes, args.work)
        store = MemoryStore(directory, create=False, readonly=True)
        try:
            tally, rows, d = explain(World(store), truth)
        finally:
            store.close()
        total.update(tally)
        for k, v in d.items():
            doers[k].update(v)
        if args.verbose:
            for r in rows:
                print(seed, json.dumps(r, default=str))
    for (kind, cause), n in sorted(total.items()):
        print(f"{kind:6s} {cause:12s} {n}")
    print("doers", json.dumps({k: dict(v) for k, v in doers.items()}))


if __name__ == "__main__":
    main()

"""The perceived world's building: sightings (drift taken out) joined into things, furniture and people,
heard lines named, resting places, moves (planners/world_moves.py), room entries, visits and openings,
people named by their voices and deeds."""

from __future__ import annotations

import math
import re
from bisect import insort
from collections import Counter, defaultdict
from dataclasses import replace

import numpy as np

from memory import perceived
from memory.entity_history import entities_at
from memory.spoken import entity_names, spoken
from planners.addressing import VOICE_LABEL, addressed, name_lines
from planners.drift import fit_drift
from planners.entries import CROSS_DEPTH, Door, Rooms, crossings, doors, entry_spans, seen_side
from planners.identities import name_things
from planners.lexicon import Lexicon
from planners.naming import Line, Seen, name_by_sight
from planners.opens import ATTENDED_OPEN, MIN_OPEN, open_spans
from planners.stitch import stitched
from planners.world_base import (
    DEED_WEIGHT, DEED_WINDOW, FIRST_PERSON, SPOKEN_OF_WEIGHT, STAY_RADIUS, STAY_SECONDS, STAY_SIGHTINGS, VISIT_GAP,
    VISIT_RADIUS, VISIT_SECONDS, Action, Stay, Thing)
from planners.world_acts import CONFIDENCE, WorldActs

# sightings a person's or a piece of furniture's track needs to count: one. A one-frame track was dropped as a
# likely false detection, but at the profiles' detection rate (1 Hz) a moving camera breaks most tracks after a
# frame, so that dropped most of what was seen (people walking, furniture in glimpses); false detections that
# persist are not one-frame anyway (EVAL.md). A thing's tracks are first joined by the entity ingest
# re-identified them as, and a thing seen once in all is dropped (below); a thing of fewer than MIN_SIGHTINGS
# sightings has no resting place, so a lone false detection still places nothing.
MIN_TRACK = 1


class WorldBuild(WorldActs):
    """The pipeline that fills a world's state from its memory (``_build``)."""

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        rows = perceived.sightings(self.store, until=self.until, unplaced_kinds=("object",))
        unplaced = [r for r in rows if r[8] is None]  # things named by, never placed
        rows = [r for r in rows if r[8] is not None]
        if self._fitted is not None and self.until is not None:  # fitted online: its part up to the cut
            self.drift = self._fitted.until(self.until)
        else:
            self.drift = fit_drift([(r[2], r[5], r[8], r[9]) for r in rows if r[4] == "furniture"])
        dxs, dys = self.drift.at([r[2] for r in rows])
        rows = [r[:8] + (r[8] + a, r[9] + b) + r[10:] for r, a, b in zip(rows, dxs.tolist(), dys.tolist())]
        lines = perceived.heard(self.store, until=self.until)  # a perception log's lines, and the ingest's:
        heard = [(float(s), float(e), t, sp) for _, _, s, e, t, sp in lines]
        said = [(s, e, t, sp) for _, s, e, t, sp in spoken(self.store, until=self.until)]
        if said:
            heard = sorted(heard + said, key=lambda h: h[0])  # stable: ties keep the log's order
        self.heard = name_lines(heard)  # diarised voices get the names conversation gives them by the cut
        if rows:
            self.stream = rows[0][1]
        poses = self.poses().times if self.stream is not None else []
        self.last = max([float(r[2]) for r in rows[-1:]] + [h[1] for h in self.heard] + [float(t) for t in poses[-1:]]
                        + [entities_at(self.store, self.until).last], default=float("-inf"))  # merges and names too
        tracks: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            tracks[row[3]].append(row)
        by_name: dict[tuple[str, str], list[tuple]] = defaultdict(list)
        person_tracks: list[tuple[int, list[tuple]]] = []
        object_tracks: list[tuple[str, list[tuple]]] = []
        objects: dict[int | tuple, list[tuple]] = defaultdict(list)
        entity_of = perceived.track_entities(self.store, until=self.until)
        for track, items in tracks.items():
            kind = Counter(r[4] for r in items).most_common(1)[0][0]
            if kind == "object":  # the tracks ingest re-identified as one entity are one thing's
                objects[entity_of.get(track, ("track", track))].extend(items)
                continue
            if len(items) < MIN_TRACK:
                continue
            label = Counter(r[5] for r in items).most_common(1)[0][0]
            if kind == "person":
                person_tracks.append((track, items))
            else:
                by_name[(kind, label)].extend(items)
        for r in unplaced:  # a thing in view that could not be placed (held, cut off) still shows its colour
            if r[3] in entity_of or r[3] in tracks:
                objects[entity_of.get(r[3], ("track", r[3]))].append(r)
        vectors = dict(self._track_appearance("object"))
        for items in objects.values():
            if len(items) < 2:
                continue  # a thing seen once is most likely a false detection
            items.sort(key=lambda r: (r[2], r[0]))
            object_tracks.append((Counter(r[5] for r in items).most_common(1)[0][0], items))
        vectors = _group_vectors(object_tracks, vectors)
        for name, items in name_things(object_tracks, vectors, [h[2] for h in self.heard]):
            by_name[("object", name)].extend(r for r in items if r[8] is not None)
        for (kind, name), items in by_name.items():
            if kind == "object":
                if items:
                    self.things[name] = self._thing(name, kind, items)
            else:
                self.furniture.extend(self._furniture(name, items))
        self._people(person_tracks, entity_of)
        self.rooms = Rooms(self.areas, self._doors())
        for thing in self.things.values():
            thing.stays = self._stays(thing)
        self._attend_opens()
        acts = [_seen_confidence(a) for a in self._moves() + self._entries() + self._visits() + self._opens()]
        self.actions = sorted(acts + self._derived(acts), key=lambda a: a.time)
        self._name_people()
        self._heard_cues()

    def _thing(self, name: str, kind: str, items: list[tuple]) -> Thing:
        items = sorted(items, key=lambda r: r[2])
        return Thing(name, kind, np.array([r[2] for r in items]), np.array([r[8] for r in items]),
                     np.array([r[9] for r in items]))

    def _furniture(self, label: str, items: list[tuple]) -> list[Thing]:
        """Pieces of furniture of one label: sightings clustered by place (greedy, 1 m)."""
        centres: list[list] = []  # [xs, ys, times, states, xs sorted, ys sorted]
        for r in items:
            for c in centres:
                if math.hypot(_sorted_median(c[4]) - r[8], _sorted_median(c[5]) - r[9]) < 1.0:
                    c[0].append(r[8]), c[1].append(r[9]), c[2].append(r[2]), c[3].append(r[10])
                    insort(c[4], r[8]), insort(c[5], r[9])
                    break
            else:
                centres.append([[r[8]], [r[9]], [r[2]], [r[10]], [r[8]], [r[9]]])
        out = []
        for xs, ys, ts, states, _, _ in centres:
            if len(ts) < 5:
                continue
            x, y = float(np.median(xs)), float(np.median(ys))
            read = sorted((t, st == "open") for t, st in zip(ts, states) if st)
            opens = (open_spans(np.array([t for t, _ in read]), np.array([o for _, o in read]), least=ATTENDED_OPEN)
                     if read else None)  # thin spans are kept only where someone was by it (_attend_opens)
            out.append(Thing(label, "furniture", np.array(sorted(ts)), np.array([x]), np.array([y]),
                             room=self.seen_from(x, y, np.asarray(ts)), opens=opens))
        return out

    def _people(self, person_tracks: list[tuple[int, list[tuple]]], entity_of: dict[int, int]) -> None:
        """The people seen: the person entities ingest re-identified the person tracks as (a track with no
        entity, as a perception log writes them, is a person of its own), "person N" by most sightings first
        until _name_people names them."""
        groups: dict[int | tuple, list[int]] = defaultdict(list)  # entity (or ("track", t)) -> indices
        for i, (track, _) in enumerate(person_tracks):
            groups[entity_of.get(track, ("track", track))].append(i)
        order = sorted(groups.values(), key=lambda members: -sum(len(person_tracks[i][1]) for i in members))
        self._person_entities = [entity_of.get(person_tracks[m[0]][0]) for m in order]
        self._clusters = [self._seen([r for i in members for r in person_tracks[i][1]]) for members in order]
        for c, members in enumerate(order):
            name = f"person {c + 1}"  # named later, once their deeds are known (_name_people)
            for i in members:
                self.person_tracks[int(person_tracks[i][0])] = name
            self.people[name] = self._thing(name, "person", [r for i in members for r in person_tracks[i][1]])

    def _name_people(self) -> None:
        """Give the person clusters the names of the voices heard while each was alone near the camera
        (planners/naming.py); clusters given one name are one person."""
        if not self._clusters:
            return
        naming = name_by_sight(self._clusters, [Line(s, e, sp, addressed(t) or "") for s, e, t, sp in self.heard],
                               self._deeds())
        rename = {f"person {c + 1}": name for c, name in naming.items()}
        given = self._given_names()  # a name a user gave the person seen wins, and names the voice tied to them
        voices = {naming[c]: name for c, name in given.items() if VOICE_LABEL.match(naming.get(c, ""))}
        rename = {k: v for k, v in rename.items() if v not in given.values()}  # one person of a name: the user's
        rename.update({f"person {c + 1}": name for c, name in given.items()})
        self.heard = [(s, e, t, voices.get(sp, sp)) for s, e, t, sp in self.heard]
        people: dict[str, list[Thing]] = defaultdict(list)  # a person's clusters given one name are one person
        for n, p in self.people.items():
            people[rename.get(n, n)].append(p)
        self.people = {n: _joined(n, parts) for n, parts in people.items()}
        self.person_tracks = {t: rename.get(n, n) for t, n in self.person_tracks.items()}
        self.actions = [replace(a, actor=rename.get(a.actor, a.actor), to=rename.get(a.to, a.to)) for a in self.actions]

    def _given_names(self) -> dict[int, str]:
        """Cluster index -> the name its entity had in memory by the cut (a user's, ``mnemo name``), one cluster
        a name."""
        names = entity_names(self.store, {e for e in self._person_entities if e is not None}, until=self.until)
        out: dict[int, str] = {}
        for cluster, entity in enumerate(self._person_entities):
            if entity in names and names[entity] not in out.values():
                out[cluster] = names[entity]
        return out

    def _deeds(self) -> dict[tuple[str, int], float]:
        """(voice, cluster) -> evidence that the voice is the cluster's: a line naming a thing the cluster was
        seen putting down shortly before, or a room the cluster was seen entering shortly after, whatever its
        wording; in full when the line speaks of the speaker's own doing (said in the first person) or to
        someone by name (telling them of it), else at SPOKEN_OF_WEIGHT of it (the line may be about what
        another did)."""
        fix = Lexicon(list(self.things), heard=[h[2] for h in self.heard], rooms=[a.name for a in self.areas],
                      furniture=[f.name for f in self.furniture]).correct
        out: dict[tuple[str, int], float] = defaultdict(float)
        for start, end, text, speaker in self.heard:
            words = fix(text).lower()
            own = bool(FIRST_PERSON.search(words))
            named = [n for n in self.things if re.search(rf"\b{re.escape(n)}\b", words)]
            doers = {a.actor for a in self.actions if a.kind == "put" and a.target in named and a.actor
                     and start - DEED_WINDOW <= a.time <= end + 5.0}
            weight = 1.0 if own or addressed(text) else SPOKEN_OF_WEIGHT  # told of one's own deed, or to its taker
            rooms = [a.name for a in self.areas if re.search(rf"\b{re.escape(a.name)}\b", words)]
            if not named and rooms:  # a room named with no thing: where someone is headed, the speaker if "I"
                doers = {a.actor for a in self.actions if a.kind == "enter" and a.target in rooms
                         and start - 5.0 <= a.time <= end + DEED_WINDOW}
                weight = 1.0 if own else SPOKEN_OF_WEIGHT
            for doer in doers:
                if doer.startswith("person "):
                    out[(speaker, int(doer.split()[1]) - 1)] += weight * DEED_WEIGHT / len(doers)
        return dict(out)

    def _seen(self, rows: list[tuple]) -> Seen:
        """A person's sightings, by time, with their distances from the camera then."""
        rows = sorted(rows, key=lambda r: r[2])
        times = np.array([r[2] for r in rows], float)
        pose = self.poses() if self.stream is not None else None
        if pose is None or not len(pose):
            return Seen(times, np.zeros(len(times)))
        cx, cy = np.interp(times, pose.times, pose.xs), np.interp(times, pose.times, pose.ys)
        return Seen(times, np.hypot(np.array([r[8] for r in rows]) - cx, np.array([r[9] for r in rows]) - cy))

    def _track_appearance(self, kind: str):
        """(track, unit mean appearance vector) of every track of a kind whose sightings have vectors."""
        sums: dict[int, np.ndarray] = {}
        for track, blob in perceived.appearances(self.store, kind, until=self.until):
            v = np.frombuffer(blob, np.float16).astype(np.float32)
            sums[track] = sums.get(track, 0) + v
        for track, v in sums.items():
            yield track, v / max(float(np.linalg.norm(v)), 1e-9)

    def _stays(self, thing: Thing) -> list[Stay]:
        stays: list[Stay] = []
        run: list[int] = []

        def close() -> None:
            # at rest: a carried thing (1.2 m/s) leaves a stay's circle in less time
            if len(run) >= STAY_SIGHTINGS and thing.times[run[-1]] - thing.times[run[0]] >= STAY_SECONDS:
                x, y = float(np.median(thing.xs[run])), float(np.median(thing.ys[run]))
                if stays and np.hypot(stays[-1].x - x, stays[-1].y - y) < STAY_RADIUS:
                    s = stays[-1]
                    s.end, s.count = float(thing.times[run[-1]]), s.count + len(run)
                else:
                    stays.append(Stay(float(thing.times[run[0]]), float(thing.times[run[-1]]), x, y,
                                      self.room_at(x, y), len(run)))

        xs, ys = thing.xs.tolist(), thing.ys.tolist()
        run_xs: list[float] = []  # the run's positions, sorted, for its median
        run_ys: list[float] = []
        for i in range(len(thing.times)):
            if run:
                cx, cy = _sorted_median(run_xs), _sorted_median(run_ys)
                if math.hypot(xs[i] - cx, ys[i] - cy) > STAY_RADIUS:
                    close()
                    run, run_xs, run_ys = [], [], []
            run.append(i)
            insort(run_xs, xs[i]), insort(run_ys, ys[i])
        close()
        return stays

    def _doors(self) -> list[Door]:
        """The doors the camera went through; besides, those people were seen going through twice."""
        track = self.poses() if self.stream is not None else None
        walked = doors(crossings(track.times, track.xs, track.ys, self.rooms)) if track is not None else []
        seen = [c for p in self.people.values() for c in crossings(p.times, p.xs, p.ys, self.rooms, CROSS_DEPTH)]
        return walked + doors(seen, least=2, known=walked)

    def _entries(self) -> list[Action]:
        """Room entries of every person (planners/entries.py), read on their track stitched to the other
        clusters' across its seams (planners/stitch.py), each credited to whoever was seen in the room entered; one
        whose crossing went unseen is as sure as its window is narrow (``Entry.confidence``)."""
        out = []
        camera = None
        if self.stream is not None:  # a sighting placed just behind a doorless wall was on the camera's side
            poses = self.poses()
            camera = (poses.times, poses.xs, poses.ys)
        for name, track in stitched(self.people).items():
            xs, ys = (track.xs, track.ys) if camera is None else seen_side(track.times, track.xs, track.ys, camera,
                                                                            self.rooms)
            out += [Action("enter", e.time, e.time, name, e.room, confidence=CONFIDENCE["witnessed"] * e.confidence)
                    for e in entry_spans(track.times, xs, ys, self.rooms) if track.owner_at(e.time) == name]
        return out

    def _opens(self) -> list[Action]:
        """Containers seen open (planners/opens.py), by whoever stood at them then; witnessed when anyone
        (a scrap of track too) was seen by it."""
        out = []
        for f in self.furniture:
            fx, fy = float(f.xs[0]), float(f.ys[0])
            for span in f.opens or ():
                actor = self.person_near(fx, fy, span.start - 2.0, span.end + 1.0)
                out.append(Action("open", span.start, span.end, actor, self.furniture_name(f),
                                  witnessed=bool(actor) or self.someone_near(fx, fy, span.start - 2.0, span.end + 1.0),
                                  opened_seen=span.opened_seen, closed_seen=span.closed_seen,
                                  confidence=CONFIDENCE["open" if span.margin >= MIN_OPEN else "thin_open"]))
        return out

    def _visits(self) -> list[Action]:
        out = []
        for f in self.furniture:
            fx, fy = float(f.xs[0]), float(f.ys[0])
            near: list[tuple[float, str]] = []
            for name, person in self.people.items():
                d = np.hypot(person.xs - fx, person.ys - fy)
                near += [(float(t), name) for t in person.times[d < VISIT_RADIUS]]
            near.sort()
            start = None
            for i, (t, who) in enumerate(near):
                if start is None:
                    start, actors = t, Counter()
                actors[who] += 1
                if i + 1 == len(near) or near[i + 1][0] - t > VISIT_GAP:
                    if t - start >= VISIT_SECONDS:
                        out.append(Action("visit", start, t, actors.most_common(1)[0][0], self.furniture_name(f)))
                    start = None
        return out


def _group_vectors(groups: list[tuple[str, list[tuple]]], vectors: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """The unit mean appearance vector of each group of tracks' sightings (its tracks' vectors weighted by
    their sightings), keyed by the track of the group's first sighting, as planners/identities.py reads it."""
    out = {}
    for _, items in groups:
        counts = Counter(r[3] for r in items)
        have = [(vectors[t], n) for t, n in counts.items() if t in vectors]
        if have:
            v = sum(n * vec for vec, n in have)
            out[items[0][3]] = v / max(float(np.linalg.norm(v)), 1e-9)
    return out


def _joined(name: str, parts: list[Thing]) -> Thing:
    """One person's sightings from the clusters given one name, by time."""
    if len(parts) == 1:
        return replace(parts[0], name=name)
    times = np.concatenate([p.times for p in parts])
    order = np.argsort(times, kind="stable")
    return replace(parts[0], name=name, times=times[order], xs=np.concatenate([p.xs for p in parts])[order],
                   ys=np.concatenate([p.ys for p in parts])[order])


def _seen_confidence(a: Action) -> Action:
    """A put, pick or visit with the confidence what was seen gives it (openings and entries have theirs)."""
    if a.kind in ("put", "pick"):
        return replace(a, confidence=CONFIDENCE["witnessed" if a.witnessed else "inferred"])
    if a.kind == "visit":
        return replace(a, confidence=CONFIDENCE["visit"])
    return a


def _sorted_median(values: list[float]) -> float:
    """The median of an ascending list (numpy's: the mean of the middle two of an even count)."""
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


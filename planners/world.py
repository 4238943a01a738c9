"""The world as perception saw it: things, people, furniture and what they did, from the memory's
sightings, heard lines, poses and map (memory/perceived.py), never from anything truer.

Every position first has the odometry's drift taken out, furniture serving as landmarks (planners/drift.py).
Object tracks are joined into things by appearance and named by colour and label ("orange box",
planners/identities.py); their resting places ("stays") are runs of sightings close together; a new resting place
elsewhere is a move, attributed to the person seen with the thing as it was carried in (off), else to the one
seen nearest the place then (short stays are pauses while carried, unless the stays next to them at about the
same place make up a resting place that position noise split); a thing seen carried shortly before its first
resting place was put there, and one gone from an open piece of furniture (not a container) seen often since
without it was picked up (known only from those views on; nobody saw that pick). A thing that turns up carried at
a piece of furniture, with someone by it, after being out of sight (inside a closed cupboard, or only not looked
at) was just picked up there (seen so when that someone had been in view the seconds before, not only come upon
carrying it); one last seen carried by a container that opens then, and out of sight long after, was put inside
it. A put is witnessed when the thing was seen carried in just before it rested (not only found at rest when the
camera came by), a pick when it was seen carried off just after (its place seen without it says little: a small
thing is missed at the edge of view or behind someone while it still lies there). A thing last seen carried and
found at rest later was put down when its carrier could walk there; one last seen at rest and first seen again
carried, taken when its carrier walked off with it: witnessed when someone was seen at the place then (the thing
itself is often out of view while the person is not). People are tracks clustered by appearance (average linkage,
cosine 0.9), named by the voices heard and by what those voices said they did (planners/naming.py). A person's
room entries come from their track over the map's rooms (planners/entries.py); a person lingering by a piece of
furniture is a visit (containers are opened in visits). Furniture by a wall belongs to the room the camera saw it
from, near views counting more than views through a doorway from afar. Everything is cut at a question's time by
the callers."""

from __future__ import annotations

import logging
import math
import re
from bisect import insort
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

import numpy as np

from memory import perceived
from memory.perceived import Area
from planners.addressing import name_lines
from planners.drift import Drift, fit_drift
from planners.entries import CROSS_DEPTH, Door, Rooms, crossings, doors, entries
from planners.identities import name_things
from planners.lexicon import Lexicon
from planners.naming import Line, Seen, name_people
from planners.opens import OpenSpan, open_spans

logger = logging.getLogger(__name__)

HANDOVER = re.compile(r"\bhere\b", re.IGNORECASE)  # "Bob, here is the mug, on the desk": a thing just put down for Bob

STAY_RADIUS = 0.6  # metres: sightings this close belong to one resting place
STAY_SIGHTINGS = 3  # sightings that make a resting place
STAY_SECONDS = 0.5  # seconds a resting place must span
RESTING_SECONDS = 2.0  # a stay this long (or a thing's first or last) is a resting place, others pauses in a carry
MOVE_DISTANCE = 0.8  # metres between resting places for a move
NEAR_PERSON = 1.6  # metres: a person this near to a thing acts on it
VISIT_RADIUS = 1.3  # metres from a piece of furniture to be at it
VISIT_GAP = 6.0  # seconds without a sighting that end a visit
VISIT_SECONDS = 1.0  # seconds lingering at a piece of furniture that make a visit
FRAGMENT = 5  # sightings in all under which a person cluster is a scrap of track, credited with nothing
DEED_WINDOW = 60.0  # seconds between a deed seen and a line telling of it
DEED_WEIGHT = 2.0  # log-likelihood ratio a told deed adds to a voice being that person
MIN_SIGHTINGS = 3  # sightings of a thing never seen at rest before it counts as seen
WALL_MARGIN = 0.6  # metres: closer than this to a wall, furniture's room is the one the camera saw it from
GONE_VIEWS = 10  # views of the furniture a thing rested on, without the thing, that say it was taken away
GONE_AFTER = 5.0  # seconds after its last sighting before views of its place count as views without it
WITNESS_GAP = 3.0  # seconds after (before) a resting place within which its pick (put), if seen, was seen
UNSEEN_GAP = 2.0  # seconds out of sight after which a thing turning up carried was picked up unseen
CARRY_SECONDS = 4.0  # seconds after turning up within which a thing carried off moves MOVE_DISTANCE
CARRIED_GAP = 10.0  # seconds: seen elsewhere this shortly before it first rests, it was carried there
WATCHED_SECONDS = 5.0  # seconds before a thing turns up carried in which its carrier ...
WATCHED = 5  # ... seen this many times was watched picking it up
ON_FURNITURE = 1.5  # metres: a thing resting this near a piece of furniture rests on it
CARRIED_BEFORE_PUT = 300.0  # seconds: last seen carried this shortly before found at rest, it was put then
CARRIED_AFTER_PICK = 30.0  # seconds: first seen carried this shortly after last at rest, it was taken then
WALKING_SPEED = 1.2  # metres per second, people indoors
HIDDEN_GAP = 10.0  # seconds out of sight after a carried thing's last sighting by an opening container: put inside
OPENED_AFTER = 2.0  # seconds after that sighting within which the container's opening may begin
CLOSED = ("fridge", "freezer", "cabinet", "cupboard", "wardrobe", "closet", "sideboard", "drawer", "dresser",
          "chest", "washing machine", "dishwasher", "oven")  # what rests in these is out of sight when closed


@dataclass
class Stay:
    """An object resting at one place."""

    start: float  # first sighting there
    end: float  # last sighting there
    x: float
    y: float
    room: str
    count: int


@dataclass
class Action:
    kind: str  # put, pick, enter, visit
    time: float
    end: float
    actor: str  # person name, "" when unseen
    target: str  # object / room / furniture name
    furniture: str = ""  # put: the furniture it was put on
    resting: bool = True  # put/pick: to or from a resting place (not a pause while carried)
    known: float = float("-inf")  # when perception had shown it (a pick seen as a thing gone: later views)
    witnessed: bool = True  # pick/put: seen as it happened, not only inferred from where the thing was seen after
    opened_seen: bool = True  # open: the opening itself was seen (not open already when it came into view)
    closed_seen: bool = True  # open: its closing was seen


@dataclass
class Thing:
    name: str  # "orange box", "fridge", "Alice"
    kind: str  # object, furniture, person
    times: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    stays: list[Stay] = field(default_factory=list)
    room: str = ""  # furniture: its room
    opens: list[OpenSpan] | None = None  # containers whose state perception read: when they were open

    def seen_before(self, t: float) -> np.ndarray:
        return self.times[self.times < t]


class World:
    """Things, people, furniture and actions perceived in a memory (one stream's frame of reference), by
    ``until`` (media seconds) when given: sightings and poses up to it, lines heard that ended by it, the
    world the memory held then (a question at t is answered from this world cut at t)."""

    def __init__(self, store, until: float | None = None, drift: Drift | None = None) -> None:
        self.store = store
        self.until = None if until is None else float(until)  # media time of the cut; None: all of memory
        self._fitted = drift  # the drift fitted over this memory to a later time (cut at until), or None
        self.last = float("-inf")  # the latest media time of what was read (a sighting, a line's end, a pose)
        self.areas: list[Area] = perceived.areas(store)
        self.rooms = Rooms(self.areas)
        self.things: dict[str, Thing] = {}
        self.people: dict[str, Thing] = {}
        self.furniture: list[Thing] = []
        self.actions: list[Action] = []
        self.heard: list[tuple[float, float, str, str]] = []  # (start, end, text, speaker)
        self.person_tracks: dict[int, str] = {}  # tracker id -> person name
        self.stream: str | None = None
        self.drift = Drift()  # odometry drift, taken out of every position (planners/drift.py)
        self._build()

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        rows = perceived.sightings(self.store, until=self.until)
        if self._fitted is not None and self.until is not None:  # fitted online: its part up to the cut
            self.drift = self._fitted.until(self.until)
        else:
            self.drift = fit_drift([(r[2], r[5], r[8], r[9]) for r in rows if r[4] == "furniture"])
        dxs, dys = self.drift.at([r[2] for r in rows])
        rows = [r[:8] + (r[8] + a, r[9] + b) + r[10:] for r, a, b in zip(rows, dxs.tolist(), dys.tolist())]
        lines = perceived.heard(self.store, until=self.until)
        heard = [(float(s), float(e), t, sp) for _, _, s, e, t, sp in lines]
        self.heard = name_lines(heard)  # diarised voices get the names conversation gives them by the cut
        if rows:
            self.stream = rows[0][1]
        poses = self.poses().times if self.stream is not None else []
        self.last = max([float(r[2]) for r in rows[-1:]] + [h[1] for h in self.heard] + [float(t) for t in poses[-1:]],
                        default=float("-inf"))
        tracks: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            tracks[row[3]].append(row)
        by_name: dict[tuple[str, str], list[tuple]] = defaultdict(list)
        person_tracks: list[tuple[int, list[tuple]]] = []
        object_tracks: list[tuple[str, list[tuple]]] = []
        for track, items in tracks.items():
            if len(items) < 2:
                continue  # a one-frame track is most likely a false detection
            kind = Counter(r[4] for r in items).most_common(1)[0][0]
            label = Counter(r[5] for r in items).most_common(1)[0][0]
            if kind == "person":
                person_tracks.append((track, items))
                continue
            if kind == "object":
                object_tracks.append((label, items))
            else:
                by_name[(kind, label)].extend(items)
        vectors = dict(self._track_appearance("object"))
        for name, items in name_things(object_tracks, vectors, [h[2] for h in self.heard]):
            by_name[("object", name)].extend(items)
        for (kind, name), items in by_name.items():
            if kind == "object":
                self.things[name] = self._thing(name, kind, items)
            else:
                self.furniture.extend(self._furniture(name, items))
        self._people(person_tracks)
        self.rooms = Rooms(self.areas, self._doors())
        for thing in self.things.values():
            thing.stays = self._stays(thing)
        self.actions = sorted(self._moves() + self._entries() + self._visits() + self._opens(), key=lambda a: a.time)
        self._name_people()

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
            opens = open_spans(np.array([t for t, _ in read]), np.array([o for _, o in read])) if read else None
            out.append(Thing(label, "furniture", np.array(sorted(ts)), np.array([x]), np.array([y]),
                             room=self.seen_from(x, y, np.asarray(ts)), opens=opens))
        return out

    def _people(self, person_tracks: list[tuple[int, list[tuple]]]) -> None:
        """Cluster person tracks by appearance into people, "person N" until _name_people names them."""
        if not person_tracks:
            return
        vectors = dict(self._track_appearance("person"))
        keep = [(t, items) for t, items in person_tracks if t in vectors]
        if not keep:
            return
        X = np.stack([vectors[t] for t, _ in keep])
        labels = _agglomerate(X, np.array([len(items) for _, items in keep], float))
        self._clusters = [self._seen(keep, labels, c) for c in range(int(labels.max()) + 1)]
        groups: dict[str, list[tuple]] = defaultdict(list)
        for (track, items), c in zip(keep, labels):
            name = f"person {int(c) + 1}"  # named later, once their deeds are known (_name_people)
            self.person_tracks[int(track)] = name
            groups[name].extend(items)
        for name, items in groups.items():
            self.people[name] = self._thing(name, "person", items)

    def _name_people(self) -> None:
        """Give the person clusters the names of the voices heard (planners/naming.py)."""
        if not getattr(self, "_clusters", None):
            return
        naming = name_people(self._clusters, [Line(s, e, sp) for s, e, _, sp in self.heard], self._span(),
                             self._deeds())
        rename = {f"person {c + 1}": name for c, name in naming.items()}
        self.people = {rename.get(n, n): replace(p, name=rename.get(n, n)) for n, p in self.people.items()}
        self.person_tracks = {t: rename.get(n, n) for t, n in self.person_tracks.items()}
        self.actions = [replace(a, actor=rename.get(a.actor, a.actor)) for a in self.actions]

    def _deeds(self) -> dict[tuple[str, int], float]:
        """(voice, cluster) -> evidence that the voice is the cluster's: a line saying "I put the X ..." or
        handing it over ("Bob, here is the X, on the desk") and the cluster seen putting X down shortly
        before; "going to the R" and the cluster seen entering R shortly after."""
        fix = Lexicon(list(self.things), heard=[h[2] for h in self.heard], rooms=[a.name for a in self.areas],
                      furniture=[f.name for f in self.furniture]).correct
        out: dict[tuple[str, int], float] = defaultdict(float)
        for start, end, text, speaker in self.heard:
            words = fix(text).lower()
            doers: set[str] = set()
            if re.search(r"\bi put\b", words) or HANDOVER.search(words):  # "I put the X ...", "Bob, here is the X"
                named = [n for n in self.things if re.search(rf"\b{re.escape(n)}\b", words)]
                doers = {a.actor for a in self.actions if a.kind == "put" and a.target in named and a.actor
                         and start - DEED_WINDOW <= a.time <= end + 5.0}
            going = re.search(r"\bgoing to (?:the )?(.+)", words)
            if going:
                rooms = [a.name for a in self.areas if going.group(1).startswith(a.name)]
                doers |= {a.actor for a in self.actions if a.kind == "enter" and a.target in rooms
                          and start - 5.0 <= a.time <= end + DEED_WINDOW}
            for doer in doers:
                if doer.startswith("person "):
                    out[(speaker, int(doer.split()[1]) - 1)] += DEED_WEIGHT / len(doers)
        return dict(out)

    def _seen(self, keep, labels, cluster: int) -> Seen:
        """A person cluster's sightings, by time, with their distances from the camera then."""
        rows = sorted((r for (_, items), c in zip(keep, labels) if c == cluster for r in items), key=lambda r: r[2])
        times = np.array([r[2] for r in rows], float)
        pose = self.poses() if self.stream is not None else None
        if pose is None or not len(pose):
            return Seen(times, np.zeros(len(times)))
        cx, cy = np.interp(times, pose.times, pose.xs), np.interp(times, pose.times, pose.ys)
        return Seen(times, np.hypot(np.array([r[8] for r in rows]) - cx, np.array([r[9] for r in rows]) - cy))

    def _span(self) -> tuple[float, float]:
        pose = self.poses() if self.stream is not None else None
        if pose is not None and len(pose):
            return float(pose.times[0]), float(pose.times[-1])
        ends = [h[1] for h in self.heard]
        return 0.0, max(ends, default=1.0)

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

    # ------------------------------------------------------------------------------- actions
    def _moves(self) -> list[Action]:
        out = []
        for thing in self.things.values():
            for k, (before, after) in enumerate(zip(thing.stays, thing.stays[1:])):
                if np.hypot(before.x - after.x, before.y - after.y) < MOVE_DISTANCE:
                    continue
                when, actor, seen = self._handling(thing, after, put=True)
                lasted, to_last = _settled(thing.stays, k + 1, +1)
                out.append(Action("put", when, when, actor, thing.name,
                                  self.furniture_near(after.x, after.y),
                                  resting=lasted >= RESTING_SECONDS or to_last, witnessed=seen))
                when, picker, seen = self._handling(thing, before, put=False)
                lasted, from_first = _settled(thing.stays, k, -1)
                out.append(Action("pick", when, when, picker, thing.name,
                                  self.furniture_near(before.x, before.y),
                                  resting=lasted >= RESTING_SECONDS or (from_first and not self._arrived(thing)),
                                  witnessed=seen))
            out += self._gone(thing) + self._carried_in(thing) + self._taken_unseen(thing)
            out += self._put_away(thing, out)
        return out

    def _handling(self, thing: Thing, stay: Stay, put: bool) -> tuple[float, str, bool]:
        """When the put that began a resting place (the pick that ended it) happened, by whom, and
        whether it was seen. Seen as it happened when the thing was seen carried in (off), away from the
        place, within WITNESS_GAP seconds before its first sighting there (after its last): not only
        found there when the camera came by, or inferred from the thing turning up elsewhere much later
        (its piece of furniture seen without it says too little: a small thing is often missed at the
        edge of view while the furniture is not). Then it is the deed of whoever was nearest the thing as
        it was carried, who walks with it, else of whoever was nearest the place."""
        edge = stay.start if put else stay.end
        near = self.person_near(stay.x, stay.y, edge - (4.0 if put else 2.0), edge + (2.0 if put else 4.0))
        carried = _away(thing, stay, edge - WITNESS_GAP, edge) if put else _away(thing, stay, edge, edge + WITNESS_GAP)
        if len(carried):
            i = int(carried[-1] if put else carried[0])
            t = float(thing.times[i])
            return edge, self.person_near(float(thing.xs[i]), float(thing.ys[i]), t - 0.5, t + 0.5) or near, True
        when, by, seen = self._handled_out_of_view(thing, stay, put) or (edge, "", False)
        return when, by or near, seen

    def _handled_out_of_view(self, thing: Thing, stay: Stay, put: bool) -> tuple[float, str, bool] | None:
        """A put (pick) the thing itself was not in view for: last (first) seen carried, not at rest, some
        time before its resting place began (after it ended), it was put down (taken) a walk at WALKING_SPEED
        from that sighting after (before) it, by the one seen at the place then, who makes it witnessed, or
        else by the one seen carrying it. (Timing the carrier's own arrival was tried: no better.)"""
        edge = stay.start if put else stay.end
        side = thing.times < edge if put else thing.times > edge
        away = np.flatnonzero(side & (np.hypot(thing.xs - stay.x, thing.ys - stay.y) > STAY_RADIUS))
        if not len(away):
            return None
        i = int(away[-1] if put else away[0])
        t, x, y = float(thing.times[i]), float(thing.xs[i]), float(thing.ys[i])
        if abs(edge - t) > (CARRIED_BEFORE_PUT if put else CARRIED_AFTER_PICK) or any(
                r.start <= t <= r.end and r.end - r.start >= RESTING_SECONDS for r in thing.stays):
            return None
        carrier = self.person_near(x, y, t - 1.0, t + 1.0)
        walk = float(np.hypot(x - stay.x, y - stay.y)) / WALKING_SPEED
        when = min(t + walk, edge) if put else max(t - walk, edge)
        by = self.person_near(stay.x, stay.y, when - 1.0, when + 1.0)
        return when, by or carrier, bool(by)

    def _arrived(self, thing: Thing) -> bool:
        """Whether the thing was seen away from its first resting place shortly before it rested there
        (carried there): that place is no resting place it was found at, a short stay there a pause."""
        if not thing.stays:
            return False
        first = thing.stays[0]
        away = (thing.times < first.start) & (np.hypot(thing.xs - first.x, thing.ys - first.y) > MOVE_DISTANCE)
        return bool(away.any()) and first.start - float(thing.times[away].max()) <= CARRIED_GAP

    def _carried_in(self, thing: Thing) -> list[Action]:
        """A put seen as the thing's first resting place reached from elsewhere: seen away from it
        (carried) shortly before it first rests there."""
        if not thing.stays:
            return []
        first = thing.stays[0]
        if not self._arrived(thing):
            return []
        when, actor, seen = self._handling(thing, first, put=True)
        return [Action("put", when, when, actor, thing.name, self.furniture_near(first.x, first.y),
                       resting=first.end - first.start >= RESTING_SECONDS or len(thing.stays) == 1, witnessed=seen)]

    def _taken_unseen(self, thing: Thing) -> list[Action]:
        """Picks whose resting place was not in sight: the thing turns up after UNSEEN_GAP seconds out of
        sight (or for the first time) at a piece of furniture, someone by it, and is carried off from
        there within CARRY_SECONDS. Not when it was last seen carried (a carry going on) or still rests
        where it was seen before (its resting place's end is the pick)."""
        out = []
        for i in np.flatnonzero(np.diff(thing.times, prepend=-np.inf) >= UNSEEN_GAP):
            t, x, y = float(thing.times[i]), float(thing.xs[i]), float(thing.ys[i])
            soon = (thing.times > t) & (thing.times <= t + CARRY_SECONDS)
            if np.count_nonzero(soon) < 2 or np.hypot(thing.xs[soon] - x, thing.ys[soon] - y).max() < MOVE_DISTANCE:
                continue
            if i and not any(r.start <= thing.times[i - 1] <= r.end for r in thing.stays):
                continue  # last seen carried: this is the same carry
            if any(r.start < t <= r.end for r in thing.stays):
                continue  # still resting where it was
            furniture = self._nearest_furniture(x, y, within=ON_FURNITURE)
            actor = self.person_near(x, y, t - 1.0, t + 1.0)
            if furniture is not None and actor:
                out.append(Action("pick", t, t, actor, thing.name, self.furniture_name(furniture),
                                  witnessed=self._watched(actor, t)))
        return out

    def _put_away(self, thing: Thing, known: list[Action]) -> list[Action]:
        """Puts into a container: the thing seen carried (not resting) within ON_FURNITURE of a container
        that was open then or opens within OPENED_AFTER seconds, and out of sight for HIDDEN_GAP seconds
        after (shut inside). Put halfway through the opening (the simulator's people open, put and close
        in two seconds), by whoever was by the container; none where ``known`` has a put of it then."""
        if len(thing.times) < MIN_SIGHTINGS:
            return []  # a misread colour or label now and then is not a thing
        out = []
        for i in np.flatnonzero(np.diff(thing.times, append=np.inf) >= HIDDEN_GAP):
            t, x, y = float(thing.times[i]), float(thing.xs[i]), float(thing.ys[i])
            if any(r.start <= t <= r.end and r.end - r.start >= RESTING_SECONDS for r in thing.stays):
                continue  # at rest: left where it lay, not carried into anything
            near = [(d, s, f) for f in self.furniture
                    if (d := float(np.hypot(f.xs[0] - x, f.ys[0] - y))) <= ON_FURNITURE
                    for s in f.opens or [] if s.end >= t and s.start <= t + OPENED_AFTER]
            if not near:
                continue
            _, span, f = min(near, key=lambda o: o[0])
            when = max(t, (span.start + span.end) / 2)
            if any(a.kind == "put" and a.target == thing.name and abs(a.time - when) <= WITNESS_GAP for a in known):
                continue
            actor = (self.person_near(f.xs[0], f.ys[0], when - 2.0, when + 2.0)
                     or self.person_near(x, y, t - 1.0, t + 1.0))
            out.append(Action("put", when, when, actor, thing.name, self.furniture_name(f), witnessed=bool(actor)))
        return out

    def _watched(self, person: str, t: float) -> bool:
        """Whether the person was in view for a while just before ``t`` (at least WATCHED sightings in the
        WATCHED_SECONDS before): a pick of a thing that turns up carried then was done in view (only the
        thing was missed), not long before, out of view, by someone the camera came upon carrying it."""
        p = self.people[person]
        return int(np.count_nonzero((p.times >= t - WATCHED_SECONDS) & (p.times < t))) >= WATCHED

    def _gone(self, thing: Thing) -> list[Action]:
        """A pick inferred from the thing missing from where it last rested: the piece of furniture it
        rested on (an open one: a table, a shelf, not a cabinet) seen GONE_VIEWS times since, the thing
        never. Known only from the last of those views on; not witnessed (it happened out of sight)."""
        if not thing.stays or not self.furniture:
            return []
        last = thing.stays[-1]
        if last.end - last.start < RESTING_SECONDS:
            return []
        f = self._nearest_furniture(last.x, last.y, within=ON_FURNITURE)
        if f is None or any(f.name == c or f.name.endswith(" " + c) for c in CLOSED):
            return []
        views = f.times[f.times > last.end + GONE_AFTER]
        if len(views) < GONE_VIEWS:
            return []
        picker = self.person_near(last.x, last.y, last.end - 2.0, last.end + 4.0)
        return [Action("pick", last.end, last.end, picker, thing.name, self.furniture_name(f),
                       known=float(views[GONE_VIEWS - 1]), witnessed=False)]

    def _doors(self) -> list[Door]:
        """The doors the camera went through; besides, those people were seen going through twice."""
        track = self.poses() if self.stream is not None else None
        walked = doors(crossings(track.times, track.xs, track.ys, self.rooms)) if track is not None else []
        seen = [c for p in self.people.values() for c in crossings(p.times, p.xs, p.ys, self.rooms, CROSS_DEPTH)]
        return walked + doors(seen, least=2, known=walked)

    def _entries(self) -> list[Action]:
        """Room entries of every person (planners/entries.py)."""
        return [Action("enter", t, t, name, room) for name, p in self.people.items()
                for t, room in entries(p.times, p.xs, p.ys, self.rooms)]

    def _opens(self) -> list[Action]:
        """Containers seen open (planners/opens.py), by whoever stood at them then."""
        out = []
        for f in self.furniture:
            fx, fy = float(f.xs[0]), float(f.ys[0])
            for span in f.opens or ():
                actor = self.person_near(fx, fy, span.start - 2.0, span.end + 1.0)
                out.append(Action("open", span.start, span.end, actor, self.furniture_name(f),
                                  opened_seen=span.opened_seen, closed_seen=span.closed_seen))
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

    # ------------------------------------------------------------------------------- look-ups
    def room_at(self, x: float, y: float) -> str:
        return self.rooms.room_at(x, y)

    def seen_from(self, x: float, y: float, times: np.ndarray) -> str:
        """The room of a thing at (x, y) seen at ``times``: where its position falls, unless that is
        near a wall and the camera saw it from the other side (walls hide; the camera's room wins)."""
        room = self.room_at(x, y)
        inside = [a for a in self.areas if a.name == room]
        margin = min(x - inside[0].x0, inside[0].x1 - x, y - inside[0].y0, inside[0].y1 - y) if inside else 0.0
        if margin > WALL_MARGIN or self._camera is None:
            return room
        t, rooms = self._camera
        idx = np.clip(np.searchsorted(t, np.asarray(times, float)), 0, len(t) - 1)
        # seen through a doorway from afar says little: the nearer the camera, the more its room counts
        cx, cy = self._camera_xy
        far = np.maximum(np.hypot(cx[idx] - x, cy[idx] - y), 0.5)
        votes: Counter = Counter()
        for i, d in zip(idx, far):
            votes[rooms[i]] += 1.0 / d ** 2
        return votes.most_common(1)[0][0] if votes else room

    @property
    def _camera_xy(self) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys) of the pose log, alongside _camera's times."""
        if not hasattr(self, "_camera_pos"):
            track = self.poses()
            self._camera_pos = (np.asarray(track.xs, float), np.asarray(track.ys, float))
        return self._camera_pos

    @property
    def _camera(self) -> tuple[np.ndarray, list[str]] | None:
        """(times, room of the camera) of the pose log, computed once."""
        if not hasattr(self, "_camera_rooms"):
            self._camera_rooms = None
            if self.stream is not None:
                track = self.poses()
                if len(track):
                    self._camera_rooms = (track.times, [self.room_at(float(a), float(b))
                                                        for a, b in zip(track.xs, track.ys)])
        return self._camera_rooms

    def poses(self, start: float | None = None, end: float | None = None):
        """The camera's poses (memory.poses.PoseTrack) up to the world's cut, drift taken out like the sightings'."""
        if self.until is not None:
            end = self.until if end is None else min(end, self.until)
        track = self.store.poses(self.stream, start, end)
        dxs, dys = self.drift.at(track.times)
        return replace(track, xs=track.xs + dxs, ys=track.ys + dys)

    def agent_room(self, t: float) -> str:
        if self.stream is None:
            return ""
        pose = self.poses(t - 1.0, t + 1.0)
        return self.room_at(float(pose.xs[0]), float(pose.ys[0])) if len(pose) else ""

    def agent_rooms(self, end: float) -> list[tuple[float, float, str]]:
        """(start, end, room) spans of the camera before ``end``."""
        if self.stream is None:
            return []
        track = self.poses(None, end)
        spans: list[list] = []
        for t, x, y in zip(track.times, track.xs, track.ys):
            room = self.room_at(float(x), float(y))
            if spans and spans[-1][2] == room:
                spans[-1][1] = float(t)
            else:
                spans.append([float(t), float(t), room])
        return [tuple(s) for s in spans]

    def person_near(self, x: float, y: float, start: float, end: float) -> str:
        """The person seen nearest to (x, y) between start and end, within NEAR_PERSON metres; else "".
        A person seen fewer than FRAGMENT times in all is a scrap of someone's track (a swap, a
        false detection) that joined nobody, not someone to credit with a deed."""
        best, name = NEAR_PERSON, ""
        for who, p in self.people.items():
            m = (p.times >= start) & (p.times <= end)
            if m.any() and len(p.times) >= FRAGMENT:
                d = float(np.min(np.hypot(p.xs[m] - x, p.ys[m] - y)))
                if d < best:
                    best, name = d, who
        return name

    def furniture_near(self, x: float, y: float) -> str:
        f = self._nearest_furniture(x, y)
        return self.furniture_name(f) if f is not None else ""

    def _nearest_furniture(self, x: float, y: float, within: float = np.inf) -> Thing | None:
        """The piece of furniture nearest to (x, y), if it stands within ``within`` metres."""
        if not self.furniture:
            return None
        f = min(self.furniture, key=lambda f: np.hypot(f.xs[0] - x, f.ys[0] - y))
        return f if np.hypot(f.xs[0] - x, f.ys[0] - y) <= within else None

    def furniture_name(self, f: Thing) -> str:
        """"fridge", or "kitchen cabinet" when another piece of the same label stands elsewhere."""
        twins = [g for g in self.furniture if g.name == f.name and g is not f]
        return f"{f.room} {f.name}" if twins and f.room else f.name

    def stay_at(self, thing: Thing, t: float) -> Stay | None:
        """The resting place the thing was last seen at by time t (its last sightings when it was never
        seen resting long enough to make one)."""
        stays = [s for s in thing.stays if s.start < t]
        if stays:
            return stays[-1]
        seen = np.flatnonzero(thing.times < t)
        if len(seen) < MIN_SIGHTINGS:
            return None  # a misread colour or label now and then is not a thing
        last = seen[-3:]
        x, y = float(np.median(thing.xs[last])), float(np.median(thing.ys[last]))
        return Stay(float(thing.times[last[0]]), float(thing.times[last[-1]]), x, y, self.room_at(x, y), len(last))


def _away(thing: Thing, stay: Stay, t0: float, t1: float) -> np.ndarray:
    """Indices of the thing's sightings away from its resting place (carried) strictly between t0 and t1."""
    soon = (thing.times > t0) & (thing.times < t1)
    return np.flatnonzero(soon & (np.hypot(thing.xs - stay.x, thing.ys - stay.y) > STAY_RADIUS))


def _settled(stays: list[Stay], k: int, step: int) -> tuple[float, bool]:
    """How long a thing rested about stays[k], with the stays after it (step +1) or before it (-1) that
    lie within MOVE_DISTANCE of it (one resting place that position noise split: no move between), and
    whether that run reaches the thing's last (first) stay."""
    start, end, j = stays[k].start, stays[k].end, k + step
    while 0 <= j < len(stays) and np.hypot(stays[j].x - stays[k].x, stays[j].y - stays[k].y) < MOVE_DISTANCE:
        start, end, j = min(start, stays[j].start), max(end, stays[j].end), j + step
    return end - start, not 0 <= j < len(stays)


def _sorted_median(values: list[float]) -> float:
    """The median of an ascending list (numpy's: the mean of the middle two of an even count)."""
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def _agglomerate(X: np.ndarray, weights: np.ndarray, threshold: float = 0.9) -> np.ndarray:
    """Average-linkage clustering of unit vectors: merge while two clusters' mean cosine >= threshold (the
    weighted mean over their members' pairs; of equal best pairs, the last in order merges). Kept as sums
    of weighted cosines between clusters, updated on each merge: O(n^2) a merge."""
    n = len(X)
    w = np.asarray(weights, float)
    sums = (X @ X.T).astype(float) * np.outer(w, w)  # sums[a, b]: sum of w_i w_j cos_ij over i in a, j in b
    mass = w.copy()  # the weight of each cluster
    alive = np.ones(n, bool)  # clusters are kept at the row of their first member, in that order
    members = [[i] for i in range(n)]
    upper = np.triu(np.ones((n, n), bool), 1)
    while alive.sum() > 1:
        mean = sums / np.outer(mass, mass)
        ok = upper & alive[:, None] & alive[None, :] & (mean >= threshold)
        if not ok.any():
            break
        best = mean[ok].max()
        a, b = np.argwhere(ok & (mean == best))[-1]
        sums[a] += sums[b]
        sums[:, a] += sums[:, b]
        mass[a] += mass[b]
        alive[b] = False
        members[a] += members[b]
    clusters = [members[i] for i in np.flatnonzero(alive)]
    labels = np.zeros(n, int)
    for c, group in enumerate(sorted(clusters, key=lambda m: -w[m].sum())):
        labels[group] = c
    return labels

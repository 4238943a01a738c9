"""Goal candidates for an embodied instruction, read from memory: where a thing was seen, how long ago,
and how often it stood there.

Placed sightings of the wanted label are grouped into places (greedy clusters of ``PLACE_RADIUS``).
A thing is in one place: the last known place holds ``r = exp(-age / RECENCY_S)`` of the belief
(it fades with the time since the thing was last seen), and the rest, ``1 - r``, is shared among all
its places by habit (the share of the thing's sightings made there: its usual places). A colour named in the instruction weighs the places
whose sightings mostly read that colour (colour readings err, so others are kept, lower). Rooms of
the map that memory holds no trace of the thing in are the frontier: the mass memory does not explain
is spread over the rooms not yet looked at in this task.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from memory.lookups import has_sighting_label
from memory.perceived import Area, areas, seen, sightings

PLACE_RADIUS = 1.2  # metres: sightings this close are one place
RECENCY_S = 900.0  # seconds over which confidence in a last known place falls by e
MEMORY_MASS = 0.8  # the most belief memory's places can hold together; the rest is "somewhere else"
COLOUR_MISMATCH = 0.35  # weight of a place whose sightings read another colour than the one asked
COLOUR_SHARE = 0.3  # a place reads the colour asked when at least this share of its sightings read it
MISS_KEEP = 0.35  # belief a place keeps after a look there missed the thing (small things are often missed)
ROOM_MISS = 0.6  # share of a room's belief left after a look around from its middle missed the thing
SPOT_RADIUS = 1.0  # metres: furniture sightings this close are one spot to search


@dataclass
class Candidate:
    """A place the thing may be: from memory (a cluster of sightings) or a room to explore."""

    x: float
    y: float
    source: str  # "memory", "explore" (a room to look around), "search" (furniture to look at), "retrieval"
    confidence: float  # belief that the thing is there now, in [0, 1]
    room: str = ""  # the map area holding it
    last_seen: float | None = None  # media time of the latest sighting there (memory only)
    age_s: float | None = None  # seconds since then, at planning time
    sightings: int = 0  # how many sightings make the place
    share: float = 0.0  # the place's share of all the thing's sightings (habit)
    colour: str = ""  # the colour most read there
    evidence: list[dict] = field(default_factory=list)  # a few of its sightings
    colour_fits: bool = True  # its sightings read the colour asked (``colour_fits``), or none was asked

    def to_dict(self) -> dict:
        return {"x": round(self.x, 3), "y": round(self.y, 3), "source": self.source,
                "confidence": round(self.confidence, 4), "room": self.room, "last_seen": self.last_seen,
                "age_s": None if self.age_s is None else round(self.age_s, 1), "sightings": self.sightings,
                "share": round(self.share, 3), "colour": self.colour, "colour_fits": self.colour_fits,
                "evidence": self.evidence}


def label_matches(label: str, wanted: str) -> bool:
    """A sighting's label names the wanted thing: the same, or the wanted word heads it ("cabinet" in
    "sink cabinet")."""
    label, wanted = label.lower(), wanted.lower()
    return bool(wanted) and (label == wanted or label.split()[-1] == wanted or wanted.split()[-1] == label)


def label_matcher(store, wanted: str):
    """A test of sighting labels for ``wanted``: ``label_matches``, but when memory holds sightings labelled
    exactly ``wanted`` only those (a detector that names "sink cabinet" and "cabinet" names two kinds of thing:
    asked for one, the other is not it; the head word stands in only when memory holds no exact label)."""
    exact = wanted.strip().lower()
    if exact and has_sighting_label(store, exact):
        return lambda label: label.lower() == exact
    return lambda label: label_matches(label, wanted)


def named_tracks(store, name: str, until: float | None = None) -> set[tuple[str, float, int]]:
    """(stream, time, track) of the sightings of the entities memory named or aliased ``name`` (a person
    a user or a transcript named: "Alice"), through merges; empty when memory names no entity so."""
    from memory.entities import EntityNotFound, EntityRegistry

    if not name:
        return set()
    try:
        registry = EntityRegistry(store)
    except PermissionError:  # a read-only memory made before entities: nothing is named in it
        return set()
    ids = set(registry.find(name))
    if not ids:
        return set()
    out = set()
    roots: dict[int, int | None] = {}
    for s in seen(store, until=until):
        if s.entity is None:
            continue
        if s.entity not in roots:
            try:
                roots[s.entity] = registry.resolve(s.entity)
            except EntityNotFound:
                roots[s.entity] = None
        if roots[s.entity] in ids:
            out.add((s.stream, s.time, s.track))
    return out


def matching_sightings(store, label: str, since: float | None = None, until: float | None = None,
                       placed_only: bool = True) -> list[tuple]:
    """Placed sightings (id, stream, time, track, kind, label, colour, score, x, y, state) of ``label``: a
    detector's label, or the name of an entity memory named (``named_tracks``); with ``placed_only`` False
    the unplaced ones too (x and y None)."""
    rows = sightings(store, until=until, placed_only=placed_only)
    named = named_tracks(store, label, until)
    matches = label_matcher(store, label)
    return [r for r in rows if (matches(r[5]) or (r[1], r[2], r[3]) in named)
            and (since is None or r[2] >= since)]


VIEW_M = 1.5  # an unplaced sighting is put this far ahead of the camera that made it
TRACK_GAP_S = 1.0  # an unplaced sighting this near in time to a placed one of its track stands where that one was


def unplaced_as_placed(store, label: str, until: float | None = None) -> list[tuple]:
    """Sightings of ``label`` that ingest could not place (a small thing with no support in view, a box cut
    off by the frame), as rows shaped like ``sightings``' rows: where ingest placed the same track within
    TRACK_GAP_S of it (one track is one thing, moments apart: a box that slid off the frame's edge), else
    VIEW_M ahead of the camera's pose at that time (the pose log), so that they still tell where the robot
    stood and which way it looked."""
    from memory.lookups import pose_near

    placed: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
    for r in matching_sightings(store, label, until=until):
        placed.setdefault((r[1], r[3]), []).append((r[2], r[8], r[9]))
    named = named_tracks(store, label, until)
    matches = label_matcher(store, label)
    out = []
    for s in seen(store, labels=(), until=until):
        key = (s.stream, s.time, s.track)
        if not (matches(s.label) or key in named) or any(t == s.time for t, _, _ in placed.get((s.stream, s.track), ())):
            continue
        near = [p for p in placed.get((s.stream, s.track), ()) if abs(p[0] - s.time) <= TRACK_GAP_S]
        if near:
            _, x, y = min(near, key=lambda p: abs(p[0] - s.time))
        else:
            pose = pose_near(store, s.stream, s.time, within=1.0)
            if pose is None:
                continue
            x, y = pose[0] + VIEW_M * math.cos(pose[2]), pose[1] + VIEW_M * math.sin(pose[2])
        out.append((None, s.stream, s.time, s.track, s.kind, s.label, s.colour, s.score, x, y, ""))
    return out


def memory_candidates(store, label: str, colour: str, now: float, until: float | None = None,
                      every_sighting: bool = False, follow_carrier: bool = False) -> list[Candidate]:
    """The places memory saw the thing, most believed first (confidence as the module says); where no
    sighting of it was placed, the unplaced ones stand in (``unplaced_as_placed``); with
    ``every_sighting`` they count beside the placed ones (when it was seen matters more than how well
    it was placed: "where did you last see it"). With ``follow_carrier``, a thing last seen moving with a
    person (``carrier_place``) is believed to be where that person was seen afterwards: that place takes
    the last known place's share for recency, and the last known place keeps only its habit share."""
    placed = matching_sightings(store, label, until=until)
    rows = placed + unplaced_as_placed(store, label, until) if every_sighting or not placed else placed
    if not rows:
        return []
    carried = carrier_place(store, [r for r in placed if colour_fits([r], colour)] or placed, until) \
        if follow_carrier and placed else None
    places = _cluster(rows)
    total = len(rows)
    known = areas(store)
    fitting = [colour_fits(members, colour) for members in places]
    # the last known place of the thing asked for: of the places that read its colour, when any does (a
    # later sighting of a look-alike of another colour is not where this one was last)
    latest = max(max(r[2] for r in members) for members, fits in zip(places, fitting) if fits or not any(fitting))
    recent = math.exp(-max(now - latest, 0.0) / RECENCY_S)
    out = []
    for members, fits in zip(places, fitting):
        x, y = place_of(members)
        last = max(r[2] for r in members)
        age = max(now - last, 0.0)
        share = len(members) / total
        colours = Counter(r[6] for r in members if r[6])
        seen_colour = colours.most_common(1)[0][0] if colours else ""
        weight = 1.0 if fits else COLOUR_MISMATCH
        confidence = weight * ((recent if last == latest and carried is None else 0.0) + (1.0 - recent) * share)
        newest = sorted(members, key=lambda r: r[2])[-3:]
        evidence = [{"stream": r[1], "time": round(r[2], 2), "label": r[5], "colour": r[6],
                     "x": round(r[8], 2), "y": round(r[9], 2)} for r in newest]
        out.append(Candidate(x, y, "memory", confidence, _area_of(known, x, y), last, age, len(members), share,
                             seen_colour, evidence, fits))
    if carried is not None:
        (x, y), evidence = carried
        out.append(Candidate(x, y, "memory", recent, _area_of(known, x, y), latest, max(now - latest, 0.0), 0, 0.0,
                             "", evidence, True))
    scale = min(1.0, MEMORY_MASS / max(sum(c.confidence for c in out), 1e-9))
    for c in out:
        c.confidence *= scale
    return sorted(out, key=lambda c: -c.confidence)


MIN_VIEW_S = 1.0  # sightings of one thing spanning at least this long are a view of it; shorter, a glimpse
VIEW_GAP_S = 1.0  # sightings of one thing this near in time are one view (detections of small things flicker)
VIEW_TAIL_S = 1.0  # a view's place: where its sightings of its last this many seconds put the thing


def views(store, label: str, until: float | None = None) -> list[list[tuple]]:
    """The sightings of ``label`` (placed or not) as views, by time: one thing (ingest's re-identified
    entity, else one track) seen without a break longer than VIEW_GAP_S (a tracker splits a small thing's
    flickering detections into short tracks; re-identification joins them)."""
    rows = matching_sightings(store, label, until=until, placed_only=False)
    entity = {(s.stream, s.time, s.track): s.entity for s in seen(store, until=until) if s.entity is not None}
    things: dict[tuple, list[tuple]] = {}
    for r in rows:
        e = entity.get((r[1], r[2], r[3]))
        things.setdefault(("entity", e) if e is not None else ("track", r[1], r[3]), []).append(r)
    out = []
    for members in things.values():
        members.sort(key=lambda r: r[2])
        run = [members[0]]
        for r in members[1:]:
            if r[2] - run[-1][2] > VIEW_GAP_S + 1e-9:
                out.append(run)
                run = []
            run.append(r)
        out.append(run)
    return sorted(out, key=lambda v: v[-1][2])


def last_view(store, label: str, colour: str, now: float, until: float | None = None) -> Candidate | None:
    """Where memory last saw the thing ("go to where you last saw it"): its latest *view* (``views``: one
    thing seen for MIN_VIEW_S or more), of the colour asked when any view reads it; its place is where the
    view's sightings of its last VIEW_TAIL_S put it (their median: a person walks, and one placement errs),
    placed or not (an unplaced one stands as ``unplaced_as_placed`` puts it). A glimpse (a thing in view for
    a moment: a box flickering at the frame's edge, someone crossing a far door) is not taken for the last
    view while a view exists: its placement is the least reliable, and it is not what a person means by
    "where you last saw it". With no view at all, the latest glimpse. None when memory never saw it."""
    found = views(store, label, until)
    if not found:
        return None
    fitting = [v for v in found if colour_fits(v, colour)] or found
    long_enough = [v for v in fitting if v[-1][2] - v[0][2] >= MIN_VIEW_S - 1e-9] or fitting
    view = max(long_enough, key=lambda v: (v[-1][2], len(v)))
    end = view[-1][2]
    tail = [r for r in view if r[2] >= end - VIEW_TAIL_S - 1e-9]
    placed = [r for r in tail if r[8] is not None]
    if not placed:
        stand_in = {(r[1], r[2], r[3]): r for r in unplaced_as_placed(store, label, until)}
        placed = [stand_in[(r[1], r[2], r[3])] for r in tail if (r[1], r[2], r[3]) in stand_in]
        if not placed:
            return None
    x, y = place_of(placed)
    age = max(now - end, 0.0)
    colours = Counter(r[6] for r in view if r[6])
    evidence = [{"stream": r[1], "time": round(r[2], 2), "track": r[3], "label": r[5], "colour": r[6],
                 "x": round(r[8], 2), "y": round(r[9], 2)} for r in placed[-3:]]
    total = sum(len(v) for v in found)
    return Candidate(x, y, "memory", math.exp(-age / RECENCY_S), _area_of(areas(store), x, y), end, age, len(view),
                     len(view) / total, colours.most_common(1)[0][0] if colours else "", evidence,
                     colour_fits(view, colour))


CARRY_M = 0.5  # metres: a person placed this near a thing at the same moment may be holding it
CARRY_S = 0.5  # seconds: sightings this close in time are of the same moment
CARRY_MOVED_M = 0.5  # ...and the thing moved at least this far between those moments: it was carried
CARRY_WINDOW_S = 5.0  # seconds before the thing's last sighting in which a carrier is looked for


def carrier_place(store, rows: list[tuple], until: float | None = None) -> tuple[tuple[float, float], list[dict]] | None:
    """Where a thing last seen carried went: when, in the CARRY_WINDOW_S before the thing's last placed
    sighting (``rows``), one person (an entity of ingest's re-identification, else a track) was placed within
    CARRY_M of it at two or more moments and the thing moved CARRY_MOVED_M or more between them, the place of
    that person's last sightings after it (the median of the latest three; the person took it there, or put it
    down on the way). None when the thing was not seen carried or the person was not seen afterwards."""
    if not rows:
        return None
    last = max(r[2] for r in rows)
    recent = [r for r in rows if r[2] >= last - CARRY_WINDOW_S]
    people = [r for r in sightings(store, until=until) if r[4] == "person"]
    entity = {(s.stream, s.time, s.track): s.entity for s in seen(store, kinds=("person",), until=until)}

    def who(p: tuple) -> tuple:
        e = entity.get((p[1], p[2], p[3]))
        return ("entity", e) if e is not None else ("track", p[1], p[3])

    together: dict[tuple, list[tuple]] = {}
    for r in recent:
        for p in people:
            if abs(p[2] - r[2]) <= CARRY_S and p[1] == r[1] and math.hypot(p[8] - r[8], p[9] - r[9]) <= CARRY_M:
                together.setdefault(who(p), [])
                if r not in together[who(p)]:
                    together[who(p)].append(r)
    carriers = [(k, v) for k, v in together.items() if len({r[2] for r in v}) >= 2
                and max(math.hypot(a[8] - b[8], a[9] - b[9]) for a in v for b in v) >= CARRY_MOVED_M]
    if not carriers:
        return None
    key, _ = max(carriers, key=lambda kv: (len(kv[1]), max(r[2] for r in kv[1])))
    after = [p for p in people if who(p) == key and p[2] > last]
    if not after:
        return None
    latest = after[-3:]
    evidence = [{"carried_by": "/".join(map(str, key)), "stream": p[1], "time": round(p[2], 2),
                 "label": p[5], "x": round(p[8], 2), "y": round(p[9], 2)} for p in latest]
    return place_of(latest), evidence


def colour_fits(rows: list[tuple], colour: str) -> bool:
    """A place's sightings fit the colour asked: none asked, none read, or at least COLOUR_SHARE of them read
    it (colour readings err: a place is not dropped for a few other readings)."""
    read = [r[6] for r in rows if r[6]]
    return not colour or not read or read.count(colour) >= COLOUR_SHARE * len(rows)


def place_of(rows: list[tuple]) -> tuple[float, float]:
    """Where a group of sightings puts the thing: the median of their positions (ingest places a thing
    resting on furniture at the middle of its support's depth, ``LevelCamera.support_depth_m``, so no
    correction along the camera's ray is made here)."""
    xs, ys = sorted(r[8] for r in rows), sorted(r[9] for r in rows)
    return xs[len(xs) // 2], ys[len(ys) // 2]


def frontier_candidates(store, explained: float, visited: set[str],
                        searched: Sequence[tuple[float, float]] = (), spots: bool = False) -> list[Candidate]:
    """The belief memory does not explain, shared by the map's rooms: a room not yet looked around in this
    task is a goal (look around from its middle). With ``spots``, things rest on furniture: the furniture
    memory placed (``support_spots``) holds the belief by habit weight, so a room's share is the sum of its
    spots' weights (a room with no furniture in memory weighs as the mean room that has some), split among
    its spots; after a look around the room missed it, ROOM_MISS of the share. A spot in ``searched`` is
    done: its part of the room's share is spent, not passed to the room's other spots."""
    known = areas(store)
    if not known:
        return []
    by_room: dict[str, list[Candidate]] = {}
    for spot in support_spots(store, known) if spots else []:
        by_room.setdefault(spot.room, []).append(spot)
    weights = {name: sum(c.share for c in here) for name, here in by_room.items()}
    typical = sum(weights.values()) / len(weights) if weights else 1.0
    room_weight = {a.name: weights.get(a.name, typical) for a in known}
    mass = max(1.0 - explained, 0.0) / sum(room_weight.values())
    out = []
    for a in known:
        share = mass * room_weight[a.name] * (ROOM_MISS if a.name in visited else 1.0)
        here = by_room.get(a.name, [])
        for c in here:
            c.confidence = share * c.share / weights[a.name]
        out += [c for c in here if all(math.hypot(c.x - x, c.y - y) > SPOT_RADIUS for x, y in searched)]
        if not here and a.name not in visited:
            out.append(Candidate((a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2, "explore", share, a.name))
    return out


def support_spots(store, known: list[Area] | None = None) -> list[Candidate]:
    """Furniture memory placed, grouped within SPOT_RADIUS, as places to search for a small thing; ``share``
    is the spot's habit weight: 1 + the object sightings memory placed within SPOT_RADIUS of it (where
    things were seen standing is where things stand)."""
    known = areas(store) if known is None else known
    rows = sightings(store)
    furniture = [r for r in rows if r[4] == "furniture"]
    objects = [(r[8], r[9]) for r in rows if r[4] == "object"]
    out = []
    for members in _cluster(furniture, SPOT_RADIUS):
        xs, ys = sorted(r[8] for r in members), sorted(r[9] for r in members)
        x, y = xs[len(xs) // 2], ys[len(ys) // 2]
        held = sum(1 for ox, oy in objects if math.hypot(ox - x, oy - y) <= SPOT_RADIUS)
        label = Counter(r[5] for r in members).most_common(1)[0][0]
        out.append(Candidate(x, y, "search", 0.0, _area_of(known, x, y), max(r[2] for r in members),
                             sightings=len(members), share=1.0 + held, evidence=[{"label": label}]))
    return out


def _cluster(rows: list[tuple], radius: float = PLACE_RADIUS) -> list[list[tuple]]:
    """Greedy clusters of sightings by position, newest first so that a place's seed is its latest view."""
    places: list[list[tuple]] = []
    centres: list[tuple[float, float]] = []
    for r in sorted(rows, key=lambda r: -r[2]):
        for i, (cx, cy) in enumerate(centres):
            if math.hypot(r[8] - cx, r[9] - cy) <= radius:
                places[i].append(r)
                break
        else:
            places.append([r])
            centres.append((r[8], r[9]))
    return places


def _area_of(known: list[Area], x: float, y: float) -> str:
    if not known:
        return ""
    inside = [a for a in known if a.contains(x, y)]
    return (inside[0] if inside else min(known, key=lambda a: a.distance(x, y))).name

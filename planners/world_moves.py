"""The perceived world's moves of things: puts and picks read off where things rested and were carried
(resting places reached from elsewhere or seen carried towards, things turning up carried, things put into
containers, things gone from where they lay, things found on furniture just seen without them), each by whom and
whether seen as it happened; a thing read at a second place between two stretches at its first is an alike thing,
not moved."""

from __future__ import annotations

import numpy as np

from planners.world_base import (
    CARRIED_AFTER_PICK, CARRIED_BEFORE_PUT, CARRIED_GAP, CARRY_SECONDS, CLOSED, FRAGMENT, GONE_AFTER, GONE_VIEWS,
    HIDDEN_GAP, MIN_SIGHTINGS, MOVE_DISTANCE, NEAR_PERSON, ON_FURNITURE, OPENED_AFTER, RESTING_SECONDS, STAY_RADIUS,
    UNSEEN_GAP, WALKING_SPEED, WATCHED, WATCHED_SECONDS, WITNESS_GAP, Action, Stay, Thing, WorldBase)


PLACEMENT_NOISE = 2.0  # metres two resting places of a thing may lie apart by placement error alone (on a long
# support, read from afar): a change this small that nobody was seen making, the thing never seen on its way, is
# no move; nor is one to a place it is found back at later (two things alike, one in each place)
APPEAR_SECONDS = 20.0  # seconds before a thing is first found resting somewhere in which views of the furniture ...
APPEAR_VIEWS = 3  # ... in this many whole seconds, the thing not among them, say it was not there yet
CARRIED_TO = 30.0  # seconds: seen carried towards a place this shortly before first found resting there, it was put
CARRY_STEP = 2.0  # seconds between two sightings of a thing over which a shift of STAY_RADIUS or more is its carrying
GONE_ATTENDED = 3  # whole seconds of views of a thing's last place, without it, that say it was taken when
# someone stood at the place after it was last seen there (GONE_VIEWS when nobody was seen there)


class WorldMoves(WorldBase):
    """The moves of the world's things (its things' resting places and its people set)."""

    # ------------------------------------------------------------------------------- actions
    def _moves(self) -> list[Action]:
        out = []
        for thing in self.things.values():
            twin = -1  # the last stay found to be another thing alike (no move to it, nor back from it)
            for k, (before, after) in enumerate(zip(thing.stays, thing.stays[1:])):
                if np.hypot(before.x - after.x, before.y - after.y) < MOVE_DISTANCE:
                    continue
                if twin == k and _near(after, thing.stays[k - 1], MOVE_DISTANCE) and not _on_way(thing, k):
                    continue  # back at the place before the alike thing's: it never left it
                put_at, actor, put_seen = self._handling(thing, after, put=True)
                pick_at, picker, pick_seen = self._handling(thing, before, put=False)
                if not (actor or picker) and _unseen_jitter(thing, k):
                    twin = k + 1
                    continue
                lasted, to_last = _settled(thing.stays, k + 1, +1)
                out.append(Action("put", put_at, put_at, actor, thing.name,
                                  self.furniture_near(after.x, after.y),
                                  resting=lasted >= RESTING_SECONDS or to_last, witnessed=put_seen))
                lasted, from_first = _settled(thing.stays, k, -1)
                out.append(Action("pick", pick_at, pick_at, picker, thing.name,
                                  self.furniture_near(before.x, before.y),
                                  resting=lasted >= RESTING_SECONDS or (from_first and not self._arrived(thing)),
                                  witnessed=pick_seen))
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
        it was carried, who walks with it, else of whoever was nearest the place (then: at the time it is put at,
        when that is more than WITNESS_GAP from when the thing was found there or last seen there)."""
        edge = _arrival(thing, stay) if put else stay.end
        near = self.person_near(stay.x, stay.y, edge - (4.0 if put else 2.0), edge + (2.0 if put else 4.0))
        carried = _away(thing, stay, edge - WITNESS_GAP, edge) if put else _away(thing, stay, edge, edge + WITNESS_GAP)
        if len(carried):
            i = int(carried[-1] if put else carried[0])
            t = float(thing.times[i])
            return edge, self.person_near(float(thing.xs[i]), float(thing.ys[i]), t - 0.5, t + 0.5) or near, True
        when, by, seen = self._handled_out_of_view(thing, stay, put) or (edge, "", False)
        if abs(when - edge) > WITNESS_GAP:  # done well before it was found (after it was last seen): by whoever
            near = self.person_near(stay.x, stay.y, when - 2.0, when + 2.0)  # was at the place then, if anyone
        if put and not (by or near):
            when, by, seen = self._appeared(thing, stay) or (when, by, seen)
        return when, by or near, seen

    def _appeared(self, thing: Thing, stay: Stay) -> tuple[float, str, bool] | None:
        """A put read off the place: someone stood at the piece of furniture the thing rests on (nearest it at
        that moment) in the APPEAR_SECONDS before the thing was first seen resting there, the thing not seen
        anywhere then (nor a thing of its label, its colour read otherwise, at the place before), and the piece was
        in view in APPEAR_VIEWS whole seconds before that moment without it: they put it down then (inferred:
        the put itself was not seen)."""
        arrival = _arrival(thing, stay)
        f = self._nearest_furniture(stay.x, stay.y, within=ON_FURNITURE)
        if f is None or np.any((thing.times >= arrival - APPEAR_SECONDS) & (thing.times < arrival)):
            return None  # seen about then: where it came from tells (the carried-in rules), not the place
        if self._twin_at(thing, stay, -np.inf, arrival):
            return None
        by = self.person_near(stay.x, stay.y, arrival - APPEAR_SECONDS, arrival + 0.5)
        if not by:
            return None
        p = self.people[by]
        at = (p.times >= arrival - APPEAR_SECONDS) & (p.times <= arrival + 0.5)
        when = float(p.times[int(np.argmin(np.where(at, np.hypot(p.xs - stay.x, p.ys - stay.y), np.inf)))])
        views = f.times[(f.times >= arrival - APPEAR_SECONDS) & (f.times < when)]
        if len(np.unique(np.floor(views))) < APPEAR_VIEWS:
            return None  # the place not seen empty before: it may have lain there all along
        return when, by, False

    def _handled_out_of_view(self, thing: Thing, stay: Stay, put: bool) -> tuple[float, str, bool] | None:
        """A put (pick) the thing itself was not in view for: last (first) seen carried, not at rest, some
        time before its resting place began (after it ended), it was put down (taken) a walk at WALKING_SPEED
        from that sighting after (before) it, by the one seen at the place then, who makes it witnessed, or
        else by the one seen carrying it. (Timing the carrier's own arrival was tried: no better.)"""
        edge = _arrival(thing, stay) if put else stay.end
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
        (carried there): within CARRIED_GAP s, plus the walk from where it was seen at WALKING_SPEED (from
        farther off it takes longer to bring). That place is no resting place it was found at, a short stay
        there a pause."""
        if not thing.stays:
            return False
        first = thing.stays[0]
        far = np.hypot(thing.xs - first.x, thing.ys - first.y)
        arrival = _arrival(thing, first)
        away = np.flatnonzero((thing.times < arrival) & (far > MOVE_DISTANCE))
        if not len(away):
            return False
        i = int(away[-1])
        return (arrival - float(thing.times[i]) <= CARRIED_GAP + float(far[i]) / WALKING_SPEED
                or _carried_towards(thing, first, arrival))

    def _carried_in(self, thing: Thing) -> list[Action]:
        """A put as the thing's first resting place reached from elsewhere: seen away from it (carried)
        shortly before it first rests there; or found there with someone at the place just after the place
        was seen without it (``_appeared``)."""
        if not thing.stays:
            return []
        first = thing.stays[0]
        if self._arrived(thing):
            when, actor, seen = self._handling(thing, first, put=True)
        elif appeared := self._appeared(thing, first):
            when, actor, seen = appeared
        else:
            return []
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
        rested on (an open one: a table, a shelf, not a cabinet) seen in GONE_VIEWS whole seconds since (so
        alike at any detection rate), the thing never; or in GONE_ATTENDED whole seconds when someone stood at
        the place in between (``_at_place``: theirs, then). None when a thing of its label was seen there after
        (``_twin_at``). Known only from the last of those views on; not witnessed (it happened out of sight)."""
        if not thing.stays or not self.furniture:
            return []
        last = thing.stays[-1]
        if last.end - last.start < RESTING_SECONDS:
            return []
        f = self._nearest_furniture(last.x, last.y, within=ON_FURNITURE)
        if f is None or any(f.name == c or f.name.endswith(" " + c) for c in CLOSED):
            return []
        views = f.times[f.times > last.end + GONE_AFTER]
        seconds = np.unique(np.floor(views))
        if self._twin_at(thing, last, last.end, np.inf):
            return []
        attended = self._at_place(last, views) if len(seconds) < GONE_VIEWS else None
        if len(seconds) < GONE_VIEWS and not attended:
            return []
        if attended:  # seen gone for a few seconds only, after someone stood at the place: they took it
            when, picker = attended
        else:
            when, picker = last.end, self.person_near(last.x, last.y, last.end - 2.0, last.end + 4.0)
        least = min(len(seconds), GONE_VIEWS)
        return [Action("pick", when, when, picker, thing.name, self.furniture_name(f),
                       known=max(when, float(views[np.floor(views) >= seconds[least - 1]][0])), witnessed=False)]

    def _at_place(self, last: Stay, views: np.ndarray) -> tuple[float, str] | None:
        """(when, who): the first person (not a scrap of track) seen at a thing's last resting place after it was
        last seen there and before the place was seen in GONE_ATTENDED whole seconds without it, when nearest
        it, with a view of the place after that: the one who took it."""
        seconds = np.unique(np.floor(views))
        if len(seconds) < GONE_ATTENDED:
            return None
        until = float(seconds[GONE_ATTENDED - 1]) + 1.0
        first = [(float(p.times[at[0]]), who) for who, p in self.people.items() if len(p.times) >= FRAGMENT
                 and len(at := np.flatnonzero((p.times > last.end) & (p.times <= until)
                                              & (np.hypot(p.xs - last.x, p.ys - last.y) <= NEAR_PERSON)))]
        if not first:
            return None
        who = min(first)[1]  # the first to come to the place; taken when they stood nearest it
        p = self.people[who]
        span = (p.times > last.end) & (p.times <= until)
        when = float(p.times[int(np.argmin(np.where(span, np.hypot(p.xs - last.x, p.ys - last.y), np.inf)))])
        return (when, who) if np.any(views > when) else None

    def _twin_at(self, thing: Thing, stay: Stay, start: float, end: float) -> bool:
        """Whether another thing of its label was seen at its resting place between start and end: the same
        thing, maybe, its colour read otherwise (no sign that it came or went)."""
        label = thing.name.split()[-1]
        return any(other is not thing and other.name.split()[-1] == label and np.any(
            (other.times > start) & (other.times < end)
            & (np.hypot(other.xs - stay.x, other.ys - stay.y) <= MOVE_DISTANCE)) for other in self.things.values())


def _arrival(thing: Thing, stay: Stay) -> float:
    """When the thing was first seen at a resting place: its first sighting there since it was last seen
    elsewhere (a lone sighting or two there, too few for a resting place of their own, came first), over one
    stray sighting between (a position misread)."""
    i = int(np.searchsorted(thing.times, stay.start))
    there = np.hypot(thing.xs - stay.x, thing.ys - stay.y) <= STAY_RADIUS
    while i > 0 and (there[i - 1] or (i > 1 and there[i - 2])):
        i -= 1 if there[i - 1] else 2
    return float(thing.times[i]) if i < len(thing.times) else stay.start


def _carried_towards(thing: Thing, stay: Stay, arrival: float) -> bool:
    """Whether the thing's last two sightings before it was first seen at a resting place (within CARRIED_TO s of
    that) show it carried towards the place: off the place, STAY_RADIUS or more apart within CARRY_STEP s (in
    motion, no misplacement of a thing at rest), the later nearer the place. Nothing was seen of it between: it was
    put down at the place it was being brought to, though the camera looked away longer than CARRIED_GAP."""
    before = np.flatnonzero(thing.times < arrival)
    if len(before) < 2:
        return False
    i, j = int(before[-2]), int(before[-1])
    ti, tj = float(thing.times[i]), float(thing.times[j])
    di = float(np.hypot(thing.xs[i] - stay.x, thing.ys[i] - stay.y))
    dj = float(np.hypot(thing.xs[j] - stay.x, thing.ys[j] - stay.y))
    step = float(np.hypot(thing.xs[j] - thing.xs[i], thing.ys[j] - thing.ys[i]))
    return (arrival - tj <= CARRIED_TO and tj - ti <= CARRY_STEP and step >= STAY_RADIUS
            and STAY_RADIUS < dj < di)


def _away(thing: Thing, stay: Stay, t0: float, t1: float) -> np.ndarray:
    """Indices of the thing's sightings away from its resting place (carried) strictly between t0 and t1."""
    soon = (thing.times > t0) & (thing.times < t1)
    return np.flatnonzero(soon & (np.hypot(thing.xs - stay.x, thing.ys - stay.y) > STAY_RADIUS))


def _unseen_jitter(thing: Thing, k: int) -> bool:
    """Whether the change from resting place k to k + 1 of a thing (both RESTING_SECONDS long: no pauses
    while carried), with nobody seen by it, is no move: the thing never seen on its way between, and the
    places within PLACEMENT_NOISE of each other, or the thing found back at the first later (two things
    alike, one in each place)."""
    before, after = thing.stays[k], thing.stays[k + 1]
    if min(before.end - before.start, after.end - after.start) < RESTING_SECONDS or _on_way(thing, k):
        return False
    return _near(before, after, PLACEMENT_NOISE) or any(_near(s, before, MOVE_DISTANCE) for s in thing.stays[k + 2:])


def _on_way(thing: Thing, k: int) -> bool:
    """Whether the thing was seen between resting places k and k + 1, away from both (carried)."""
    before, after = thing.stays[k], thing.stays[k + 1]
    on_way = (thing.times > before.end) & (thing.times < after.start)
    return bool(np.any(on_way & (np.hypot(thing.xs - before.x, thing.ys - before.y) > STAY_RADIUS)
                       & (np.hypot(thing.xs - after.x, thing.ys - after.y) > STAY_RADIUS)))


def _near(a: Stay, b: Stay, metres: float) -> bool:
    return bool(np.hypot(a.x - b.x, a.y - b.y) < metres)


def _settled(stays: list[Stay], k: int, step: int) -> tuple[float, bool]:
    """How long a thing rested about stays[k], with the stays after it (step +1) or before it (-1) that
    lie within MOVE_DISTANCE of it (one resting place that position noise split: no move between), and
    whether that run reaches the thing's last (first) stay."""
    start, end, j = stays[k].start, stays[k].end, k + step
    while 0 <= j < len(stays) and np.hypot(stays[j].x - stays[k].x, stays[j].y - stays[k].y) < MOVE_DISTANCE:
        start, end, j = min(start, stays[j].start), max(end, stays[j].end), j + step
    return end - start, not 0 <= j < len(stays)

"""The built-in answerer's rules for where things are and when things happened: where a thing is (was at
a time; the thing someone asked for, put down, talked about), when someone entered, opened, put down,
and when something was first or last seen."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from planners.answer_base import AnswererBase
from planners.answer_helpers import _seen_first, _spoken_to
from planners.seen import placed_sightings, sightings_of, wanted
from planners.time_phrases import clock_seconds
from planners.addressing import addressed
from planners.world import Action
from planners.world_base import MOVE_DISTANCE, STAY_RADIUS, STAY_SIGHTINGS
from planners.world_acts import HANDOVER_BAR

SPOKE_NEAR = 15.0  # seconds from a time given for X's line ("what X asked about at 10:02") the line may begin
REQUEST = re.compile(r"\b(?:bring|fetch|get|carry|need|want|pass)\b", re.IGNORECASE)  # verbs of asking for a thing
SAID_AT = 3.0  # ... and a line in another voice may begin (diarisation may have given X's line to it)
SIDE_ERROR = 0.3  # a placed thing's range error, as a share of its range (on furniture, ground-contact ranges run long)
SIDE_LEAST = 0.5  # metres: ... at least
AT_GAP = 2.0  # seconds: a thing seen this shortly before a time was where it was seen then


@dataclass(frozen=True)
class Place:
    """Where a thing was seen: a room, the sightings that say so, and why."""

    room: str
    start: float  # the first of the sightings that say so
    end: float  # ... the last
    count: int  # how many
    x: float  # metres, drift taken out
    y: float
    note: str  # what was seen, as evidence says it
    entities: tuple[str, ...] = ()  # the world's thing, when one was seen

    @property
    def confidence(self) -> float:
        """How surely the thing is there: more sightings say more (a world's thing's more than a label's)."""
        return min(1.0, 0.4 + 0.1 * self.count + (0.2 if self.entities else 0.0))


def _off(place: Place, t: float) -> float:
    """Seconds between t and the sightings of a place: none within them (or just after, by AT_GAP)."""
    return max(place.start - t, t - place.end - AT_GAP, 0.0)


class WhereAnswers(AnswererBase):
    """Where and when: the rules of the questions about places and times."""

    RULES: list[tuple[str, str]] = [  # (intent of planners/exemplars.py, the method answering it)
        ("where_at", "_where_at"), ("requested", "_requested"), ("last_put_object", "_last_put_object"),
        ("mentioned_where", "_mentioned_where"), ("mentioned_mover", "_mentioned_mover"),
        ("mentioned_room", "_mentioned_room"), ("where_now", "_where_now"), ("when_enter", "_when_enter"),
        ("when_open", "_when_open"), ("when_put", "_when_put"), ("first_seen", "_first_seen"),
        ("seen_when", "_seen_when"),
    ]

    # ------------------------------------------------------------------------------- where
    def _where_now(self, now, name):
        place = self._place(name, now, now)
        if place is None:
            return self._not_seen(name, now, f"the {name} was not seen before")
        return place.room, "room", self.evidence(min(place.end, now), place.note, place.confidence,
                                                 entities=place.entities), ""

    def _where_at(self, now, name, when):
        t = clock_seconds(when)
        place = self._place(name, min(t + 1.0, now), now)
        if place is None:
            return self._not_seen(name, min(t + 1.0, now), f"the {name} was not seen by {when}")
        return place.room, "room", self.evidence(min(place.start, now), place.note, place.confidence,
                                                 entities=place.entities), ""

    def _place(self, name: str, t: float, now: float) -> "Place | None":
        """Where the thing was at time t, from what was seen before ``now``: the world's thing of that name
        (its resting place, or where it was seen after it); else every placed detection of its label and
        colour; else the room the camera was in when one was in view without a position."""
        thing = self._thing(name, now)
        want = wanted(name)
        if thing is not None and np.any(thing.times < now):
            place = self._nearest_place(thing.times, thing.xs, thing.ys, t, now, thing, name)
        else:
            if not want.labels:
                return None
            found = placed_sightings(self.store, want, until=now)
            dxs, dys = self.world.drift.at(found.times)
            place = (self._nearest_place(found.times, found.xs + dxs, found.ys + dys, t, now, None, name)
                     if len(found) else None)
        view = self._in_view(want, name, t, now) if want.labels else None
        if place is None or (view is not None and place.start > t and place.count < STAY_SIGHTINGS
                             and _off(view, t) < _off(place, t) - AT_GAP):
            return view  # placed after t only in passing (carried), in view much nearer t: the camera's room then
        return place

    def _nearest_place(self, times, xs, ys, t: float, now: float, thing, name: str) -> "Place | None":
        """Where the sightings (before ``now``) nearest in time to t put the thing: the latest before t (its
        resting place there, for a world's thing), unless it ended more than AT_GAP seconds before t and
        the first sighting after t is nearer in time (not seen by t: things mostly stay where they are)."""
        before = self._seen_place(times, xs, ys, times < t, last=True)
        if before is not None and thing is not None:
            before = self._rested(thing, t, before)
        elif before is not None:
            before = replace(before, note=f"a {name} detected in the {before.room}")
        if before is not None and before.end >= t - AT_GAP:
            return before
        after = self._seen_place(times, xs, ys, (times >= t) & (times < now), last=False)
        if after is None or (before is not None and t - before.end <= after.start - t):
            return before
        what = f"the {thing.name}" if thing is not None else f"a {name}"
        return replace(after, entities=(thing.name,) if thing is not None else (),
                       note=f"{what} first seen after that time, in the {after.room}")

    def _in_view(self, want, name: str, t: float, now: float) -> "Place | None":
        """No placed detection: the room the camera was in at the detection (without a position: too near,
        cut by the frame's edge) nearest in time to t; what is in view is mostly in the camera's room."""
        hits = [s for s in sightings_of(self.store, want, until=now) if s.time < now]
        if not hits:
            return None
        before, after = [s for s in hits if s.time < t], [s for s in hits if s.time >= t]
        near = before[-1] if before and (not after or t - before[-1].time <= after[0].time - t) else after[0]
        room = self.world.agent_room(near.time)
        if not room:
            return None
        return Place(room, near.time, near.time, 1, float("nan"), float("nan"),
                     f"a {name} in view while the camera was in the {room}")

    def _seen_place(self, times, xs, ys, among, last: bool) -> "Place | None":
        """The place of the latest (``last``) or earliest sighting among ``among``, with the sightings next
        to it in time that lie within STAY_RADIUS of it (its run there); its room as the camera saw it."""
        idx = np.flatnonzero(among)
        if not len(idx):
            return None
        order = idx[::-1] if last else idx
        anchor = int(order[0])
        run = []
        for i in order:
            if np.hypot(xs[i] - xs[anchor], ys[i] - ys[anchor]) > STAY_RADIUS:
                break
            run.append(int(i))
        run.sort()
        x, y = float(np.median(xs[run])), float(np.median(ys[run]))
        room = self._room_seen(x, y, times[run], xs[run], ys[run])
        return Place(room, float(times[run[0]]), float(times[run[-1]]), len(run), x, y, "seen")

    def _poses(self):
        """The camera's poses of the world asked of (read once per world)."""
        if getattr(self, "_poses_of", (None,))[0] is not self.world:
            self._poses_of = (self.world, self.world.poses())
        return self._poses_of[1]

    def _room_seen(self, x: float, y: float, times, xs, ys) -> str:
        """The room of a thing seen at ``times`` at (xs, ys), (x, y) their middle: the camera's room when most
        of the sightings were placed just behind a wall of it with no door where the line of sight crosses it
        (``_camera_side``); else the room ``seen_from`` gives (x, y) (near a wall, the camera's)."""
        poses = self._poses()
        if len(poses) and len(times):
            votes = Counter(self._camera_side(float(t), float(a), float(b), poses) for t, a, b in zip(times, xs, ys))
            room, n = votes.most_common(1)[0]
            if room and room != self.world.room_at(x, y) and n > len(times) / 2:
                return room
        return self.world.seen_from(x, y, times)

    def _camera_side(self, t: float, x: float, y: float, poses) -> str:
        """The camera's room at t when (x, y) lies behind a wall of it, within a position's error
        (SIDE_ERROR of the range, at least SIDE_LEAST metres), where the line of sight crosses no door: a
        camera sees into another room only through a door; else "" (no camera, or no reason to doubt)."""
        cx, cy = float(np.interp(t, poses.times, poses.xs)), float(np.interp(t, poses.times, poses.ys))
        rooms = self.world.rooms
        home = rooms.room_at(cx, cy)
        if not home or rooms.room_at(x, y) == home:
            return ""
        far = float(np.hypot(x - cx, y - cy))
        for s in np.arange(0.0, 1.0, 0.05 / max(far, 0.05)):
            px, py = cx + (x - cx) * s, cy + (y - cy) * s
            other = rooms.room_at(px, py)
            if other == home or not any(a.contains(px, py) for a in rooms.areas):
                continue
            behind = far * (1.0 - s) <= max(SIDE_ERROR * far, SIDE_LEAST)
            return home if behind and not rooms.passable(home, other, px, py) else ""
        return ""

    def _rested(self, thing, t: float, seen: "Place") -> "Place":
        """The thing's resting place by t when its latest sightings are there (many sightings say more than
        a few), else where those sightings were: it was moved after it last rested."""
        stay = self.world.stay_at(thing, t)
        if stay is None or np.hypot(stay.x - seen.x, stay.y - seen.y) > MOVE_DISTANCE:
            return replace(seen, entities=(thing.name,), note=f"the {thing.name} seen in the {seen.room}")
        m = (thing.times >= stay.start) & (thing.times <= stay.end)
        room = self._room_seen(stay.x, stay.y, thing.times[m], thing.xs[m], thing.ys[m])  # the camera's side
        return Place(room, stay.start, max(stay.end, seen.end), stay.count, stay.x, stay.y,
                     f"the {thing.name} in the {room}", (thing.name,))

    def _object_in(self, text: str) -> str | None:
        """The known thing a heard line names (robust to a misheard word)."""
        words = re.findall(r"[a-z]+", self._lexicon().correct(text).lower())
        best, score = None, 0.0
        for name in self.world.things:
            parts = name.split()
            hits = [max((difflib.SequenceMatcher(None, p, w).ratio() for w in words), default=0.0) for p in parts]
            s = sum(hits) / len(parts)
            if all(h >= 0.75 for h in hits[-1:]) and s > score:
                best, score = name, s
        return best if score >= 0.8 else None

    def _requested(self, now, speaker, addressee):
        """Where the thing is that the speaker asked the addressee to bring: the latest request of the
        speaker's spoken to the addressee (a line asking for a thing, or calling them by name: "Alice, could you
        bring ..."), else any of the speaker's; else,
        as diarisation now and then gives a line to the wrong voice, a request spoken to the addressee
        in another voice. A request whose thing was handed to the speaker after ("Bob, here is the X")
        is the speaker's, in whatever voice it was heard."""
        heard = [h for h in self.world.heard if h[0] < now]
        # a request: a line with a verb of asking for a thing, or one calling someone by name (naming a thing)
        asks = [h for h in heard if REQUEST.search(h[2]) or addressed(h[2])]
        voice = {h[3] for h in self._heard_maybe_from(speaker, now)}
        if not voice:
            return self._handed(now, speaker, addressee) or (None, "unknown", [], f"never heard {speaker} speak")
        spoken_to = [h for h in asks if _spoken_to(h[2], addressee)]
        # a thing named to the speaker by name, in words other than a request's (handed over to them)
        handed = {self._object_in(h[2]) for h in heard
                  if _spoken_to(h[2], speaker) and not REQUEST.search(h[2])} - {None}
        theirs = [h for h in spoken_to if h[3] in voice or self._object_in(h[2]) in handed]
        for tier in (theirs, [h for h in asks if h[3] in voice], spoken_to):
            for h in reversed(tier):
                name = self._object_in(h[2])
                if name:
                    value, kind, ev, note = self._where_now(now, name)
                    return value, kind, self.evidence(h[0], f"{h[3]}: '{h[2]}'") + ev, note
        return self._handed(now, speaker, addressee) or (None, "unknown", [], "no request heard")

    def _handed(self, now, receiver, giver):
        """No request heard: where the thing is that the giver was last seen handing to the receiver
        (a handover read off tracks, planners/world_acts.py; the surest of the latest), if any."""
        to, by = self._person(receiver), self._person(giver)
        if to is None or by is None or to == by:
            return None
        handed = self._actions("handover", now,
                               lambda a: a.to == to and a.actor == by and a.confidence >= HANDOVER_BAR)
        if not handed:
            return None
        a = max(handed, key=lambda a: (a.time, a.confidence))
        value, kind, ev, note = self._where_now(now, a.target)
        return value, kind, self.evidence(a.time, f"{by} hands the {a.target} to {to}", a.confidence) + ev, note

    def _last_put_object(self, now, actor):
        puts, who = self._done_by(actor, self._actions("put", now)) or ([], "")
        if not puts:
            return None, "unknown", [], f"never saw {actor} put anything down"
        value, kind, ev, note = self._where_now(now, puts[-1].target)
        note = "; ".join(n for n in (who, note) if n)
        return value, kind, self.evidence(puts[-1].time, f"{puts[-1].actor or 'someone'} puts the {puts[-1].target} "
                                                         f"down") + ev, note

    def _mentioned(self, speaker, when, now):
        """(thing, line) of the speaker's line nearest the time that names a thing (a line of a voice nobody
        named when no voice goes by the speaker's name: ``_heard_maybe_from``); else, when the
        speaker was heard at all, of a line in another voice begun within SAID_AT seconds of it (the
        time names the line: diarisation may have given it to the wrong voice)."""
        t = clock_seconds(when)
        own = self._heard_maybe_from(speaker, now)
        mine = [h for h in own if abs(h[0] - t) <= SPOKE_NEAR]
        others = [h for h in self.world.heard if h[0] < now and abs(h[0] - t) <= SAID_AT and h not in own] if own else []
        for h in sorted(mine, key=lambda h: abs(h[0] - t)) + sorted(others, key=lambda h: abs(h[0] - t)):
            name = self._object_in(h[2])
            if name:
                return name, h
        return None, None

    def _mentioned_where(self, now, speaker, when):
        name, h = self._mentioned(speaker, when, now)
        if name is None:
            return None, "unknown", [], "no line naming a thing heard then"
        value, kind, ev, note = self._where_now(now, name)
        return value, kind, self.evidence(h[0], f"{h[3]}: '{h[2]}'") + ev, note

    def _mentioned_mover(self, now, speaker, when):
        name, h = self._mentioned(speaker, when, now)
        if name is None:
            return None, "unknown", [], "no line naming a thing heard then"
        puts = self._actions("put", now, lambda a: a.target == name and a.actor)
        if not puts:
            return None, "unknown", self.evidence(h[0], f"{h[3]}: '{h[2]}'"), f"never saw the {name} moved"
        return puts[-1].actor, "person", self.evidence(puts[-1].time, f"{puts[-1].actor} puts the {name} down"), ""

    def _mentioned_room(self, now, name, speaker, when):
        t = clock_seconds(when)
        thing = self._thing(name, now)
        if thing is None:
            return None, "unknown", [], f"the {name} was never seen"
        # asked afterwards: the resting place seen nearest that time, before or after it (the rest it was
        # at then may have been seen only after it was put there); never seen resting: where it was seen
        stays = [s for s in thing.stays if s.start < now]
        stay = (min(stays, key=lambda s: max(s.start - t, t - s.end)) if stays
                else self.world.stay_at(thing, min(t + 1.0, now)))
        if stay is None:
            return None, "unknown", [], f"the {name} was never seen resting"
        return stay.room, "room", self.evidence(stay.start, f"the {name} in the {stay.room}"), ""

    # -------------------------------------------------------------------------------- when
    def _pick(self, actions: list[Action], which: str, what: str):
        if not actions:
            return None, "unknown", [], f"never saw {what}"
        a = actions[0] if which.lower() == "first" else actions[-1]
        return a.time, "time", self.evidence(a.time, f"{a.actor or 'someone'} {a.kind} {a.target}", a.confidence), ""

    def _when_enter(self, now, which, actor, room):
        room = self._room(room)
        entries, who = self._done_by(actor, self._actions("enter", now, lambda a: a.target == room)) or ([], "")
        value, kind, ev, note = self._pick(entries, which, f"{actor} enter the {room}")
        return value, kind, ev, "; ".join(n for n in (note, who) if n)

    def _when_open(self, now, which, furniture):
        return self._pick(self._opens(furniture, now), which, f"the {furniture} opened")

    def _when_put(self, now, which, name):
        name = self._name(name, now)
        puts = self._actions("put", now, lambda a: a.target == name)
        puts = [a for a in puts if a.resting] or puts  # pauses while carried are no puts
        puts = _seen_first(puts)  # a thing found at rest was put there unseen, some time before
        thing = self.world.things.get(name)
        if not puts and thing is not None:  # no put seen as such: when it came to rest where it was seen
            stays = [st for st in thing.stays if st.start < now]
            puts = [Action("put", st.start, st.start, "", name) for st in (stays[1:] or stays[:1])]
        return self._pick(puts, which, f"anyone put down the {name}")

    def _first_seen(self, now, name):
        thing = self._thing(name, now)
        seen = thing.seen_before(now) if thing else np.array([])
        # a detector's first sighting of the name's label and colour, when earlier than the thing's: a glimpse
        # appearance joined to no thing, or no thing of that name at all (a plain video has no map of things)
        glimpse = self._seen_when(now, "first", name)
        if not len(seen) or (glimpse[0] is not None and glimpse[0] < float(seen[0])):
            return glimpse
        return float(seen[0]), "time", self.evidence(float(seen[0]), f"the {name} in view"), ""

    def _seen_when(self, now, which, phrase):
        """The first or last moment up to now that a detector saw what the phrase names (a person, a
        red cup), on a map or not: a plain video's sightings have no position."""
        want = wanted(phrase)
        if not want.anything:
            return None, "unknown", [], f"nothing to look for in {phrase!r}"
        found = sightings_of(self.store, want, until=now)
        if not found:
            return None, "unknown", [], "nobody was seen" if "person" in want.kinds else f"no {want.phrase} was seen"
        hit = found[0] if which.lower() == "first" else found[-1]
        entities = (f"entity:{hit.entity}",) if hit.entity is not None else ()
        note = f"{want.phrase} in view ({hit.label}, score {hit.score:.2f})"
        return hit.time, "time", self.evidence(hit.time, note, entities=entities), ""

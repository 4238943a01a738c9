"""Acts read off the perceived world's moves and the people seen by them, and how sure each act is.

- **Handovers**: a thing passed from one person to another, seen three ways: held by one and then, within
  HAND_SECONDS, by another, the two seen apart at once (hand to hand); put down by one and taken from
  there within LEFT_FOR seconds by another seen in that room as it was put (left for them); put down by
  one with another seen in that
  room then (brought to them: the weakest; a candidate that counts only when a line heard raises it to
  HANDOVER_BAR: in the simulator's short episodes nobody hands anything over, yet a put with someone
  else in the room is common).
- **Openings of containers nobody saw open**: a thing that turns up carried at a closed container after
  being out of sight was taken out of it, so the container was opened then.
- **Openings read while the container's box was cut off**: an open door swings towards the camera and its box
  runs off the bottom of the frame, so just the sightings read open often have no position; their track's
  placed sightings say which piece they are of, and their states count in its open spans.
- **Confidence**: each act's comes from what was seen (witnessed, or inferred from where things were
  seen after; an opening read beyond doubt, or thin and with someone by it). What was heard raises or
  lowers it, never makes an act: a line naming the act's thing (room, furniture) soon after, more in the
  doer's voice; a line naming the thing with another room lowers a put; a line handing the thing to
  someone by name raises a handover to that person and lowers one to another. The lines are matched by
  the memory's own names (things, rooms, furniture, people), in any words.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np

from memory import perceived
from planners.addressing import addressed
from planners.lexicon import Lexicon
from planners.opens import ATTENDED_OPEN, MIN_OPEN, open_spans
from planners.world_base import CLOSED, MOVE_DISTANCE, NEAR_PERSON, RESTING_SECONDS, UNSEEN_GAP, Action, Thing
from planners.world_moves import WorldMoves

PIECE_RADIUS = 1.0  # metres from a piece of furniture within which its sightings are its (as the world places pieces)
HAND_SECONDS = 5.0  # seconds between a carried thing's sighting by one person and by another: hand to hand
SPARSE_GAP = 0.75  # seconds between a container's sightings (the median) from which its reading is sparse: a two-
# second opening read fewer than MIN_OPEN times (twice at 1 Hz; at 2 Hz, a median gap of 0.5 s, four times)
HELD = 0.8  # metres from a person within which a carried thing is in their hands
HOLDS = 2  # sightings in one person's hands, before and after, that make a hand-to-hand pass
APART = 0.3  # metres two people's sightings within a second of each other must be apart to be two people
LEFT_FOR = 60.0  # seconds within which a thing put down and taken from there by another seen by it was left for them
BROUGHT_SECONDS = 15.0  # seconds around a put within which another person seen in its room had it brought to them
CUE_BEFORE = 10.0  # seconds before an act a line telling of it may begin (said as it is done)
CUE_AFTER = 60.0  # ... and after it (told of afterwards)
ASKED_BEFORE = 300.0  # seconds before a handover a line of the receiver's naming the thing may ask for it
HANDOVER_BAR = 0.5  # confidence a handover needs to count (answers read no weaker one)
RAISE = 0.15  # confidence a line naming the act's thing adds (twice that in the doer's own voice)
LOWER = 0.25  # confidence a line against the act takes away
CONFIDENCE = {  # from sight alone
    "witnessed": 0.8,  # a put or pick seen as it happened, an entry seen
    "inferred": 0.5,  # a put or pick read off where the thing was seen after
    "open": 0.9, "thin_open": 0.6,  # an opening read beyond doubt; one read thinly, with someone by it
    "opened_for": 0.4,  # an opening read off a thing taken out of a closed container
    "hand": 0.8, "left": 0.6, "brought": 0.35,  # handovers, as above
    "visit": 0.5}


class WorldActs(WorldMoves):
    """Handovers and openings read off the world's moves; every act's confidence."""

    def _attend_opens(self) -> None:
        """Keep the open spans read beyond doubt (a margin of MIN_OPEN), and, where the container was read
        sparsely (SPARSE_GAP s or more between its sightings, as in half), the thin ones (ATTENDED_OPEN) with
        a person seen by it then: a detector run once a second sees a two-second opening twice, while at
        five a second it reads one four times or more and two misreadings in a row are mere noise. The spans
        are read first on the states of the pieces' unplaced sightings too (``_cut_off_states``)."""
        self._cut_off_states()
        for f in self.furniture:
            if f.opens:
                fx, fy = float(f.xs[0]), float(f.ys[0])
                sparse = len(f.times) > 1 and float(np.median(np.diff(f.times))) >= SPARSE_GAP
                f.opens = [s for s in f.opens if s.margin >= MIN_OPEN or (
                    sparse and s.margin >= ATTENDED_OPEN and self.someone_near(fx, fy, s.start - 2.0, s.end + 1.0))]

    def _cut_off_states(self) -> None:
        """Read each container's open spans again with the states of its unplaced sightings: an opened door
        swings into the camera and the box grows past the bottom of the frame, so the sightings of a container
        while it stands open often have no ground contact to place them by. A track keeps following the piece
        all the same: an unplaced sighting belongs to the one piece most of its track's placed sightings stand at
        (within PIECE_RADIUS of it). Pieces with no unplaced state read keep their spans as read."""
        rows = perceived.states(self.store, "furniture", until=self.until)
        unplaced = [r for r in rows if r[3] is None]
        placed = [r for r in rows if r[3] is not None]
        if not unplaced or not placed:
            return
        dxs, dys = self.drift.at([r[0] for r in placed])  # as the pieces were placed: drift taken out
        cut_off = {int(r[1]) for r in unplaced}
        at: dict[int, list[tuple[str, float, float]]] = {}  # the placed sightings of tracks with unplaced ones
        for r, dx, dy in zip(placed, dxs.tolist(), dys.tolist()):
            if int(r[1]) in cut_off:
                at.setdefault(int(r[1]), []).append((r[2], r[3] + dx, r[4] + dy))
        pieces = [f for f in self.furniture if f.opens is not None]
        owner: dict[int, int] = {}  # track -> the one piece (index in pieces) most of its placed sightings stand at
        for track, spots in at.items():
            near = [sum(label == f.name and math.hypot(x - float(f.xs[0]), y - float(f.ys[0])) < PIECE_RADIUS
                        for label, x, y in spots) for f in pieces]
            if near and max(near) * 2 > len(spots):
                owner[track] = int(np.argmax(near))
        for k, f in enumerate(pieces):
            fx, fy = float(f.xs[0]), float(f.ys[0])
            extra = [(float(r[0]), r[5] == "open") for r in unplaced if owner.get(int(r[1])) == k and r[2] == f.name]
            if not extra:
                continue
            own = [(float(r[0]), r[5] == "open") for r, dx, dy in zip(placed, dxs.tolist(), dys.tolist())
                   if r[2] == f.name and math.hypot(r[3] + dx - fx, r[4] + dy - fy) < PIECE_RADIUS]
            read = sorted(own + extra)
            f.opens = open_spans(np.array([t for t, _ in read]), np.array([o for _, o in read]), least=ATTENDED_OPEN)

    def someone_near(self, x: float, y: float, start: float, end: float) -> bool:
        """Whether anyone was seen within NEAR_PERSON of (x, y) between start and end: presence, which
        even a scrap of track shows (unlike credit for a deed: ``person_near``)."""
        for p in self.people.values():
            m = (p.times >= start) & (p.times <= end)
            if m.any() and float(np.min(np.hypot(p.xs[m] - x, p.ys[m] - y))) <= NEAR_PERSON:
                return True
        return False

    def _derived(self, acts: list[Action]) -> list[Action]:
        """Handovers and openings read off ``acts`` (puts, picks, openings)."""
        return self._handovers(acts) + self._opened_for(acts)

    # ---------------------------------------------------------------------------- handovers
    def _handovers(self, acts: list[Action]) -> list[Action]:
        found = [a for thing in self.things.values() for a in self._hand_to_hand(thing)]
        puts = [a for a in acts if a.kind == "put" and a.resting and a.actor]
        picks = [a for a in acts if a.kind == "pick" and a.resting and a.actor]
        for put in puts:
            if any(h.target == put.target and abs(h.time - put.time) <= LEFT_FOR for h in found):
                continue  # seen passed hand to hand then
            to = self._brought_to(put)
            left = [p for p in picks if p.target == put.target and p.actor == to
                    and 0 < p.time - put.time <= LEFT_FOR and p.furniture == put.furniture]
            if left:
                found.append(Action("handover", put.time, left[0].time, put.actor, put.target, put.furniture,
                                    to=to, witnessed=put.witnessed and left[0].witnessed,
                                    confidence=CONFIDENCE["left"]))
            elif to:
                found.append(Action("handover", put.time, put.time, put.actor, put.target, put.furniture, to=to,
                                    witnessed=put.witnessed, confidence=CONFIDENCE["brought"]))
        return found

    def _hand_to_hand(self, thing: Thing) -> list[Action]:
        """The thing, carried (not at a resting place, and moving MOVE_DISTANCE over the two holds), held
        (within HELD metres) by one person for HOLDS sightings and then, within HAND_SECONDS, by another for
        as many, the two seen apart at once."""
        runs: list[list] = []  # [holder, first time, last time, sightings, first index, last index]
        for i in range(len(thing.times)):
            t = float(thing.times[i])
            if any(s.start <= t <= s.end for s in thing.stays):
                continue
            who = self._holder(float(thing.xs[i]), float(thing.ys[i]), t)
            if not who:
                continue
            if runs and runs[-1][0] == who:
                runs[-1][2], runs[-1][3], runs[-1][5] = t, runs[-1][3] + 1, i
            else:
                runs.append([who, t, t, 1, i, i])
        out: list[Action] = []
        for (a, _, t0, n0, i, _), (b, t1, _, n1, _, j) in zip(runs, runs[1:]):
            moved = float(np.hypot(thing.xs[j] - thing.xs[i], thing.ys[j] - thing.ys[i])) >= MOVE_DISTANCE
            if (moved and n0 >= HOLDS and n1 >= HOLDS and t1 - t0 <= HAND_SECONDS
                    and self._two_people(a, b, t0 - 1.0, t1 + 1.0)):
                out.append(Action("handover", t0, t1, a, thing.name, to=b, confidence=CONFIDENCE["hand"]))
        return out

    def _holder(self, x: float, y: float, t: float) -> str:
        """The person seen nearest (x, y) within half a second of t, within HELD metres; else ""."""
        best, name = HELD, ""
        for who, p in self.people.items():
            m = np.abs(p.times - t) <= 0.5
            if m.any():
                d = float(np.min(np.hypot(p.xs[m] - x, p.ys[m] - y)))
                if d < best:
                    best, name = d, who
        return name

    def _two_people(self, a: str, b: str, start: float, end: float) -> bool:
        """Whether a and b were seen apart at one moment (within a second) between start and end: two
        bodies, not one person's track split in two clusters."""
        pa, pb = self.people[a], self.people[b]
        ma = np.flatnonzero((pa.times >= start) & (pa.times <= end))
        mb = np.flatnonzero((pb.times >= start) & (pb.times <= end))
        return any(abs(pa.times[i] - pb.times[j]) <= 1.0
                   and np.hypot(pa.xs[i] - pb.xs[j], pa.ys[i] - pb.ys[j]) >= APART for i in ma for j in mb)

    def _brought_to(self, put: Action) -> str:
        """Another person seen in the room of the put's place within BROUGHT_SECONDS of it (the nearest)."""
        place = self._place(put)
        if place is None:
            return ""
        x, y = place
        room = self.room_at(x, y)
        best, name = np.inf, ""
        for who, p in self.people.items():
            if who == put.actor:
                continue
            m = np.abs(p.times - put.time) <= BROUGHT_SECONDS
            for px, py in zip(p.xs[m], p.ys[m]):
                d = float(np.hypot(px - x, py - y))
                if d < best and self.room_at(float(px), float(py)) == room:
                    best, name = d, who
        return name

    def _place(self, act: Action) -> tuple[float, float] | None:
        """Where a put (pick) left (took) its thing: the resting place it began (ended), else its furniture."""
        thing = self.things.get(act.target)
        if thing is not None:
            stays = ([s for s in thing.stays if s.start >= act.time - 1.0] if act.kind != "pick"
                     else [s for s in thing.stays if s.end <= act.time + 1.0][::-1])
            if stays:
                return stays[0].x, stays[0].y
        f = next((f for f in self.furniture if self.furniture_name(f) == act.furniture), None)
        return (float(f.xs[0]), float(f.ys[0])) if f is not None else None

    # ----------------------------------------------------------------------------- openings
    def _opened_for(self, acts: list[Action]) -> list[Action]:
        """A container opened to take a thing out: a pick of a thing turning up carried at it after
        UNSEEN_GAP s out of sight, with no opening read about then, nor the container seen shut then (a
        container whose state perception reads, in view then: the thing was carried past it)."""
        out = []
        for a in acts:
            if a.kind != "pick" or not _closed(a.furniture) or a.target not in self.things:
                continue
            times = self.things[a.target].times
            if np.any((times < a.time) & (times >= a.time - UNSEEN_GAP)):
                continue  # in sight just before: not out of sight inside
            if any(o.kind == "open" and o.target == a.furniture and o.time - RESTING_SECONDS <= a.time
                   <= o.end + RESTING_SECONDS for o in acts):
                continue
            f = next((f for f in self.furniture if self.furniture_name(f) == a.furniture), None)
            if f is not None and f.opens is not None and np.any(np.abs(f.times - a.time) <= RESTING_SECONDS):
                continue  # its state was read then and said closed: carried past it, not taken out of it
            out.append(Action("open", a.time - 1.0, a.time, a.actor, a.furniture, witnessed=a.witnessed,
                              opened_seen=False, closed_seen=False, confidence=CONFIDENCE["opened_for"]))
        return out

    # --------------------------------------------------------------------------- confidence
    def _heard_cues(self) -> None:
        """Raise or lower each act's confidence by the lines heard about it (see the module's docstring)."""
        if not self.heard or not self.actions:
            return
        fix = Lexicon(list(self.things), heard=[h[2] for h in self.heard], rooms=[a.name for a in self.areas],
                      furniture=[f.name for f in self.furniture]).correct
        lines = [(s, e, fix(text).lower(), text, speaker.lower()) for s, e, text, speaker in self.heard]
        rooms = [a.name for a in self.areas]
        people = {p.lower() for p in self.people}
        self.actions = [replace(a, confidence=float(np.clip(a.confidence + self._cue(a, lines, rooms, people),
                                                            0.05, 0.95))) for a in self.actions]

    def _cue(self, act: Action, lines, rooms: list[str], people: set[str]) -> float:
        if act.kind not in ("put", "pick", "open", "enter", "handover"):
            return 0.0
        about = act.target.split(" ", 1)[-1] if act.kind == "open" else act.target  # a container by its label
        room = act.target if act.kind == "enter" else self._room_of(act)
        delta = 0.0
        for start, _, words, text, speaker in lines:
            asked = (act.kind == "handover" and speaker == act.to.lower()
                     and act.time - ASKED_BEFORE <= start < act.time)
            if not (act.time - CUE_BEFORE <= start <= act.end + CUE_AFTER or asked):
                continue
            if not re.search(rf"\b{re.escape(about.lower())}\b", words):
                continue
            elsewhere = [r for r in rooms if r != room and re.search(rf"\b{re.escape(r)}\b", words)]
            if act.kind in ("put", "handover") and room and elsewhere and not asked:
                delta -= LOWER  # said to be in another room
                continue
            to = (addressed(text) or "").lower()
            if act.kind == "handover" and to and to != act.to.lower() and to in people and not asked:
                delta -= LOWER  # handed to someone else by name
                continue
            delta += RAISE * (2 if speaker in (act.actor.lower(), act.to.lower()) else 1)
        return delta

    def _room_of(self, act: Action) -> str:
        place = self._place(act) if act.kind in ("put", "pick", "handover") else None
        return self.room_at(*place) if place is not None else ""


def _closed(furniture: str) -> bool:
    """Whether a piece of furniture (by the world's name) is a container that hides what is in it."""
    return any(furniture == c or furniture.endswith(" " + c) for c in CLOSED)

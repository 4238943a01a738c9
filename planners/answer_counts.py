"""The built-in answerer's rules for counts, durations, order and listings: how many times something was
seen, how long something lasted, whether one deed came before another (which of two came first), what
happened in a time window or near a place."""

from __future__ import annotations

import numpy as np

from planners.answer_base import AnswererBase
from planners.answer_helpers import _one_per_handling
from planners.entries import ENTER_GAP
from planners.question import Deed
from planners.time_phrases import clock_seconds, parse_time
from planners.world import VISIT_GAP, VISIT_RADIUS, WALKING_SPEED, Action


ENTRY_SEEN = 5.0  # seconds after an entry time named within which whoever was seen in the room then entered it


class CountAnswers(AnswererBase):
    """How many, how long, in which order, what in a window or near a place."""

    RULES: list[tuple[str, str]] = [  # (intent of planners/exemplars.py, the method answering it)
        ("count_open", "_count_open"), ("count_enter", "_count_enter"), ("count_pick", "_count_pick"),
        ("count_speak", "_count_speak"), ("open_duration", "_open_duration"), ("agent_stay", "_agent_stay"),
        ("person_stay", "_person_stay"), ("order", "_order"), ("order_choice", "_order_choice"), ("between", "_between"),
        ("near", "_near"),
    ]

    # ---------------------------------------------------------------------------- how many
    def _count(self, actions: list[Action], what: str):
        ev = [e for a in actions[-5:] for e in self.evidence(a.time, f"{a.actor or 'someone'} {what}")]
        return len(actions), "count", ev, ""

    def _count_open(self, now, furniture):
        # "seen someone open": an opening with nobody seen by it (not even a scrap of track) was a misread
        # state, or nobody was seen
        opens = [a for a in self._opens(furniture, now) if a.actor or (a.kind == "open" and a.witnessed)]
        return self._count(opens, f"opens the {furniture}")

    def _count_enter(self, now, actor, room):
        room = self._room(room)
        done = self._done_by(actor, self._actions("enter", now, lambda a: a.target == room))
        if done is None or room is None:  # nobody seen goes by that name (or no such room): no count of 0
            return None, "unknown", [], f"never saw {actor}" if done is None else "no such room on the map"
        entries, note = done
        if note:  # others' entries, any one of whom may be the person asked after: summed they count several people
            by: dict[str, list[Action]] = {}
            for a in entries:
                by.setdefault(a.actor, []).append(a)
            entries = max(by.values(), key=len, default=[])
        value, kind, ev, _ = self._count(entries, f"enters the {room}")
        return value, kind, ev, note

    def _count_pick(self, now, name):
        name = self._name(name, now)
        # a pick leaves a resting place: pauses while carried are no picks
        picks = self._actions("pick", now, lambda a: a.target == name and a.resting and a.witnessed)
        return self._count(_one_per_handling(picks), f"picks up the {name}")

    def _count_speak(self, now, speaker):
        lines = self._heard_from(speaker, now)
        if not lines and self._heard_maybe_from(speaker, now):  # voices nobody named may be theirs: not "0"
            return None, "unknown", [], f"no voice heard is known as {speaker}; voices nobody named may be theirs"
        ev = [e for h in lines[-5:] for e in self.evidence(h[0], f"{h[3]}: '{h[2]}'")]
        return len(lines), "count", ev, ""

    # ---------------------------------------------------------------------------- how long
    def _open_duration(self, now, furniture):
        opens = self._opens(furniture, now)
        if opens and opens[0].kind == "open":  # states read: the last opening whose closing was seen
            whole = [a for a in opens if a.closed_seen and a.end < now]
            if not whole:
                return None, "unknown", [], f"never saw the {furniture} both opened and closed"
            a = whole[-1]
            return round(a.end - a.time, 1), "duration", self.evidence(a.time, f"the {furniture} open"), ""
        if not opens:
            return None, "unknown", [], f"never saw the {furniture} opened"
        v = opens[-1]
        # open only while standing at it: not while walking into and out of the visit radius
        seconds = max(v.end - v.time - 2 * VISIT_RADIUS / WALKING_SPEED, 1.0)
        return round(seconds, 1), "duration", self.evidence(v.time, f"{v.actor} at the {furniture}"), ""

    def _agent_stay(self, now, room, when):
        t, room = clock_seconds(when), self._room(room)
        spans = [s for s in self.world.agent_rooms(now) if s[2] == room]
        if not spans:
            return None, "unknown", [], f"the camera was never in the {room}"
        start, end, _ = min(spans, key=lambda s: abs(s[0] - t))
        return round(end - start, 1), "duration", self.evidence(start, f"the camera in the {room}"), ""

    def _person_stay(self, now, actor, room, when):
        """How long the person stayed in the room from the entry time named: measured on their track
        (``_stay``); when their name was never learned, or their track shows no stay then (or was not seen at
        all for ENTER_GAP after it), on the track of whoever was seen in that room by that time (the question
        names the room and the time of the entry: the one seen there then is the one asked about, whatever they
        are called); nobody seen there then, the named track's bound (to when they were next seen elsewhere)."""
        t, person, room = clock_seconds(when), self._person(actor), self._room(room)
        if room is None:
            return None, "unknown", [], "no such room on the map"
        p = self.world.people.get(person)
        if p is not None:
            stay = self._stay(p, person, room, t, now)
            if stay is not None:
                return round(stay, 1), "duration", self.evidence(t, f"{actor} enters the {room}"), ""
        seen = self._seen_entering(room, t, now, exclude=person)
        stay = self._stay(p, person, room, t, now, unseen=True) if p is not None else None
        if seen is None and stay is not None:  # nobody seen there then: the named track's bound is all there is
            return round(stay, 1), "duration", self.evidence(t, f"{actor} enters the {room}"), \
                f"{actor} was not seen for long after: at most this long"
        if seen is None:
            note = f"never saw {actor} in the {room} then" if p is not None else f"never saw {actor}"
            return None, "unknown", [], note
        name, stay = seen
        return round(stay, 1), "duration", self.evidence(t, f"{name} (asked after as {actor}) enters the {room}"), \
            f"{actor}'s track is not known by that name: {name}, seen entering the {room} then"

    def _seen_entering(self, room: str, t: float, now: float, exclude: str | None) -> tuple[str, float] | None:
        """(name, stay) of the one person seen in ``room`` within ENTRY_SEEN seconds of the entry time t
        whose track shows a stay from t; None when nobody, or more than one such person, was."""
        found = []
        for name, p in self.world.people.items():
            if name == exclude:
                continue
            m = (p.times >= t - 2.0) & (p.times <= min(t + ENTRY_SEEN, now))
            if not any(self.world.room_at(x, y) == room for x, y in zip(p.xs[m], p.ys[m])):
                continue
            stay = self._stay(p, name, room, t, now)
            if stay is not None:
                found.append((name, stay))
        return found[0] if len(found) == 1 else None

    def _stay(self, p, person: str, room: str, t: float, now: float, unseen: bool = False) -> float | None:
        """From the entry time named to the person's entry into another room seen after their last
        sighting in this one (before they are next seen elsewhere), else to that last sighting (before
        they are seen elsewhere or unseen for long); when they are seen elsewhere before any sighting in
        this room, the stay went unseen and ends at the next room reached: when that is soon (ENTER_GAP), or
        ``unseen`` (then it is only the longest the stay can have been). None: not seen there then, or not
        seen at all for long after it."""
        m = (p.times < now) & (p.times >= t - 2.0)
        times = p.times[m]
        rooms = [self.world.room_at(x, y) for x, y in zip(p.xs[m], p.ys[m])]
        i = rooms.index(room) if room in rooms else len(rooms)
        away = [j for j in range(i) if times[j] > t + 1.0 and rooms[j] != room]  # (times named to the second)
        if len(away) < 2 and i == len(rooms):
            return None
        if len(away) >= 2:  # seen elsewhere twice after the entry, before any sighting in the room: it went unseen
            elsewhere = float(times[away[0]])
            if elsewhere - t > ENTER_GAP and not unseen:  # unseen for long after it: only a bound on the stay
                return None
            out = [a.time for a in self._actions("enter", now, lambda a: a.actor == person and a.target != room)
                   if t <= a.time <= elsewhere + 1.0]
            end = out[0] if out else elsewhere
            return max(end - t, 0.0)
        end = float(times[i])
        for j in range(i + 1, len(times)):
            if times[j] - end > VISIT_GAP * 3:
                break
            if rooms[j] == room:
                end = float(times[j])
            elif j + 1 < len(rooms) and rooms[j + 1] != room:
                break  # seen elsewhere twice: gone
        # the way out seen: the person's entry into another room after the last sighting in this one and
        # before they were next seen elsewhere, however long they stayed out of view in between (or just
        # after the last sighting, when never seen elsewhere)
        later = [times[j] for j in range(len(times) - 1)
                 if times[j] > end and rooms[j] != room and rooms[j + 1] != room]  # seen elsewhere twice
        elsewhere = float(later[0]) if later else end + 2.0
        out = [a.time for a in self._actions("enter", now, lambda a: a.actor == person and a.target != room)
               if end - 1.0 <= a.time <= elsewhere + 1.0]
        if out:
            end = out[0]
        return max(end - t, 0.0)

    # ------------------------------------------------------------------------------- order
    def _order(self, now, first: Deed, second: Deed, relation: str = "before"):
        """Whether the first deed came before (after) the second, from when each was done (``_when_done``):
        the likelier order, its chance the answer's confidence; unknown when neither is likelier. Two deeds
        each seen once by their doer are ordered by their times; one seen done by several people nobody named
        may be any of those acts; one never seen may have been done at any time before the question (so one
        seen early was likely first); docs/reasoning.md has what was tried."""
        acts = self._described(first, now), self._described(second, now)
        p = _earlier(_when_done(acts[0], now), _when_done(acts[1], now))
        seen = [(x[-1], d.text) for x, d in zip(acts, (first, second)) if x]
        evidence = [e for x, text in seen for e in self.evidence(x.time, text)]
        if all(len(x) == 1 for x in acts):
            told = ""
        elif seen:
            told = "; ".join(f"'{d.text}' was " + (f"seen done {len(x)} times, any of which may be it" if x
                                                   else "not seen")
                             for x, d in zip(acts, (first, second)) if len(x) != 1)
        else:
            told = "neither was seen"
        if p is None or abs(p - 0.5) < 1e-6:
            return None, "unknown", evidence, f"{told or 'seen at the same time'}: their order is not known"
        earlier = p > 0.5
        self._chance = max(p, 1.0 - p)
        note = f"{told}: the first came {'before' if earlier else 'after'} with a chance of {max(p, 1.0 - p):.2f}"
        return (earlier if relation == "before" else not earlier), "yes_no", evidence, note if told else ""

    def _order_choice(self, now, one: Deed, other: Deed, which: str = "first"):
        """Which of two deeds came first (last), as said in the question: the likelier by ``_order``'s
        reading of when each was done, its chance the answer's confidence; unknown when neither is likelier."""
        earlier, kind, evidence, note = self._order(now, one, other, "before")
        if earlier is None:
            return None, "unknown", evidence, note
        first, last = (one, other) if earlier else (other, one)
        return (first if which == "first" else last).text, "text", evidence, note

    def _described(self, deed: Deed, now: float) -> list[Action]:
        """The actions a deed of an order question may be, of its kind, on its thing (at its piece of
        furniture), its piece of furniture, or into its room: its doer's when seen done by them, else those
        of anyone who may be them (``_done_by``), else anyone's."""
        kind = {"put": "put", "pick": "pick", "open": "visit", "enter": "enter"}[deed.kind]
        named = list(deed.objects)
        if kind in ("put", "pick"):
            thing = next((s for s in named if s.kind in ("T", "N")), None)
            if thing is None:
                return []
            place = next((s for s in named if s is not thing and s.kind in ("F", "N")), None)
            name, furniture = self._name(thing.text, now), place.text if place is not None else ""
            cands = self._actions(kind, now, lambda x: x.target == name)
            better = [x for x in cands if (not furniture or self._furniture_matches(furniture, x.furniture))]
            if not better and furniture:
                better = self._from_stays(kind, name, furniture, now)
            if not better and furniture:
                better = self._lookalike_deed(kind, name, furniture, now)
        elif kind == "visit":
            target = next((s.text for s in named if s.kind in ("F", "N")), named[0].text)
            cands = self._opens(target, now)
            better = cands
        else:
            room = self._room(next((s.text for s in named if s.kind in ("R", "N")), named[0].text))
            cands = self._actions("enter", now, lambda x: x.target == room)
            better = cands
        done = self._done_by(deed.actor, better) if deed.actor else None
        return (done[0] if done is not None else []) or better or cands

    def _lookalike_deed(self, kind: str, name: str, furniture: str, now: float) -> list[Action]:
        """A put or pick at a piece of furniture done to a thing of the same label but another colour,
        when exactly one such thing was seen so (a colour misread under room light names one object
        twice); none when two or more could be meant."""
        label = name.split(" ", 1)[-1]
        found: dict[str, list[Action]] = {}
        for other in self.world.things:
            if other == name or other.split(" ", 1)[-1] != label:
                continue
            hits = [x for x in self._actions(kind, now, lambda x: x.target == other)
                    if self._furniture_matches(furniture, x.furniture)]
            hits = hits or self._from_stays(kind, other, furniture, now)
            if hits:
                found[other] = hits
        return next(iter(found.values())) if len(found) == 1 else []

    def _from_stays(self, kind: str, name: str, furniture: str, now: float) -> list[Action]:
        """A put or pick at a piece of furniture read off the thing's resting places when no move was
        seen as such: put = it first rests there (after resting elsewhere), pick = it last rests there
        before resting elsewhere."""
        thing = self.world.things.get(name)
        if thing is None:
            return []
        stays = [st for st in thing.stays if st.start < now]
        out = []
        for i, st in enumerate(stays):
            if not self._furniture_matches(furniture, self.world.furniture_near(st.x, st.y)):
                continue
            if kind == "put" and i > 0:
                out.append(Action("put", st.start, st.start, "", name, furniture))
            elif kind == "pick" and i + 1 < len(stays):
                out.append(Action("pick", st.end, st.end, "", name, furniture))
        if not out and kind == "put" and stays and self._furniture_matches(
                furniture, self.world.furniture_near(stays[0].x, stays[0].y)):
            out.append(Action("put", stays[0].start, stays[0].start, "", name, furniture))  # seen put there first
        return out

    def _between(self, now):
        window = parse_time(self._question, now)
        if self.retriever is None or window.start is None:
            return None, "unknown", [], "no time window or no retriever"
        hits = self.retriever.between(window.start, min(window.end, now) if window.end is not None else now)
        return self._listing(hits, f"between {window.start:g} s and {window.end:g} s")

    def _near(self, now, x, y):
        if self.retriever is None:
            return None, "unknown", [], "no retriever"
        hits = [h for h in self.retriever.near(float(x), float(y), end=now)]
        return self._listing(sorted(hits, key=lambda h: h.event), f"near ({x}, {y})")

    def _listing(self, hits, where: str):
        if not hits:
            return None, "unknown", [], f"nothing in memory {where}"
        evidence = self.retriever.evidence(hits[:20], where, until=self._now)
        return [h.event for h in hits], "events", evidence, ""


def _earlier(first: np.ndarray | None, second: np.ndarray | None) -> float | None:
    """The chance that a deed with chances ``first`` over whole seconds was done before one with ``second``
    (one second each: a tie counts half); None when either is not known."""
    if first is None or second is None or len(first) != len(second):
        return None
    later = np.cumsum(second[::-1])[::-1]  # chance the second was done in this second or after
    after = np.append(later[1:], 0.0)
    return float(np.sum(first * (after + 0.5 * second)))


def _when_done(acts: list[Action], now: float) -> np.ndarray | None:
    """Chances over the whole seconds before ``now`` that the deed was done in each: any of the acts seen
    that may be it, evenly; none seen, any second (a deed goes unseen as often in the camera's room, where
    a door or a back hides it, as elsewhere)."""
    if now <= 0 or not np.isfinite(now):
        return None
    bins = np.zeros(int(np.ceil(now)))
    if acts:
        for act in acts:
            bins[min(int(act.time), len(bins) - 1)] += 1.0 / len(acts)
        return bins
    return np.full(len(bins), 1.0 / len(bins))

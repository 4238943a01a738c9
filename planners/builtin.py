"""The built-in answerer: no LLM, rules over the perceived world (planners/world.py) and the events.

It recognises the question forms of the simulator's generator and the common time phrases,
resolves things and people by name, answers from what perception logged before the moment the
question is asked, and says "I don't know" (with the closest evidence) rather than guessing: of
two events asked about in order, when only one was recognised, the order is not known.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import OrderedDict
from typing import Callable

import numpy as np

from planners.answer import UNKNOWN_TEXT, Answer, Evidence
from planners.lexicon import ARTICLES, COMMON, Lexicon
from planners.seen import sightings_of, wanted
from planners.time_phrases import clock_seconds, parse_time
from planners.world import HANDOVER, VISIT_GAP, VISIT_RADIUS, WALKING_SPEED, Action, World

logger = logging.getLogger(__name__)

_T = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
WHAT_SAID_MATCH = 0.8  # weighted share of a topic's words a line must hold to be about it
SPOKE_NEAR = 15.0  # seconds from a time given for X's line ("what X asked about at 10:02") the line may begin
SAID_AT = 3.0  # ... and a line in another voice may begin (diarisation may have given X's line to it)
SPOKEN_MATCH = 0.7  # similarity of each word of a name to the heard word it stands for
PICK_SECONDS = 5.0  # seconds within which two picks of one thing are one handling, seen twice
WORLDS = 4  # worlds cut at questions' times kept (least recently used dropped): questions at one time share one


class BuiltinAnswerer:
    """Answers questions over one memory store; ``world`` is rebuilt by the caller when memory grows."""

    name = "builtin"

    def __init__(self, store, world: World | None = None, retriever=None, worlds: int = WORLDS) -> None:
        self.store = store
        self.world = world if world is not None else World(store)
        self.retriever = retriever  # a planners.retrieval.Retriever for time-window and position listings
        if not (isinstance(worlds, int) and worlds >= 0):
            raise ValueError(f"worlds={worlds!r}: expected a number of cut worlds to keep, >= 0")
        self._worlds = worlds
        self._cuts: OrderedDict[float, BuiltinAnswerer] = OrderedDict()  # answerers over worlds cut at a time
        self._now = float("inf")  # the time of the question being answered
        self._rules: list[tuple[re.Pattern, Callable]] = [(re.compile(p, re.I), f) for p, f in [
            (r"^where was the (.+?) at " + _T + r"\??$", self._where_at),
            (r"^where is the thing (\w+) asked (\w+) to bring\??$", self._requested),
            (r"^where is the object you last saw (\w+) put down\??$", self._last_put_object),
            (r"^where is the thing (\w+) (?:asked|talked) about at " + _T + r" now\??$", self._mentioned_where),
            (r"^who last moved the thing (\w+) (?:asked|talked) about at " + _T + r"\??$", self._mentioned_mover),
            (r"^in which room was the (.+?) when (\w+) talked about it at " + _T + r"\??$", self._mentioned_room),
            (r"^where is the (.+?)(?: now)?\??$", self._where_now),
            (r"^when did you (first|last) see (\w+) enter the (.+?)\??$", self._when_enter),
            (r"^when did you (first|last) see someone open the (.+?)\??$", self._when_open),
            (r"^when did you (first|last) see someone put down the (.+?)\??$", self._when_put),
            (r"^when did you first see the (.+?)\??$", self._first_seen),
            (r"^when did you (first|last) see (.+?)\??$", self._seen_when),
            (r"^who last put the (.+?) (?:on|in|under|at|inside|into|onto) the (.+?)\??$", self._who_put),
            (r"^who last opened the (.+?)\??$", self._who_opened),
            (r"^who said \"(.+)\"\??$", self._who_said),
            (r"^what did (\w+) (?:last )?say about the (.+?)\??$", self._what_said),
            (r"^how many times did you see someone open the (.+?)\??$", self._count_open),
            (r"^how many times did you see (\w+) enter the (.+?)\??$", self._count_enter),
            (r"^how many times did you see someone pick up the (.+?)\??$", self._count_pick),
            (r"^how many times did you hear (\w+) speak\??$", self._count_speak),
            (r"^the last time you saw the (.+?) opened, how long did it stay open\??$", self._open_duration),
            (r"^how long did you stay in the (.+?) after entering it at " + _T + r"\??$", self._agent_stay),
            (r"^how long did (\w+) stay in the (.+?) after entering it at " + _T + r"\??$", self._person_stay),
            (r"^did (.+) before (.+?)\??$", self._order),
            (r"^what (?:happened|did you see) between .+$", self._between),
            (r"^what (?:was seen|did you see|happened) near \(?(-?[\d.]+),\s*(-?[\d.]+)\)?\??$", self._near),
        ]]

    # ------------------------------------------------------------------------------- entry
    def answer(self, question: str, at: float | None = None) -> Answer:
        """Answer ``question`` as asked at media time ``at`` (default: the end of memory), from what was
        perceived up to then only (the world cut at ``at``)."""
        now = self._end() if at is None else float(at)
        if now != now:
            raise ValueError(f"at={at!r}: expected a media time in seconds, not NaN")
        return self.cut(now)._answer(question, now)

    def cut(self, now: float) -> "BuiltinAnswerer":
        """The answerer over the world as perceived up to ``now``: this one when its world holds nothing
        later, else one over a world built from memory cut at ``now`` (the last WORLDS kept)."""
        if now >= self.world.last:
            return self
        view = self._cuts.pop(now, None)
        if view is None:
            world = World(self.store, until=now, drift=self.world.drift)
            view = BuiltinAnswerer(self.store, world, self.retriever, worlds=0)
        self._cuts[now] = view
        while len(self._cuts) > self._worlds:
            self._cuts.popitem(last=False)
        return view

    def _answer(self, question: str, now: float) -> Answer:
        text = " ".join(question.strip().split())
        self._question, self._now = text, now
        for pattern, rule in self._rules:
            m = pattern.match(text)
            if m:
                try:
                    value, kind, evidence, note = rule(now, *m.groups())
                except (ValueError, KeyError, IndexError) as exc:
                    logger.debug("rule %s failed on %r: %s", rule.__name__, text, exc)
                    value, kind, evidence, note = None, "unknown", [], str(exc)
                return self._finish(question, now, value, kind, evidence, rule.__name__, note)
        return self._finish(question, now, None, "unknown", self._closest(text, now), "none",
                            "no rule understands this question")

    def __call__(self, question: str, at: float | None = None) -> Answer:
        return self.answer(question, at)

    def _finish(self, question, now, value, kind, evidence, rule, note) -> Answer:
        known = value is not None and kind != "unknown"
        if not known:
            kind = "unknown"
        words = _words(value, kind) if known else UNKNOWN_TEXT
        confidence = (0.8 if evidence else 0.5) if known else 0.0
        return Answer(question, words, value if known else None, kind, confidence, tuple(evidence), now, self.name,
                      {"rule": rule, "note": note})

    def _end(self) -> float:
        """The end of memory: its last event's end, or its last perception's when later; inf when empty."""
        rows = self.store._conn.execute('SELECT "end" FROM events ORDER BY id DESC LIMIT 1').fetchone()
        ends = [float(rows[0])] if rows and rows[0] is not None else []
        return max(ends + [self.world.last]) if ends or self.world.last > float("-inf") else float("inf")

    # ---------------------------------------------------------------------------- evidence
    def evidence(self, t: float, note: str, score: float = 1.0, entities: tuple[str, ...] = (),
                 place: str | None = None) -> list[Evidence]:
        """The stored event that holds media time t, as evidence: cut at the question's time (its text
        left out when it runs on past it: what was said then was not yet heard); none for a later t."""
        c = self.store._conn
        now = self._now
        if t > now:
            return []
        if self.world.stream is not None:  # the (stream, start) index answers this at any size
            row = c.execute('SELECT id, stream, start, "end", text FROM events WHERE stream = ? AND start <= ? '
                            "ORDER BY start DESC LIMIT 1", (self.world.stream, t)).fetchone()
        else:
            row = c.execute('SELECT id, stream, start, "end", text FROM events WHERE start <= ? AND "end" > ? '
                            "ORDER BY start DESC LIMIT 1", (t, t)).fetchone()
        if row is None or row[3] < t:
            return []
        event, stream, start, end, text = row
        has_keyframe = c.execute("SELECT 1 FROM keyframes WHERE event_id = ? LIMIT 1", (event,)).fetchone()
        keyframe = str(self.store.keyframe_path(event, 0)) if has_keyframe else None
        if place is None:
            place = self.world.agent_room(t) or None  # where the camera was: where it happened
        running = float(end) > now
        return [Evidence(int(event), stream, float(start), min(float(end), now), float(score), keyframe, entities,
                         place, "" if running else (text or "")[:200], note)]

    def _closest(self, text: str, now: float) -> list[Evidence]:
        """Lines heard before now that share most words with the question: the closest evidence."""
        words = set(re.findall(r"\w+", text.lower()))
        scored = sorted(((len(words & set(re.findall(r"\w+", h[2].lower()))), h) for h in self.world.heard
                         if h[0] < now), key=lambda x: -x[0])
        out = []
        for n, h in scored[:2]:
            if n:
                out += self.evidence(h[0], f"{h[3]}: '{h[2]}'", score=n / max(len(words), 1))
        return out

    # ------------------------------------------------------------------------------ resolve
    def _thing(self, name: str, now: float):
        """The thing of that name; else, when people spoke of a thing of that name before ``now`` (so it
        exists), the one thing of that label whose colour reads like it: colour is read from pixels and
        slips between neighbours such as pink/red, green/grey. A name nobody saw or spoke of is no thing:
        such questions ask after things that are not there."""
        name = _clean(name)
        if name in self.world.things:
            return self.world.things[name]
        near = self._lookalike(name)
        return near if near is not None and self._spoken_of(name, now) else None

    def _lookalike(self, name: str):
        """The one perceived thing of that label whose colour is a neighbour of the name's, if exactly one."""
        parts = _clean(name).split()
        if len(parts) < 2:
            return None
        colour, label = parts[0], " ".join(parts[1:])
        near = [t for n, t in self.world.things.items() if n.split(" ", 1)[-1] == label
                and n.split(" ", 1)[0] in _CONFUSABLE.get(colour, ())]
        return near[0] if len(near) == 1 else None

    def _spoken_of(self, name: str, now: float) -> bool:
        """Whether a line heard before ``now`` names the thing, each word allowed a recognition slip
        ("screen keys")."""
        if getattr(self, "_heard_words", None) is None:  # the world is fixed for this answerer's life
            self._heard_words = [(h[0], re.findall(r"[a-z]+", h[2].lower())) for h in self.world.heard]
        want = name.split()
        for start, words in self._heard_words:
            if start >= now:
                continue
            for i in range(len(words) - len(want) + 1):
                if all(difflib.SequenceMatcher(None, a, b).ratio() >= SPOKEN_MATCH for a, b in zip(want, words[i:])):
                    return True
        return False

    def _not_seen(self, name: str, now: float, note: str):
        """"I don't know" about a thing, with the look-alike that was seen as the closest evidence."""
        near = self._lookalike(name)
        stay = self.world.stay_at(near, now) if near is not None else None
        if stay is None:
            return None, "unknown", [], note
        return None, "unknown", self.evidence(min(stay.end, now), f"the closest: the {near.name} in the {stay.room}",
                                              entities=(near.name,)), f"{note}; the closest seen: the {near.name}"

    def _person(self, name: str) -> str | None:
        """A person by name; a name never heard goes to the one person seen often whose name was never
        learned (elimination), when there is exactly one."""
        people = list(self.world.people) + sorted({h[3] for h in self.world.heard if h[3]})
        match = difflib.get_close_matches(name, people, n=1, cutoff=0.75)
        if match:
            return match[0]
        unnamed = [n for n, p in self.world.people.items() if n.startswith("person ") and len(p.times) >= 50]
        return unnamed[0] if len(unnamed) == 1 else None

    def _room(self, name: str) -> str | None:
        rooms = [a.name for a in self.world.areas]
        match = difflib.get_close_matches(_clean(name), rooms, n=1, cutoff=0.8)
        return match[0] if match else None

    def _furniture_matches(self, name: str, actual: str) -> bool:
        name, actual = _clean(name), _clean(actual)
        return bool(actual) and (name == actual or name.endswith(" " + actual) or actual.endswith(" " + name))

    def _name(self, name: str, now: float) -> str:
        """The perceived thing's name for a name in a question (colour slips allowed)."""
        thing = self._thing(name, now)
        return thing.name if thing is not None else _clean(name)

    def _actions(self, kind: str, now: float, pred=lambda a: True) -> list[Action]:
        return [a for a in self.world.actions if a.kind == kind and a.time < now and a.known < now and pred(a)]

    # ------------------------------------------------------------------------------- where
    def _where_now(self, now, name):
        thing = self._thing(name, now)
        stay = self.world.stay_at(thing, now) if thing else None
        if stay is None:
            return self._not_seen(name, now, f"the {name} was not seen before")
        return stay.room, "room", self.evidence(min(stay.end, now), f"the {name} in the {stay.room}",
                                                entities=(thing.name,)), ""

    def _where_at(self, now, name, when):
        t = clock_seconds(when)
        thing = self._thing(name, now)
        stay = self.world.stay_at(thing, min(t + 1.0, now)) if thing else None
        if stay is None:
            return self._not_seen(name, min(t + 1.0, now), f"the {name} was not seen by {when}")
        return stay.room, "room", self.evidence(stay.start, f"the {name} in the {stay.room}",
                                                entities=(thing.name,)), ""

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

    def _heard_from(self, speaker: str, now: float):
        voices = sorted({h[3] for h in self.world.heard if h[3]})
        match = difflib.get_close_matches(speaker, voices, n=1, cutoff=0.75)
        if not match:
            return []  # never heard this voice
        # a line calling the voice's own name ("Bob, ...") was said to them: diarisation gave it to the wrong voice
        return [h for h in self.world.heard if h[0] < now and h[3] == match[0] and not _spoken_to(h[2], match[0])]

    def _requested(self, now, speaker, addressee):
        """Where the thing is that the speaker asked the addressee to bring: the latest request of the
        speaker's spoken to the addressee ("Alice, could you bring ..."), else any of the speaker's; else,
        as diarisation now and then gives a line to the wrong voice, a request spoken to the addressee
        in another voice. A request whose thing was handed to the speaker after ("Bob, here is the X")
        is the speaker's, in whatever voice it was heard."""
        heard = [h for h in self.world.heard if h[0] < now]
        asks = [h for h in heard if re.search(r"\b(bring|fetch|get)\b", h[2].lower())]
        voice = {h[3] for h in self._heard_from(speaker, now)}
        if not voice:
            return None, "unknown", [], f"never heard {speaker} speak"
        spoken_to = [h for h in asks if _spoken_to(h[2], addressee)]
        handed = {self._object_in(h[2]) for h in heard
                  if _spoken_to(h[2], speaker) and HANDOVER.search(h[2])} - {None}
        theirs = [h for h in spoken_to if h[3] in voice or self._object_in(h[2]) in handed]
        for tier in (theirs, [h for h in asks if h[3] in voice], spoken_to):
            for h in reversed(tier):
                name = self._object_in(h[2])
                if name:
                    value, kind, ev, note = self._where_now(now, name)
                    return value, kind, self.evidence(h[0], f"{h[3]}: '{h[2]}'") + ev, note
        return None, "unknown", [], "no request heard"

    def _last_put_object(self, now, actor):
        person = self._person(actor)
        puts = self._actions("put", now, lambda a: a.actor == person)
        if not puts:
            return None, "unknown", [], f"never saw {actor} put anything down"
        value, kind, ev, note = self._where_now(now, puts[-1].target)
        return value, kind, self.evidence(puts[-1].time, f"{actor} puts the {puts[-1].target} down") + ev, note

    def _mentioned(self, speaker, when, now):
        """(thing, line) of the speaker's line nearest the time that names a thing; else, when the
        speaker was heard at all, of a line in another voice begun within SAID_AT seconds of it (the
        time names the line: diarisation may have given it to the wrong voice)."""
        t = clock_seconds(when)
        own = self._heard_from(speaker, now)
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
        return a.time, "time", self.evidence(a.time, f"{a.actor or 'someone'} {a.kind} {a.target}"), ""

    def _when_enter(self, now, which, actor, room):
        person, room = self._person(actor), self._room(room)
        return self._pick(self._actions("enter", now, lambda a: a.actor == person and a.target == room), which,
                          f"{actor} enter the {room}")

    def _visits(self, furniture: str, now: float) -> list[Action]:
        return self._actions("visit", now, lambda a: self._furniture_matches(furniture, a.target))

    def _opens(self, furniture: str, now: float) -> list[Action]:
        """Openings of a piece of furniture seen before ``now``: from the open/closed states perception
        read on it when it read any (planners/opens.py; one that came into view already open counts:
        it came into view as it was opened, or nearly), else visits (someone lingering at it)."""
        pieces = [f for f in self.world.furniture if self._furniture_matches(furniture, self.world.furniture_name(f))]
        if any(f.opens is not None for f in pieces):
            return self._actions("open", now, lambda a: self._furniture_matches(furniture, a.target))
        return self._visits(furniture, now)

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
        if not len(seen):
            if not (self.world.things or self.world.people):  # no map of things (a plain video): any sighting
                return self._seen_when(now, "first", name)
            return None, "unknown", [], f"the {name} was never seen"
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

    # --------------------------------------------------------------------------------- who
    def _who_put(self, now, name, furniture):
        name = self._name(name, now)
        puts = self._actions("put", now, lambda a: a.target == name and a.actor)
        puts = [a for a in puts if self._furniture_matches(furniture, a.furniture)] or puts
        puts = _seen_first([a for a in puts if a.resting] or puts)  # pauses while carried are no puts
        if not puts:
            return None, "unknown", [], f"never saw anyone put the {name} down"
        a = puts[-1]
        return a.actor, "person", self.evidence(a.time, f"{a.actor} puts the {name} down", entities=(a.actor, name)), ""

    def _who_opened(self, now, furniture):
        opens = [a for a in self._opens(furniture, now) if a.actor]
        if not opens:
            return None, "unknown", [], f"never saw anyone open the {furniture}"
        a = opens[-1]
        return a.actor, "person", self.evidence(a.time, f"{a.actor} at the {furniture}", entities=(a.actor,)), ""

    def _who_said(self, now, quote):
        quote = quote.lower()
        scored = [(difflib.SequenceMatcher(None, quote, h[2].lower()).ratio(), h) for h in self.world.heard
                  if h[0] < now]
        if not scored:
            return None, "unknown", [], "nothing heard"
        ratio, h = max(scored, key=lambda x: x[0])
        if ratio < 0.5 or not h[3]:
            return None, "unknown", self.evidence(h[0], f"{h[3]}: '{h[2]}'", ratio), "no line like that was heard"
        return h[3], "person", self.evidence(h[0], f"{h[3]}: '{h[2]}'", ratio, entities=(h[3],)), ""

    def _what_said(self, now, speaker, topic):
        """The latest line of the speaker about the topic, topic words weighted by how rare they are
        among the lines heard (so "dining" counts more than "room"), misheard words put right with the
        house's words (planners/lexicon.py) and matched loosely."""
        fix = self._lexicon().correct
        lines = [(h, fix(h[2])) for h in self._heard_from(speaker, now)]
        topic_words = _clean(topic).split()
        every = [re.findall(r"[a-z]+", fix(h[2]).lower()) for h in self.world.heard]
        weights = [1.0 / (1.0 + sum(_best(p, ws) >= 0.8 for ws in every)) for p in topic_words]
        scored = []
        for h, text in lines:
            words = re.findall(r"[a-z]+", text.lower())
            score = sum(w * _best(p, words) for p, w in zip(topic_words, weights)) / sum(weights)
            if score >= WHAT_SAID_MATCH:
                scored.append((score, h, text))
        if not scored and len(topic_words) > 1:  # the recogniser may have dropped the colour (the label): the
            colours = {n.split()[0] for n in self.world.things if " " in n}  # thing's label (colour) alone in the
            labels = {n.split()[-1] for n in self.world.things}
            places = frozenset(w for n in [f.name for f in self.world.furniture] + [a.name for a in self.world.areas]
                               for w in n.split())
            scored = [(max(_bare_kind(topic_words[-1], text, colours, labels, places),  # speaker's lines, not
                           _bare_colour(topic_words[0], text)), h, text)  # said of another colour (label)
                      for h, text in lines]
            scored = [x for x in scored if x[0] >= WHAT_SAID_MATCH]
        if not scored:
            return None, "unknown", [], f"never heard {speaker} speak of the {topic}"
        top = max(score for score, *_ in scored)
        _, h, text = [x for x in scored if x[0] >= top - 0.1][-1]
        return text, "text", self.evidence(h[0], f"{h[3]}: '{h[2]}'"), ""

    def _lexicon(self) -> Lexicon:
        """The house's words: things' colours and labels, furniture, rooms and voices, built once."""
        if getattr(self, "_house_words", None) is None:
            w = self.world
            self._house_words = Lexicon(list(w.things) + [h[3] for h in w.heard if h[3]], heard=[h[2] for h in w.heard],
                                        rooms=[a.name for a in w.areas], furniture=[f.name for f in w.furniture])
        return self._house_words

    # ---------------------------------------------------------------------------- how many
    def _count(self, actions: list[Action], what: str):
        ev = [e for a in actions[-5:] for e in self.evidence(a.time, f"{a.actor or 'someone'} {what}")]
        return len(actions), "count", ev, ""

    def _count_open(self, now, furniture):
        # "seen someone open": an opening with nobody seen by it was a misread state, or nobody was seen
        opens = [a for a in self._opens(furniture, now) if a.actor]
        return self._count(opens, f"opens the {furniture}")

    def _count_enter(self, now, actor, room):
        person, room = self._person(actor), self._room(room)
        return self._count(self._actions("enter", now, lambda a: a.actor == person and a.target == room),
                           f"enters the {room}")

    def _count_pick(self, now, name):
        name = self._name(name, now)
        # a pick leaves a resting place: pauses while carried are no picks
        picks = self._actions("pick", now, lambda a: a.target == name and a.resting and a.witnessed)
        return self._count(_one_per_handling(picks), f"picks up the {name}")

    def _count_speak(self, now, speaker):
        lines = self._heard_from(speaker, now)
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
        """From the entry time named to the person's entry into another room seen after their last
        sighting in this one (before they are next seen elsewhere), else to that last sighting (before
        they are seen elsewhere or unseen for long); when they are seen elsewhere before any sighting in
        this room, the stay went unseen and ends at the next room reached."""
        t, person, room = clock_seconds(when), self._person(actor), self._room(room)
        p = self.world.people.get(person)
        if p is None:
            return None, "unknown", [], f"never saw {actor}"
        m = (p.times < now) & (p.times >= t - 2.0)
        times = p.times[m]
        rooms = [self.world.room_at(x, y) for x, y in zip(p.xs[m], p.ys[m])]
        i = rooms.index(room) if room in rooms else len(rooms)
        away = [j for j in range(i) if times[j] > t + 1.0 and rooms[j] != room]  # (times named to the second)
        if len(away) < 2 and i == len(rooms):
            return None, "unknown", [], f"never saw {actor} in the {room} then"
        if len(away) >= 2:  # seen elsewhere twice after the entry, before any sighting in the room: it went unseen
            elsewhere = float(times[away[0]])
            out = [a.time for a in self._actions("enter", now, lambda a: a.actor == person and a.target != room)
                   if t <= a.time <= elsewhere + 1.0]
            end = out[0] if out else elsewhere
            return round(max(end - t, 0.0), 1), "duration", self.evidence(t, f"{actor} enters the {room}"), ""
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
        return round(max(end - t, 0.0), 1), "duration", self.evidence(t, f"{actor} enters the {room}"), ""

    # ------------------------------------------------------------------------------- order
    def _order(self, now, first, second):
        a, b = self._described(first, now), self._described(second, now)
        if a is None and b is None:
            return None, "unknown", [], "neither was seen"
        if a is None or b is None:  # only one of them recognised: no evidence for an order, say so
            seen, which = (a, first) if a is not None else (b, second)
            return None, "unknown", self.evidence(seen.time, which), \
                f"only '{which}' was recognised; the other was not, so their order is not known"
        return bool(a.time < b.time), "yes_no", (self.evidence(a.time, first) + self.evidence(b.time, second)), ""

    def _described(self, text: str, now: float) -> Action | None:
        m = re.match(r"(\w+) (put|take|took|open|opened|enter|entered) the (.+)$", text.strip(), re.I)
        if not m:
            return None
        actor, verb, rest = self._person(m.group(1)), m.group(2).lower(), m.group(3)
        kind = {"put": "put", "take": "pick", "took": "pick", "open": "visit", "opened": "visit",
                "enter": "enter", "entered": "enter"}[verb]
        if kind in ("put", "pick"):
            parts = re.split(r" (?:on|in|under|at|inside|into|onto|from) the ", rest, maxsplit=1)
            name, furniture = self._name(parts[0], now), parts[1] if len(parts) > 1 else ""
            cands = self._actions(kind, now, lambda x: x.target == name)
            better = [x for x in cands if (not furniture or self._furniture_matches(furniture, x.furniture))]
            if not better and furniture:
                better = self._from_stays(kind, name, furniture, now)
            if not better and furniture:
                better = self._lookalike_deed(kind, name, furniture, now)
        elif kind == "visit":
            cands = self._opens(rest, now)
            better = cands
        else:
            room = self._room(rest)
            cands = self._actions("enter", now, lambda x: x.target == room)
            better = cands
        best = [x for x in better if x.actor == actor] or better or cands
        return best[0] if len(best) == 1 else (best[-1] if best else None)

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


def _bare_kind(kind: str, text: str, colours: set[str], labels: set[str],
               places: frozenset[str] = frozenset()) -> float:
    """How well a word of ``text`` matches ``kind`` ("mug") where no colour stands before it (then the
    line speaks of another thing: "the black mug") and no label after it (then it is a colour: "the
    orange plate"); 0 when none does."""
    words = re.findall(r"[a-z]+", text.lower())
    best = 0.0
    for i, word in enumerate(words):
        if (i and words[i - 1] in colours) or (i + 1 < len(words) and words[i + 1] in labels):
            continue
        if word in places and word != kind:
            continue  # "the coffee table" is furniture, not a misheard "tablet"
        best = max(best, _best(kind, [word]))
    return best


def _bare_colour(colour: str, text: str) -> float:
    """1.0 when ``colour`` stands in ``text`` after an article and before no word but a common one, or
    none ("has anyone seen the purple", "the purple looks a bit broken": the recogniser dropped the
    thing's label); 0 otherwise ("the purple mug", "the teal orange")."""
    words = re.findall(r"[a-z']+", text.lower())
    return float(any(w == colour and i and words[i - 1] in ARTICLES and (i + 1 == len(words) or words[i + 1] in COMMON)
                     for i, w in enumerate(words)))


_CONFUSABLE = {  # colours read from pixels slip between these under room light
    "pink": ("red", "purple"), "red": ("pink", "brown"), "green": ("grey", "teal"), "grey": ("green", "white"),
    "orange": ("brown", "red", "yellow"), "brown": ("orange", "grey"), "blue": ("black", "teal"),
    "black": ("blue", "grey"), "white": ("grey",), "purple": ("pink", "blue"), "teal": ("green", "blue"),
    "yellow": ("orange",)}


def _one_per_handling(picks: list[Action]) -> list[Action]:
    """Picks with those within PICK_SECONDS of the one before dropped: one pick seen both as the thing
    turning up carried and as its resting place's end (a thing is not picked twice in that time)."""
    out: list[Action] = []
    for a in picks:
        if not out or a.time - out[-1].time >= PICK_SECONDS:
            out.append(a)
    return out


def _seen_first(actions: list[Action]) -> list[Action]:
    """The actions seen as they happened, if any; else all (inferred from where things were seen)."""
    return [a for a in actions if a.witnessed] or actions


def _spoken_to(text: str, name: str) -> bool:
    """Whether a line begins by calling ``name`` ("Alice, could you ..."): spoken to them, not by them."""
    return re.match(rf"\W*{re.escape(name)}\s*,", text, re.IGNORECASE) is not None


def _best(word: str, words: list[str]) -> float:
    """How well the closest of ``words`` matches ``word`` (1.0: the same)."""
    return max((difflib.SequenceMatcher(None, word, w).ratio() for w in words), default=0.0)


def _clean(text: str) -> str:
    text = text.strip().lower().rstrip("?.!")
    return re.sub(r"^(the|a|an)\s+", "", text)


def _words(value, kind: str) -> str:
    if kind == "events":
        more = " ..." if len(value) > 10 else ""
        return f"{len(value)} events: " + ", ".join(f"event:{e}" for e in value[:10]) + more
    if kind == "time":
        s = int(round(float(value)))
        return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    if kind == "duration":
        return f"{float(value):.0f} seconds"
    if kind == "yes_no":
        return "yes" if value else "no"
    return str(value)


__all__ = ["BuiltinAnswerer", "parse_time"]

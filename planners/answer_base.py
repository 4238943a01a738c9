"""The built-in answerer's shared plumbing: its entry (a question parsed into a structured query by
planners/question.py, whose intent picks the method answering it, over the world cut at the question's time),
evidence, and the resolution of things, people, rooms and furniture named in questions. The methods are the
parts' (planners/answer_where.py, planners/answer_who.py, planners/answer_counts.py); planners/builtin.py
composes them."""

from __future__ import annotations

import difflib
import logging
import re
from collections import OrderedDict
from typing import Callable

import numpy as np

from memory import lookups
from planners.answer import UNKNOWN_TEXT, Answer, Evidence, pose_dict
from planners.addressing import VOICE_LABEL, same_name as _same_name
from planners.answer_helpers import _CONFUSABLE, UNNAMED, _clean, _spoken_to, _words
from planners.lexicon import Lexicon
from planners.question import Anchor, Exemplars, Names, Query, at_moment, at_time, parse
from planners.time_phrases import clock_seconds
from planners.world import Action, World

logger = logging.getLogger("planners.builtin")  # the answerer's log, as before its split

_T = r"(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"  # a clock time in a question: 10:02, 00:10:02, 00:10:02.5
SPOKEN_MATCH = 0.7  # similarity of each word of a name to the heard word it stands for
ROOM_EDGE = 1.0  # metres outside a room within which a piece of furniture named by that room may stand
ELIMINATION_SECONDS = 10  # seconds in view (50 sightings at the 5 Hz it was set at) from which the only person
# nobody named is the one a name never heard names
WORLDS = 4  # worlds cut at questions' times kept (least recently used dropped): questions at one time share one
MOMENT_NEAR = 2.0  # seconds before or after a moment a question names for "just before" / "right after" it


class AnswererBase:
    """Answers questions over one memory store by the rules of ``RULES`` (the parts' and the composed
    class's); ``world`` is rebuilt by the caller when memory grows."""

    name = "builtin"
    RULES: list[tuple[str, str]] = []  # (intent of planners/exemplars.py, the method answering it)

    def __init__(self, store, world: World | None = None, retriever=None, worlds: int = WORLDS) -> None:
        self.store = store
        self.world = world if world is not None else World(store)
        self.retriever = retriever  # a planners.retrieval.Retriever for time-window and position listings
        if not (isinstance(worlds, int) and worlds >= 0):
            raise ValueError(f"worlds={worlds!r}: expected a number of cut worlds to keep, >= 0")
        self._worlds = worlds
        self._cuts: OrderedDict[float, AnswererBase] = OrderedDict()  # answerers over worlds cut at a time
        self._now = float("inf")  # the time of the question being answered
        self._rules: dict[str, Callable] = {intent: getattr(self, f) for intent, f in self.RULES}

    # ------------------------------------------------------------------------------- entry
    def answer(self, question: str, at: float | None = None) -> Answer:
        """Answer ``question`` as asked at media time ``at`` (default: the end of memory), from what was
        perceived up to then only (the world cut at ``at``)."""
        now = self._end() if at is None else float(at)
        if now != now:
            raise ValueError(f"at={at!r}: expected a media time in seconds, not NaN")
        return self.cut(now)._answer(question, now)

    def cut(self, now: float) -> "AnswererBase":
        """The answerer over the world as perceived up to ``now``: this one when its world holds nothing
        later, else one of its class over a world built from memory cut at ``now`` (the last WORLDS kept)."""
        if now >= self.world.last:
            return self
        view = self._cuts.pop(now, None)
        if view is None:
            world = World(self.store, until=now, drift=self.world.drift)
            view = type(self)(self.store, world, self.retriever, worlds=0)
        self._cuts[now] = view
        while len(self._cuts) > self._worlds:
            self._cuts.popitem(last=False)
        return view

    def _answer(self, question: str, now: float) -> Answer:
        text = " ".join(question.strip().split())
        self._question, self._now = text, now
        self._chance = None  # a rule answering the likelier of two answers sets how likely (planners/answer_counts.py)
        query = parse(text, self._names(), self._exemplars())
        query = at_time(query, now) if query is not None else None
        if query is not None and any(clock_seconds(c) is None for c in query.of("C") if c):  # "2 min ago", no now
            return self._finish(question, now, None, "unknown", [], "none", "no media time for the time said")
        if query is not None and query.anchor is not None:  # "where was the mug when Alice opened the fridge?"
            moment = self._moment(query.anchor, now)
            if moment is None:
                return self._finish(question, now, None, "unknown", [], "moment", f"never saw {query.anchor.text}")
            query = at_moment(query, moment)
        rule = self._rules.get(query.intent) if query is not None else None
        if rule is not None:
            try:
                value, kind, evidence, note = rule(now, *self._arguments(query))
            except (ValueError, KeyError, IndexError) as exc:
                logger.debug("rule %s failed on %r: %s", rule.__name__, text, exc)
                value, kind, evidence, note = None, "unknown", [], str(exc)
            return self._finish(question, now, value, kind, evidence, rule.__name__, note)
        return self._finish(question, now, None, "unknown", self._closest(text, now), "none",
                            "no rule understands this question")

    def _moment(self, anchor: Anchor, now: float) -> float | None:
        """Media time of a moment a question names: the last time before ``now`` that the deed was seen done (as
        an order question reads a deed: planners/answer_counts.py ``_described``), or that the speaker (anyone,
        when none is said) was heard naming the topic; MOMENT_NEAR seconds before or after it for "just before"
        and "right after"; None when it was never seen or heard."""
        if anchor.deed is not None:
            times = sorted(a.time for a in self._described(anchor.deed, now) if a.time < now)
        else:
            name = self._name(anchor.topic or "", now)
            lines = (self._heard_maybe_from(anchor.speaker, now) if anchor.speaker
                     else [h for h in self.world.heard if h[0] < now])
            times = sorted(h[0] for h in lines if self._object_in(h[2]) == name)
        if not times:
            return None
        return times[-1] + {"before": -MOMENT_NEAR, "after": MOMENT_NEAR}.get(anchor.relation, 0.0)

    # ------------------------------------------------------------------------------ parsing
    def _names(self) -> Names:
        """The world's words for what questions name: things, people and voices, rooms, furniture."""
        if getattr(self, "_known_names", None) is None:
            w = self.world
            voices = {h[3] for h in w.heard if h[3] and not h[3].startswith("voice:")}
            people = sorted((set(w.people) | voices) - {""})
            furniture = sorted({w.furniture_name(f) for f in w.furniture} | {f.name for f in w.furniture})
            self._known_names = Names(tuple(w.things), tuple(people), tuple(a.name for a in w.areas),
                                      tuple(n for n in furniture if n))
        return self._known_names

    def _exemplars(self) -> Exemplars:
        """The exemplar questions, compared by the memory's text embedder (its first text space), else by
        word overlap (no embedder: a memory opened without the profile's encoders)."""
        embedders = getattr(self.retriever, "embedders", None) or {}
        spaces = [s for s in embedders if str(s).startswith("text/")]
        if spaces:
            return Exemplars(embedders[spaces[0]], spaces[0])
        return Exemplars()

    def _arguments(self, q: Query) -> tuple:
        """The method's arguments from the query's names, in the order the parts' methods take them."""
        names = [s for s in q.slots if s.kind in "TRFN"]

        def first(*kinds: str) -> str:
            for s in names:
                if s.kind in kinds:
                    names.remove(s)
                    return s.text
            raise ValueError(f"the question names no {'/'.join(kinds)}")

        people, clocks, which = q.of("P"), q.of("C"), q.which or "last"
        unique = list(dict.fromkeys(people))
        args = {
            "where_now": lambda: (first("T", "N"),), "where_at": lambda: (first("T", "N"), clocks[0]),
            "requested": lambda: q.roles or (unique[0], unique[1]), "last_put_object": lambda: (people[0],),
            "mentioned_where": lambda: (people[0], clocks[0]), "mentioned_mover": lambda: (people[0], clocks[0]),
            "mentioned_room": lambda: (first("T", "N"), people[0], clocks[0]),
            "when_enter": lambda: (which, people[0], first("R", "N")), "when_open": lambda: (which, first("F", "N")),
            "when_put": lambda: (which, first("T", "N")), "first_seen": lambda: (first("T", "N"),),
            "seen_when": lambda: (which, first("T", "N")),
            "who_put": lambda: (first("T", "N"), first("F", "N")), "who_opened": lambda: (first("F", "N"),),
            "who_said": lambda: (q.of("Q")[0],), "what_said": lambda: (people[0], first("T", "R", "F", "N")),
            "count_open": lambda: (first("F", "N"),), "count_enter": lambda: (people[0], first("R", "N")),
            "count_pick": lambda: (first("T", "N"),), "count_speak": lambda: (people[0],),
            "open_duration": lambda: (first("F", "N"),), "agent_stay": lambda: (first("R", "N"), clocks[0]),
            "person_stay": lambda: (people[0], first("R", "N"), clocks[0]),
            "order": lambda: (q.deeds[0], q.deeds[1], q.relation),
            "order_choice": lambda: (q.deeds[0], q.deeds[1], q.which or "first"), "between": lambda: (),
            "near": lambda: (q.of("X")[0], q.of("Y")[0]),
        }
        return args[q.intent]()

    def __call__(self, question: str, at: float | None = None) -> Answer:
        return self.answer(question, at)

    def _finish(self, question, now, value, kind, evidence, rule, note) -> Answer:
        known = value is not None and kind != "unknown"
        if not known:
            kind = "unknown"
        words = _words(value, kind) if known else UNKNOWN_TEXT
        confidence = (0.8 if evidence else 0.5) if known else 0.0
        if known and getattr(self, "_chance", None) is not None:
            confidence = min(confidence, self._chance)
        return Answer(question, words, value if known else None, kind, confidence, tuple(evidence), now, self.name,
                      {"rule": rule, "note": note})

    def _end(self) -> float:
        """The end of memory: its last event's end, or its last perception's when later; inf when empty."""
        last = lookups.last_event_end(self.store)
        ends = [] if last is None else [last]
        return max(ends + [self.world.last]) if ends or self.world.last > float("-inf") else float("inf")

    # ---------------------------------------------------------------------------- evidence
    def evidence(self, t: float, note: str, score: float = 1.0, entities: tuple[str, ...] = (),
                 place: str | None = None) -> list[Evidence]:
        """The stored event that holds media time t, as evidence: cut at the question's time (its text
        left out when it runs on past it: what was said then was not yet heard); none for a later t."""
        now = self._now
        if t > now:
            return []
        row = lookups.event_holding(self.store, t, self.world.stream)  # by (stream, start) when one stream
        if row is None:
            return []
        event, stream, start, end, text = row
        keyframe = str(self.store.keyframe_path(event, 0)) if lookups.has_keyframe(self.store, event) else None
        if place is None:
            place = self.world.agent_room(t) or None  # where the camera was: where it happened
        running = float(end) > now
        return [Evidence(int(event), stream, float(start), min(float(end), now), float(score), keyframe, entities,
                         place, "" if running else (text or "")[:200], note,
                         pose=pose_dict(self.store.pose_at(stream, t)))]

    def _closest(self, text: str, now: float) -> list[Evidence]:
        """Lines heard before now that share most words with the question: the closest evidence."""
        words = set(re.findall(r"\w+", text.lower()))
        scored = sorted(((len(words & heard), h) for h, heard in zip(self.world.heard, self._heard_word_sets())
                         if h[0] < now), key=lambda x: -x[0])
        out = []
        for n, h in scored[:2]:
            if n:
                out += self.evidence(h[0], f"{h[3]}: '{h[2]}'", score=n / max(len(words), 1))
        return out

    def _heard_word_sets(self) -> list[set[str]]:
        """The words of each line heard (``world.heard``), read once per world: every question not
        understood compares its words with all of them."""
        if getattr(self, "_heard_sets", None) is None:
            self._heard_sets = [set(re.findall(r"\w+", h[2].lower())) for h in self.world.heard]
        return self._heard_sets

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
        """A person by name; a name never heard goes to the one person seen often (in view ELIMINATION_SECONDS
        or more, whatever the detection rate) whose name was never learned (elimination), when there is
        exactly one."""
        people = list(self.world.people) + sorted({h[3] for h in self.world.heard if h[3]})
        match = difflib.get_close_matches(name, people, n=1, cutoff=0.75)
        if match:
            return match[0]
        unnamed = [n for n, p in self.world.people.items()
                   if n.startswith("person ") and _seconds_seen(p.times) >= ELIMINATION_SECONDS]
        return unnamed[0] if len(unnamed) == 1 else None

    def _done_by(self, name: str, acts: list[Action]) -> tuple[list[Action], str] | None:
        """(the acts of ``acts`` the person called ``name`` may have done, a note): theirs, when memory knows
        them (``_person``) and saw them do any; else those of anyone nobody has named ("person 3", "voice:1",
        or nobody seen at all), for any of them may be the one asked after: names are learned only from what
        is said, most people are never called by name in earshot, and a person's track splits into pieces of
        which one at most bears their name. Never acts of someone known by another name; the note says when
        the acts are not the person's own. None when nobody seen or heard goes by that name and everyone
        seen and heard has one: nobody seen was them."""
        person = self._person(name)
        own = [a for a in acts if person is not None and a.actor == person]
        if own:
            return own, ""
        labels = set(self.world.people) | {h[3] for h in self.world.heard if h[3]}
        if not any(UNNAMED.match(label) for label in labels):
            return None if person is None else ([], "")
        others = [a for a in acts if not a.actor or UNNAMED.match(a.actor)]
        known = f"never saw {person} do it" if person is not None else f"nobody is known as {name}"
        return others, f"{known}: this is what someone nobody has named did" if others else ""

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

    # ---------------------------------------------------------------------- shared by the parts
    def _heard_from(self, speaker: str, now: float):
        voices = sorted({h[3] for h in self.world.heard if h[3]})
        match = difflib.get_close_matches(speaker, voices, n=1, cutoff=0.75)
        if not match:
            return []  # never heard this voice
        # a line calling the voice's own name ("Bob, ...") was said to them: diarisation gave it to the wrong voice
        return [h for h in self.world.heard if h[0] < now and h[3] == match[0] and not _spoken_to(h[2], match[0])]

    def _heard_maybe_from(self, speaker: str, now: float):
        """The speaker's lines; when no voice goes by that name, the lines of the voices nobody named
        (``voice:N``: conversation has not told whose they are, so any of them may be the speaker's),
        less those calling the speaker by name (said to them) and those of voices named otherwise."""
        own = self._heard_from(speaker, now)
        if own or any(_same_name(speaker, h[3]) for h in self.world.heard if h[3]):
            return own
        return [h for h in self.world.heard if h[0] < now and VOICE_LABEL.match(h[3] or "")
                and not _spoken_to(h[2], speaker)]

    def _visits(self, furniture: str, now: float) -> list[Action]:
        named = self._pieces_named(furniture)
        return self._actions("visit", now, lambda a: a.target in named)

    def _pieces_named(self, furniture: str) -> set[str]:
        """The world's names of the pieces of furniture a name denotes: by name ("cabinet" for "office
        cabinet" too); else, for "<room> <label>", the one piece of that label standing within ROOM_EDGE
        metres of that room (a piece by a wall may have been put in the room behind it)."""
        names = {self.world.furniture_name(f) for f in self.world.furniture}
        named = {n for n in names if self._furniture_matches(furniture, n)}
        if named:
            return named
        words = _clean(furniture)
        area = next((a for a in self.world.areas if words.startswith(a.name + " ")), None)
        if area is None:
            return set()
        label = words[len(area.name) + 1:]
        near = {self.world.furniture_name(f) for f in self.world.furniture if f.name == label
                and area.distance(float(f.xs[0]), float(f.ys[0])) <= ROOM_EDGE}
        return near if len(near) == 1 else set()

    def _opens(self, furniture: str, now: float) -> list[Action]:
        """Openings of a piece of furniture seen before ``now``: from the open/closed states perception
        read on it when it read any (planners/opens.py; one that came into view already open counts:
        it came into view as it was opened, or nearly) or read off a thing taken out of it (planners/world_acts.py),
        else visits (someone lingering at it)."""
        named = self._pieces_named(furniture)
        pieces = [f for f in self.world.furniture if self.world.furniture_name(f) in named]
        opens = self._actions("open", now, lambda a: a.target in named)
        if opens or any(f.opens is not None for f in pieces):
            return opens
        return self._visits(furniture, now)

    def _lexicon(self) -> Lexicon:
        """The house's words: things' colours and labels, furniture, rooms and voices, built once."""
        if getattr(self, "_house_words", None) is None:
            w = self.world
            self._house_words = Lexicon(list(w.things) + [h[3] for h in w.heard if h[3]], heard=[h[2] for h in w.heard],
                                        rooms=[a.name for a in w.areas], furniture=[f.name for f in w.furniture])
        return self._house_words


def _seconds_seen(times) -> int:
    """The whole seconds in which something was seen: how long it was in view, whatever the detection rate."""
    return len(np.unique(np.floor(np.asarray(times, float))))

"""Questions in people's words turned into structured queries, robust to paraphrase.

A question becomes a ``Query``: its intent (what is asked: a place, a time, a person, a count, a duration,
a quote, yes or no, a listing; of which deed), the names it holds (things, people, rooms and furniture the
memory knows, clock times, a quote), and its constraints (first or last, before or after). Names are found
with the memory's own words (``Names``: the things' colours and labels, the voices and people, rooms,
furniture), not with patterns; a noun phrase the memory has no name for is kept as said. The intent is the
nearest exemplar's (planners/exemplars.py) among those that ask the same (by English question words, read
past a polite frame: ``asked``) and hold the same names (a quote's addressee left out), compared once the
question's names are put in placeholders: by the profile's text embedder when there is one, else by word
overlap.
Order questions ("did A before B?", "A; did B after that?", "was the fridge opened by Alice before ...", "had A already
... when B") are read as two clauses with a deed each and the relation word between them (planners/question_deeds.py);
a choice ("which came first, A or B?") as the two deeds either side of "or" and the order word asked for. What it
cannot parse is None: the caller falls back to retrieval.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np

from planners.exemplars import EXEMPLARS, SLOTS
from planners.question_deeds import Deed, placed, verbs as _verbs
from planners.question_slots import DEED_VERBS, Names, Slot, find_slots  # noqa: F401 (Names: callers build them here)
from planners.time_phrases import hms, media_clock

logger = logging.getLogger(__name__)

Embed = Callable[[str], np.ndarray]  # a text embedder: one text -> one vector

MIN_SIMILARITY = 0.45  # cosine (or word overlap) to the nearest exemplar below which a question is not understood
MIN_OVERLAP = 0.25  # the same, for the word-overlap fallback
PLACEHOLDERS = {"T": "the object", "F": "the cupboard", "R": "the room", "P": "Sam", "P2": "Kim", "C": "10:00",
                "Q": '"something"'}
CHOICE_WORDS = (("first", ("first", "earlier", "earliest", "sooner", "before the other")),  # a choice of two deeds
                ("last", ("last", "later", "latest", "second", "after the other", "more recently", "most recently",
                          "more recent")))
INTENT_DEEDS = {  # the deed of DEED_VERBS an intent asks about, where it asks about one
    "when_enter": "enter", "count_enter": "enter", "when_open": "open", "count_open": "open",
    "who_opened": "open", "open_duration": "open", "when_put": "put", "who_put": "put", "count_pick": "pick",
    "first_seen": "see", "seen_when": "see"}
# verbs of seeing: no deed of an order question, but they tell a sighting asked after from a deed asked after
SEEING = ("see", "saw", "seen", "spot", "spotted", "notice", "noticed", "sight", "view", "glimpse", "observed",
          "observe", "caught sight", "laid eyes", "lay eyes")
SPOKEN = {"mentioned_where", "mentioned_room", "mentioned_mover"}  # intents about a thing someone spoke of
ASKED_OF = {"requested"}  # intents whose two people are one who asked and one asked
ASKER_BEFORE = r"\b(?:by|for)\s+$"  # words before the one who asked
ASKED_BEFORE = (r"\b(?:ask|asks|asked|asking|tell|tells|told|telling|want|wants|wanted|wanting|need|needs|needed|"
                r"needing|beg|begs|begged|begging|sent|send|sends|get|got|have|had|from|of|requested|request)\s+$")
INTENT_WHICH = {"first_seen": "first", "last_put_object": "last"}  # intents that are about one of first or last
ADDRESSED = r"\b(?:tell|tells|told|telling|to|ask|asks|asked|asking|with|for)"  # words before the person spoken to
TELLING = r"\b(?:tell|tells|told|telling|ask|asks|asked|asking|to)"  # before one spoken to who is no name
FIRST = ("first", "earliest", "initially", "for the first time")
LAST = ("last", "latest", "most recent", "most recently", "lately", "recently")


@dataclass(frozen=True)
class Query:
    """What a question asks, about what, when, under which constraints."""

    intent: str  # an intent of planners/exemplars.py, "order" or "order_choice"
    asks: str  # place, time, person, count, duration, quote, yes_no, listing, choice (of two deeds)
    slots: tuple[Slot, ...]  # the names it holds, in the order said
    which: str | None = None  # "first" or "last" (a choice: which of its two deeds is asked for)
    relation: str | None = None  # "before" or "after" (order questions)
    deeds: tuple[Deed, ...] = ()  # order questions: (the deed asked about, the one it is placed against); a
    # choice: its two deeds as said
    score: float = 0.0  # similarity to the nearest exemplar
    how: str = ""  # "embedding" or "overlap": how the intent was found
    alternatives: tuple[str, ...] = field(default=(), compare=False)  # the next nearest intents
    anchor: "Anchor | None" = None  # a time said as a moment of the recording ("when Alice opened the fridge"):
    # its clock slot is filled once the moment is found (at_moment)
    roles: tuple[str, ...] = ()  # a request's two people, the one who asked first ("Bob was asked by Alice": Alice,
    # Bob); empty where the words do not say (then the order said)

    def of(self, kind: str) -> list[str]:
        """The names of one kind ("T", "P", ...), in the order said."""
        return [s.text for s in self.slots if s.kind == kind]


@dataclass(frozen=True)
class Anchor:
    """A moment of the recording a question names instead of a clock time: a deed ("when Alice opened the fridge",
    "just before Bob picked it up") or a line ("when Alice talked about the mug"); the time asked is at, just
    before or just after it."""

    relation: str  # "at", "before" or "after"
    deed: Deed | None = None  # the deed whose time it is
    speaker: str | None = None  # or the person whose line about ``topic`` it is
    topic: str | None = None
    text: str = ""  # the clause as said


def at_time(query: Query, now: float) -> Query:
    """The query with its clock times read at the question's time ``now`` as media time "hh:mm:ss"
    (planners/time_phrases.py ``media_clock``): "two minutes ago", and "2:10" in a five-minute recording."""
    slots = tuple(replace(s, text=media_clock(s.text, now)) if s.kind == "C" else s for s in query.slots)
    return replace(query, slots=slots)


def at_moment(query: Query, seconds: float) -> Query:
    """The query with the clock slot of its anchor (a moment named instead of a clock time) set to that moment's
    media time, "hh:mm:ss"."""
    clock = hms(max(seconds, 0.0))
    slots = tuple(replace(x, text=clock) if x.kind == "C" and not x.text else x for x in query.slots)
    return replace(query, slots=slots)


# ---------------------------------------------------------------------------------------- intents

def delexicalised(text: str, slots: Sequence[Slot]) -> str:
    """The question with its names in placeholders: only its shape is left to compare."""
    out, at, people = [], 0, []
    for s in slots:
        out.append(text[at:s.start])
        if s.kind == "P":
            if s.text not in people:
                people.append(s.text)
            out.append(PLACEHOLDERS["P2"] if people.index(s.text) else PLACEHOLDERS["P"])
        else:
            out.append(PLACEHOLDERS.get(s.kind, PLACEHOLDERS["T"]))
        at = s.end
    out.append(text[at:])
    return " ".join("".join(out).split())


# a polite or indirect frame in front of a question ("could you tell me", "do you know", "any idea"): what
# follows it is the question
FRAMES = (r"^(?:(?:can|could|would|will) you |please )*(?:tell|remind|show|give) (?:me|us)\b(?: again)?",
          r"^(?:do|did) you (?:know|remember|recall|happen to know)\b",
          r"^(?:can|could) you (?:say|remember|recall|repeat|find out|check)\b",
          r"^(?:any|no) (?:idea|clue)\b", r"^(?:i (?:wonder|forget|forgot)|i'd like to know|i want to know|"
          r"let me know|have you (?:any|an) idea)\b")
# verbs and nouns of saying (English): a question holding one, and asking "what", asks for a quote
SAY = (r"\b(?:say|says|said|saying|tell|tells|told|telling|mention|mentions|mentioned|mentioning|remark|remarks|"
       r"remarked|comment|comments|commented|words?|talk(?:s|ed|ing)? (?:about|of)|sp(?:oke|eak|eaks|oken|eaking) "
       r"(?:about|of)|utter(?:s|ed)?|(?:bring|brings|brought|bringing)(?: \w+){0,2} up|have to say|had to say|"
       r"(?:go|goes|went|going|was|were|is|be) on about|refer(?:s|red|ring)? to|rais(?:e|es|ed|ing)|"
       r"describ(?:e|es|ed|ing)|ask(?:s|ed|ing)? about|quest(?:ion|ions|ioned) about|"
       # an opinion voiced: what is known of what someone thinks is what they said
       r"(?:think|thinks|thought|reckon|reckons|reckoned|feel|feels|felt) (?:of|about)|"
       r"(?:take|view|views|opinion|opinions|thoughts) (?:on|of|about)|complain(?:s|ed)? about|"
       r"(?:state|stated|note|noted|remark|point(?:ed)? out|share|shared|express|expressed|announce|announced|"
       r"declare|declared|claim|claimed|suggest|suggested|reply|replied|answer|answered|shout|shouted|whisper|"
       r"whispered|mutter|muttered|chat|chatted|discuss|discussed|explain|explained|voice|voiced|quote|"
       r"lines? (?:about|on|regarding|concerning))\b)\b")
# "when" asks a time where it opens or ends the question or an auxiliary follows it ("..., when did she");
# elsewhere it joins a clause ("what did she say when he came in")
AUXILIARY = r"(?:did|was|were|is|are|has|have|had|does|do|will|would|could|can)"
# nouns of place: "which room", "what spot", "which part of the house", "in what area"
PLACE_NOUNS = r"(?:rooms?|place|spot|area|part|location|space|corner|zone|section|side)"
# an imperative naming what is asked ("Name the room the mug was in", "Identify the person who ...")
IMPERATIVE = r"\b(?:name|identify|give|state|say|tell|report|specify)\b(?: me| us)? the"
STRONG_CUES = (  # what is asked, by question words; the first that holds wins
    # a clause of time in front of a yes/no question ("When Bob came in, had Alice opened it?"): yes or no
    ("yes_no", rf"^ (?:when|before|after|once|by the time)\b[^?]*,\s*{AUXILIARY}\b"),
    ("time", r"\bhow long ago\b"),
    ("duration", r"\bhow long\b|\bfor how long\b|\bhow much time\b|\bhow many (?:seconds|minutes|hours)\b|"
                 r"\blength of time\b|\bduration\b"),
    ("count", r"\bhow many\b|\bhow (?:often|frequently)\b|\bcount\b|\bnumber of\b|\bhow many times\b"),
    ("place", rf"\bwhere\b|\b(?:which|what)\s+(?:(?:one|of|the|exact|particular|specific|other)\s+){{0,3}}"
              rf"{PLACE_NOUNS}\b|\bwhereabouts\b|\banywhere\b"),
    ("person", r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich person\b|\bby whom\b|\bwhich (?:one )?of (?:them|those|you|us|"
               r"the (?:people|two|three))\b"),
    ("time", rf"^ when\b|\bwhen(?:'s|\s+{AUXILIARY})\b|\bwhen\s*\?|\bwhat time\b|\bsince when\b|"
             r"\bwhat (?:moment|point|hour)\b|(?<!by )\bthe time\b"),
    ("quote", rf"\b(?:what|which|how)\b.*{SAY}|{SAY}.*\b(?:what|which)\b|{SAY}.*\b(?:anything|something)\b|"
              rf"\b(?:anything|something)\b.*{SAY}|"
              r"\b(?:remark|comment|words)\b|\blines? (?:about|on|regarding|concerning)\b|"
              r"^ (?:quote|repeat|recite)\b"),
    ("yes_no", r"^ (?:did|was|were|is|had|has|have|does|do)\b"),
)
WEAK_CUES = (  # what a question with no question word asks ("Could you locate the mug?", "Name the room ...")
    ("place", rf"\blocation\b|\bfind\b(?! out)|\blocate\b|\bwhich part of\b|{IMPERATIVE}\s+{PLACE_NOUNS}\b"),
    ("person", rf"{IMPERATIVE}\s+(?:person|speaker|one|individual|people)\b"),
    ("time", r"\bthe (?:first|last|most recent|latest|earliest) time\b|\bwhat day\b"),
)


def asked(text: str) -> str | None:
    """What a question asks by its question words (English, whatever the phrasing); None when unclear. A polite
    frame in front ("could you tell me", "do you know", "any idea") is read past; cues of saying with "what"
    in either order ask for a quote; weaker cues ("the location of", "find", "the last time") only where no
    question word says."""
    q = " ".join(re.sub(r"[\"“][^\"”]*[\"”]", " ", text.lower()).split())
    for frame in FRAMES:
        q = re.sub(frame, "", q).strip(" ,")
    q = f" {q} "
    clause = re.match(rf"^ (?:when|while|once|as soon as|at the moment|the moment)\b[^?,;]*[,;]\s*(?=(?:what|which|who|"
                      rf"whom|whose|where|how|tell|remind)\b)", q)
    if clause:  # a clause of time in front of a question word ("When Bob came in, what did he say?"): the question
        q = " " + q[clause.end():]  # is what follows it
    for kind, pattern in STRONG_CUES + WEAK_CUES:
        if re.search(pattern, q):
            return kind
    return None


def which_of(text: str) -> str | None:
    q = text.lower()
    first = min((m.start() for w in FIRST for m in re.finditer(rf"\b{w}\b", q)), default=None)
    last = min((m.start() for w in LAST for m in re.finditer(rf"\b{w}\b", q)), default=None)
    if first is None and last is None:
        return None
    if last is None or (first is not None and first < last):
        return "first"
    return "last"


def _signature(slots: Sequence[Slot]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in slots:
        if s.kind == "P" and any(o.kind == "P" and o.text == s.text and o.start < s.start for o in slots):
            continue  # the same person named twice
        counts[s.kind] = counts.get(s.kind, 0) + 1
    return counts


def _fits(wanted: str, have: dict[str, int]) -> bool:
    """Whether the names a question holds are those an intent needs: people and clock times exactly, a quote
    when it needs one, each thing, room and piece of furniture where it needs one of that kind or any name
    ("N" in the intent), and a name the memory lacks ("N" in the question) where any of those is needed."""
    need = {k: wanted.count(k) for k in "TRFNPCQ"}
    have = {k: have.get(k, 0) for k in "TRFNPCQ"}
    if have["P"] != need["P"] or have["C"] != need["C"] or (need["Q"] and not have["Q"]):
        return False
    for k in "TRF":
        used = min(have[k], need[k])
        have[k] -= used
        need[k] -= used
    extra = have["T"] + have["R"] + have["F"]  # named kinds the intent has no place for but "any name"
    if extra > need["N"]:
        return False
    need["N"] -= extra
    return have["N"] == need["T"] + need["R"] + need["F"] + need["N"]


class Exemplars:
    """The exemplars of every intent, as vectors of one text embedder (or as word sets without one)."""

    _cache: dict[str, tuple[list[str], np.ndarray]] = {}  # embedder space -> (intents, unit vectors)
    _texts: list[tuple[str, str]] | None = None  # (intent, filled exemplar), made once: every question builds one
    _words: list[tuple[str, set[str]]] = []  # (intent, word set of the exemplar), with _texts

    def __init__(self, embed: Embed | None = None, space: str = "") -> None:
        self.embed = embed
        self.space = space
        if Exemplars._texts is None:
            texts = [(intent, _fill(e)) for intent, examples in EXEMPLARS.items() for e in examples]
            Exemplars._words = [(intent, _bag(t)) for intent, t in texts]
            Exemplars._texts = texts
        self.texts, self.words = Exemplars._texts, Exemplars._words

    def nearest(self, text: str, allowed: set[str]) -> list[tuple[float, str]]:
        """(similarity, intent) of the allowed intents, best first (one score per intent: its best exemplar)."""
        if self.embed is not None:
            scores = self._cosines(text)
        else:
            bag = _bag(text)
            scores = [len(bag & b) / max(len(bag | b), 1) for _, b in self.words]
        best: dict[str, float] = {}
        for (intent, _), s in zip(self.texts, scores):
            if intent in allowed and s > best.get(intent, -1.0):
                best[intent] = float(s)
        return sorted(((s, i) for i, s in best.items()), reverse=True)

    def _cosines(self, text: str) -> np.ndarray:
        if self.space not in self._cache:
            vectors = np.stack([_unit(self.embed(t)) for _, t in self.texts])
            Exemplars._cache[self.space] = ([i for i, _ in self.texts], vectors)
            logger.debug("embedded %d exemplar questions in %s", len(self.texts), self.space)
        _, vectors = self._cache[self.space]
        return vectors @ _unit(self.embed(text))


def _fill(example: str) -> str:
    return example.format(thing=PLACEHOLDERS["T"], person=PLACEHOLDERS["P"], person2=PLACEHOLDERS["P2"],
                          room=PLACEHOLDERS["R"], furniture=PLACEHOLDERS["F"], clock=PLACEHOLDERS["C"],
                          quote=PLACEHOLDERS["Q"])


def _bag(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9:']+", text.lower())
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float32).ravel()
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


# ------------------------------------------------------------------------------------------- parse

@dataclass(frozen=True)
class _Unranked:
    """A question whose intent is the nearest exemplar's, before the exemplars are compared."""

    slots: list[Slot]  # the names it holds
    asks: str  # what is asked
    which: str | None  # "first" or "last"
    allowed: set[str]  # the intents whose names it holds
    compared: str  # the text compared with the exemplars (its names in placeholders)
    anchor: Anchor | None = None  # the moment it names instead of a clock time


def parse(text: str, names: Names, exemplars: Exemplars) -> Query | None:
    """The structured query of a question; None when it is not understood (no intent whose names it holds
    is near enough)."""
    text = " ".join(text.strip().split())
    if not text:
        return None
    step = _prepare(text, names)
    if not isinstance(step, _Unranked):
        return step
    ranked = exemplars.nearest(step.compared, step.allowed)
    score, intent = ranked[0]
    floor = MIN_SIMILARITY if exemplars.embed is not None else MIN_OVERLAP
    if score < floor:
        logger.debug("question %r: nearest intent %s at %.2f, below %.2f", text, intent, score, floor)
        return None
    roles = _asker_first(text, step.slots) if intent in ASKED_OF else ()
    return Query(intent, SLOTS[intent][0], tuple(step.slots), step.which, None, (), score,
                 "embedding" if exemplars.embed is not None else "overlap", tuple(i for _, i in ranked[1:3]),
                 step.anchor, roles)


def compared_text(text: str, names: Names) -> str | None:
    """The text ``parse`` would compare with the exemplars for this question (None: it decides without
    them), so that a caller can embed it ahead of time, together with other texts."""
    text = " ".join(text.strip().split())
    step = _prepare(text, names) if text else None
    return step.compared if isinstance(step, _Unranked) else None


def _prepare(text: str, names: Names) -> Query | _Unranked | None:
    """An order or listing query, None when not understood, else what the exemplars must rank."""
    slots = find_slots(text, names)
    asks = asked(text)
    which = which_of(text)
    order = _order(text, slots, asks)
    if order is not None:
        return order
    listing = _listing(text, slots)
    if listing is not None:
        return listing
    if asks is None:  # no question word says what is asked (a place, a time, a person, ...): not understood
        return None
    if asks == "quote":
        slots = _without_addressee(text, slots)
    slots = _named_once(slots)
    anchor = None
    if asks == "place" and not any(s.kind == "C" for s in slots):
        anchored = _anchored(text, slots)  # "where was the mug when Alice opened the fridge?"
        if anchored is not None:
            anchor, slots = anchored
    have = _signature(slots)
    allowed = {i for i, (_, wanted) in SLOTS.items() if _fits(wanted, have) and SLOTS[i][0] == asks
               and (which is None or INTENT_WHICH.get(i, which) == which)}
    allowed = _agreeing(allowed, _verb_kinds(text, [s for s in slots if s.kind != "C"] if anchor else slots))
    if not re.search(SAY, text.lower()):  # what someone spoke of is asked after only where a verb of saying says so
        allowed -= SPOKEN
    if not allowed:
        return None
    return _Unranked(slots, asks, which, allowed, _unframed(delexicalised(text, slots)), anchor)


# words that make a clause a moment of the recording: "when", "just before", "right after", ...
ANCHOR_WORDS = (("before", r"(?:just |right |shortly |immediately |a (?:moment|bit|little) )?before"),
                ("after", r"(?:just |right |shortly |immediately |soon |a (?:moment|bit|little) )?after"),
                ("at", r"when|while|as soon as|the moment|at the moment|at the time|at the point"))
IT = r"\b(?:it|them|that|this|one)\b"  # a pronoun in the moment's clause: the thing the question asks about


def _anchored(text: str, slots: list[Slot]) -> tuple[Anchor, list[Slot]] | None:
    """A moment named instead of a clock time (a place asked "when Alice opened the fridge", "just before Bob
    picked it up", "when Alice talked about it"): the anchor, and the question's names with a clock slot standing
    for it. None when no clause of a deed or of a person speaking follows such a word."""
    low = text.lower()
    for relation, words in ANCHOR_WORDS:
        for m in re.finditer(rf"\b(?:{words})\b", low):
            cut = re.search(r"[,;:?!.]", low[m.end():])
            clause = (m.start(), m.end(), m.end() + cut.start() if cut else len(text))  # the word, what it governs
            found = _line_moment(text, slots, relation, clause) or _deed_moment(text, slots, relation, clause)
            if found is not None:
                return found
    return None


def _line_moment(text: str, slots: list[Slot], relation: str, clause: tuple[int, int, int]):
    """A person speaking of a thing ("when Carol talked about it"): the question keeps its speaker and topic (a
    question of where a thing was when someone spoke of it holds them); the topic is the thing the clause names, or
    the one the question asks about where the clause says "it". The clock slot stands for the word of time."""
    start, word, end = clause
    low = text.lower()
    inside = [s for s in slots if start <= s.start and s.end <= end]
    people = [s for s in inside if s.kind == "P"]
    if len(people) > 1 or not re.search(SAY, low[start:end]):
        return None
    if not people and not re.search(r"\b(?:someone|somebody|anyone)\b", low[start:end]):
        return None
    topic = next((s for s in inside if s.kind in "TRFN"), None)
    if topic is None and re.search(IT, low[start:end]):
        topic = next((s for s in slots if s not in inside and s.kind in "TN"), None)
    if topic is None:
        return None
    said = " ".join(text[start:end].split())
    anchor = Anchor(relation, None, people[0].text if people else None, topic.text, said)
    return anchor, sorted(slots + [Slot("C", "", start, word)], key=lambda s: s.start)


def _deed_moment(text: str, slots: list[Slot], relation: str, clause: tuple[int, int, int]):
    """A deed ("when Alice opened the fridge", "just before Bob picked it up"): its names are its own, taken out of
    the question's; "it" in the clause is the thing the question asks about, and where the question names its
    thing only in the clause ("just before Alice put the mug down, where was it?") that thing stays asked about.
    The clock slot stands for the word of time."""
    start, word, end = clause
    low = text.lower()
    inside = [s for s in slots if start <= s.start and s.end <= end]
    outside = [s for s in slots if s not in inside]
    people = [s for s in inside if s.kind == "P"]
    found = _verbs(text, slots, start, end)
    if not found or len(people) > 1:
        return None
    asked_thing = next((s for s in outside if s.kind in "TN"), None)
    objects = tuple(s for s in inside if s.kind in "TRFN")
    if asked_thing is not None and re.search(IT, low[found[0][1]:end]) and not any(s.kind in "TN" for s in objects):
        objects = (asked_thing,) + objects  # "just before Bob picked it up", "after he put it on the desk"
    if not objects:
        return None
    said = " ".join(text[start:end].split())
    deed = Deed(found[0][2], people[0].text if people else None, objects, said)
    kept = outside + [Slot("C", "", start, word)]
    if asked_thing is None:
        kept += [s for s in objects if s.kind in "TN"][:1]
    return Anchor(relation, deed, text=said), sorted(kept, key=lambda s: s.start)


def _asker_first(text: str, slots: Sequence[Slot]) -> tuple[str, ...]:
    """A request's two people, the one who asked first, by the words before each: after "by" or "for" the one who
    asked ("Bob was asked by Alice", "what Bob fetched for Alice"); after a verb of asking, telling or wanting,
    "from" or "of", the one asked ("Alice wanted Bob to ...", "requested from Bob"). Empty where neither says."""
    low = text.lower()
    people = list(dict.fromkeys(s.text for s in slots if s.kind == "P"))
    if len(people) != 2:
        return ()
    asker = {s.text for s in slots if s.kind == "P" and re.search(ASKER_BEFORE, low[:s.start])}
    asked = {s.text for s in slots if s.kind == "P" and re.search(ASKED_BEFORE, low[:s.start])}
    if len(asker) == 1:
        first = asker.pop()
    elif len(asked) == 1:
        first = next(p for p in people if p not in asked)
    else:
        return ()
    return first, next(p for p in people if p != first)


def _named_once(slots: list[Slot]) -> list[Slot]:
    """The names without a thing named again ("When Bob brought up the blue notebook, where was the notebook?"): a
    thing, piece of furniture or unknown name said again as it was, or by its last words alone, is the same one."""
    kept: list[Slot] = []
    for s in slots:
        words = s.text.lower().split()
        if s.kind in "TFN" and any(k.kind in "TFN" and k.text.lower().split()[-len(words):] == words for k in kept):
            continue
        kept.append(s)
    return kept


def _unframed(text: str) -> str:
    """The question without a polite frame in front ("Could you tell me where ..." -> "where ..."): the
    exemplars are compared with what is asked, not with how politely."""
    for frame in FRAMES:
        text = re.sub(frame, "", text, flags=re.I).strip(" ,")
    return text[:1].upper() + text[1:] if text else text


def _without_addressee(text: str, slots: list[Slot]) -> list[Slot]:
    """A quote's speaker and topic without whom it was said to: of two people named, the one told ("told Bob",
    "said to Bob", "asked Bob"), or the other than the one it was said by ("Bob was told by Alice"); and a noun
    phrase right after a verb of telling ("told her brother", "said to the kids") where a topic is named too."""
    low = text.lower()
    people = [s for s in slots if s.kind == "P"]
    addressee = None
    if len({s.text for s in people}) == 2:
        told = [s for s in people if re.search(rf"{ADDRESSED}\s+$", low[:s.start])]
        by = [s for s in people if re.search(r"\bby\s+$", low[:s.start])]
        if len(told) == 1:
            addressee = told[0].text
        elif len(by) == 1:
            addressee = next(s.text for s in people if s.text != by[0].text)
    kept = [s for s in slots if not (s.kind == "P" and s.text == addressee)]
    topics = [s for s in kept if s.kind in "TRFN"]
    told = [s for s in topics if s.kind == "N" and re.search(rf"{TELLING}\s+$", low[:s.start])]
    if len(topics) > 1 and len(told) == 1:
        kept.remove(told[0])
    return kept


def _verb_kinds(text: str, slots: Sequence[Slot]) -> set[str]:
    """The kinds of deed (DEED_VERBS) whose verbs the question holds outside its names."""
    low = text.lower()
    spans = [(s.start, s.end) for s in slots] + [m.span() for p in SEEING if " " in p
                                                 for m in re.finditer(rf"\b{p}\b", low)]  # "lay eyes on": seeing
    kinds = {kind for kind, phrases in DEED_VERBS.items() for p in phrases
             for m in re.finditer(rf"\b{re.escape(p)}\b", low) if not any(a <= m.start() < b for a, b in spans)}
    seen = any(re.search(rf"\b{p}\b", low) for p in SEEING)
    return kinds | {"see"} if seen else kinds


def _agreeing(allowed: set[str], kinds: set[str]) -> set[str]:
    """The intents whose deed (INTENT_DEEDS) is one the question's verbs name, when any is. A name the memory
    lacks fits a thing, a room or furniture alike: the verb tells which was meant ("how many times was the
    wardrobe opened" counts openings, not picks; "when did someone open it" asks after the opening, not after
    a sighting). A deed seen is asked after as the deed ("when did you see someone open it"): seeing counts
    only where no deed is named."""
    if kinds - {"see"}:
        kinds = kinds - {"see"}
    agree = {i for i in allowed if INTENT_DEEDS.get(i) in kinds}
    if agree:
        return agree
    # no deed of theirs named: asking who did something else ("who repaired the lamp?") is not asking who
    # put or opened it; such a question goes to retrieval
    return {i for i in allowed if not (SLOTS[i][0] == "person" and INTENT_DEEDS.get(i) not in (None, "see"))}


def _listing(text: str, slots: Sequence[Slot]) -> Query | None:
    """"What happened between 10:00 and 10:05?", "What was seen near (2.0, 3.5)?"."""
    clocks = [s for s in slots if s.kind == "C"]
    if len(clocks) == 2 and re.search(r"\bbetween\b", text, re.I):
        return Query("between", "listing", tuple(slots), score=1.0, how="time window")
    m = re.search(r"\bnear\s+\(?(-?[\d.]+),\s*(-?[\d.]+)\)?", text, re.I)
    if m:
        point = (Slot("X", m.group(1), m.start(1), m.end(1)), Slot("Y", m.group(2), m.start(2), m.end(2)))
        return Query("near", "listing", point, score=1.0, how="point")
    return None


def _order(text: str, slots: Sequence[Slot], asks: str | None) -> Query | None:
    """Two deeds and a relation word between them ("did A before B?", "was it after B that A?"): the deed
    the relation word goes with is the one the other is placed against; a relation word referring back
    ("A; did B after that?", "... B afterwards?") places the deed it follows against the one said before. Else
    a choice between two deeds ("which came first, A or B?")."""
    if asks not in (None, "yes_no"):
        return None
    choice = _choice(text, slots)
    if choice is not None:
        return choice
    found = placed(text, slots)
    if found is None:
        return None
    relation, subject, reference = found
    return Query("order", "yes_no", tuple(slots), None, relation, (subject, reference), 1.0, "deeds")


def _choice(text: str, slots: Sequence[Slot]) -> Query | None:
    """"Which came first, Alice opening the fridge or Bob walking into the kitchen?", "Did the red mug get
    picked up or the fridge get opened first?": two deeds either side of "or", and an order word outside both
    saying which is asked for (the first or the last). A deed needs no doer here: "the fridge being opened"."""
    low = text.lower()
    for m in re.finditer(r"\bor\b", low):
        left = _clause_deed(text, slots, 0, m.start(), last=True)
        right = _clause_deed(text, slots, m.end(), len(text), last=False)
        if left is not None and right is None:
            right = _same_deed_on(text, slots, m.end(), len(text), left[2])
        if left is None or right is None:
            continue
        named = [(x.start, x.end) for x in slots] + [(a, b) for a, b, _ in _verbs(text, slots)]
        outside = "".join(" " if any(a <= i < b for a, b in named) else c for i, c in enumerate(low))
        which = _which_of_two(outside)
        if which is None:
            continue
        # "which did Alice do first": both deeds hers
        shared = [s for s in slots if s.kind == "P" and re.search(r"\b(?:did|does|has)\s+$", low[:s.start])
                  and re.match(r"\s+do(?:ne)?\b", low[s.end:])]
        deeds = [d if d.actor or not shared else Deed(d.kind, shared[0].text, d.objects, d.text)
                 for d in (left[2], right[2])]
        return Query("order_choice", "choice", tuple(slots), which, None, tuple(deeds), 1.0, "deeds")
    return None


def _which_of_two(text: str) -> str | None:
    """"first" or "last": which of two deeds a choice asks for, by its order word ("came first", "happened
    later", "was more recent")."""
    for which, words in CHOICE_WORDS:
        if any(re.search(rf"\b{w}\b", text) for w in words):
            return which
    return None


def _clause_deed(text: str, slots: Sequence[Slot], lo: int, hi: int, last: bool) -> tuple[int, int, Deed] | None:
    """(start, end, deed) of the deed verb nearest the "or" in text[lo:hi] (the last before it, the first
    after it), with the names in that stretch as its doer (a person before the verb or after "by") and objects."""
    verbs = _verbs(text, slots, lo, hi)
    if not verbs:
        return None
    v_start, v_end, kind = verbs[-1] if last else verbs[0]
    a = max([lo] + [e for _, e, _ in verbs if e <= v_start]) if last else lo
    b = hi if last else min([hi] + [s for s, _, _ in verbs if s > v_start])
    inside = [s for s in slots if a <= s.start and s.end <= b]
    objects = tuple(s for s in inside if s.kind in ("T", "F", "R", "N"))
    if not objects:
        return None
    doers = [s for s in inside if s.kind == "P" and (s.end <= v_start or re.search(r"\bby\s+$", text[:s.start]))]
    start = min([v_start] + [s.start for s in objects])
    end = max([v_end] + [s.end for s in inside])
    said = text[start:end]
    if doers and doers[0].start < start:  # "Alice opening the fridge", "Alice do first, open the fridge"
        said = f"{doers[0].text} {said}"
    return min([start] + [s.start for s in doers]), end, Deed(kind, doers[0].text if doers else None, objects, said)


def _same_deed_on(text: str, slots: Sequence[Slot], lo: int, hi: int, deed: Deed) -> tuple[int, int, Deed] | None:
    """"Did Alice open the fridge or the cabinet first?": the other side of "or" names only what the deed was
    done to; it is the same deed (verb and doer) on that, the deed's other names kept where it names none of
    their kind."""
    inside = [s for s in slots if lo <= s.start and s.end <= hi]
    if not inside or any(s.kind not in ("T", "F", "R", "N") for s in inside):
        return None
    kinds = {s.kind for s in inside}
    objects = tuple(inside) + tuple(s for s in deed.objects if s.kind not in kinds and "N" not in kinds)
    start, end = inside[0].start, inside[-1].end
    return start, end, Deed(deed.kind, deed.actor, objects, text[start:end])

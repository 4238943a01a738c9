"""The names a question holds, found with the memory's own words (planners/question.py reads the rest).

A quote and clock times first (in digits, or in words: "half past two" is "2:30"), known rooms, furniture, things
and people next (longest first, a slip allowed in a person's name), then
things named by colour or by a label the memory knows, capitalised names the memory never heard, and noun
phrases after an article that the memory has no name for, kept as said (``N``).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable

from planners.time_phrases import said_times, spoken_clocks

NAME_MATCH = 0.8  # difflib ratio from which a word is read as a known person's name
COLOURS = frozenset(  # colour words of English (a thing named by colour and label: "the teal wallet")
    "red orange yellow green blue purple pink brown black white grey gray teal navy beige violet cyan magenta "
    "silver gold golden maroon olive turquoise cream lime".split())
# verbs of the deeds a question may name, by the world's action kinds (English, any phrasing)
DEED_VERBS: dict[str, tuple[str, ...]] = {
    "put": ("put down", "set down", "putting down", "setting down", "put", "placed", "place", "set", "laid", "lay",
            "left", "leave", "dropped", "drop", "stored", "store", "moved", "move", "stashed", "stash", "tucked",
            "tuck", "popped", "pop", "stuck", "stick", "parked", "park", "hid", "hide", "hidden", "dumped", "dump",
            "putting", "placing", "laying", "leaving", "dropping", "storing", "moving", "stashing", "hiding"),
    "pick": ("picked up", "pick up", "picking up", "took", "take", "taken", "taking", "grabbed", "grab", "grabbing",
             "lifted", "lift", "lifting", "removed", "remove", "removing", "fetched", "fetch", "fetching", "collected",
             "collect", "collecting", "snatched", "snatch", "got hold of", "picked", "picking"),
    "open": ("opened up", "open up", "opening up", "pulled open", "pull open", "pulling open", "swung open",
             "opened", "open", "opening", "unlocked", "unlocking"),
    "enter": ("walked into", "walk into", "walking into", "went into", "go into", "going into", "gone into",
              "came into", "come into", "coming into", "stepped into", "step into", "stepping into", "got into",
              "get into", "getting into", "headed into", "head into", "heading into", "wandered into", "wander into",
              "walked in to", "went in to", "came in to", "entered", "enter", "entering", "showed up in",
              "show up in", "arrived in", "arrive in", "made it into"),
}
PAST_VERBS = frozenset("said spoke told asked talked went came took put set left got gave brought saw was had".split())
_ARTICLE = r"(?:the|a|an|your|my|our|his|her|their|its)"
_CLOCK = r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b"
_STOP = frozenset("the a an your my our this that in on at to into onto under inside from of for by with and or "
                  "before after when while was is were be been did do does has have had it its then now you he she "
                  "they we i me him her them us someone anyone somebody anybody something who what which where "
                  "how why that this about around over near behind regarding concerning since until through across "
                  "up down off out back again just still already ever never also too there here then once "
                  "follow follows followed following precede precedes preceded preceding only prior sooner subsequent "
                  "ahead get gets got getting come comes came happen happens happened being".split())
_GENERIC = frozenset(  # words of the question's frame, never names: kinds of thing, times, order words
    "thing things object objects item items stuff time times one ones moment while bit last first most recent "
    "latest earliest previous next same other whole rest today yesterday tonight earlier later morning afternoon "
    "evening eye eyes mind attention end start beginning day house home flat apartment family everyone everybody robot "
    "order sequence "
    # words of time and of the recording ("at the 1:30 point", "the timestamp"), and of speech ("had a question
    # about", "made a comment on"): what the question asks about, never a name
    "point mark stage instant second seconds minute minutes hour hours timestamp time-stamp clip video recording "
    "footage question questions comment comments remark remarks word words request requests opinion opinions "
    "thought thoughts topic subject conversation chat talk mention "
    "way very exact precise".split())
PEOPLE_WORDS = frozenset("person persons people man woman".split())  # a name only where nothing else is named


@dataclass(frozen=True)
class Names:
    """The memory's words for what a question may name."""

    things: tuple[str, ...] = ()  # "red mug": colour and label
    people: tuple[str, ...] = ()  # names learned or heard ("Alice")
    rooms: tuple[str, ...] = ()  # "living room"
    furniture: tuple[str, ...] = ()  # "dining table", "office cabinet"

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(t.split()[-1] for t in self.things if t)

    @property
    def colours(self) -> frozenset[str]:
        return COLOURS | frozenset(t.split()[0] for t in self.things if len(t.split()) > 1)


@dataclass(frozen=True)
class Slot:
    kind: str  # "T" thing, "P" person, "R" room, "F" furniture, "C" clock, "Q" quote, "N" a name the memory lacks
    text: str  # as it stands in the memory (a known name) or in the question; a clock as a clock reads ("2:30")
    start: int  # character span in the question
    end: int



# ------------------------------------------------------------------------------------------ slots

def find_slots(text: str, names: Names) -> list[Slot]:
    """The names a question holds: a quote, clock times, known rooms, furniture, things and people (longest
    first), things named by colour or label the memory has not seen, capitalised names, and noun phrases
    after an article that the memory has no name for."""
    taken = [False] * len(text)
    slots: list[Slot] = []

    def claim(kind: str, value: str, start: int, end: int) -> None:
        if any(taken[start:end]):
            return
        taken[start:end] = [True] * (end - start)
        slots.append(Slot(kind, value, start, end))

    for m in re.finditer(r"[\"“]([^\"”]+)[\"”]", text):
        claim("Q", m.group(1).strip(), m.start(), m.end())
    for m in re.finditer(_CLOCK, text):
        claim("C", m.group(0), m.start(), m.end())
    for start, end, clock in spoken_clocks(text):  # "at half past two": the time as a clock reads, "2:30"
        claim("C", clock, start, end)
    for start, end, clock in said_times(text):  # "two minutes ago", "90 seconds in", "at the 3-minute mark"
        claim("C", clock, start, end)
    known = [(n, "R") for n in names.rooms] + [(n, "F") for n in names.furniture] + [(n, "T") for n in names.things]
    _room_furniture(text, names, claim)
    for name, kind in sorted(set(known), key=lambda x: -len(x[0])):
        if not name.strip():
            continue
        for m in re.finditer(rf"(?:\b{_ARTICLE}\s+)?\b{re.escape(name)}\b", text, re.I):
            claim(kind, name, m.start(), m.end())
    _colour_things(text, names, claim)
    _people(text, names, claim)
    _unknown_phrases(text, names, claim, taken)
    if any(s.kind in "TRFP" or (s.kind == "N" and s.text not in PEOPLE_WORDS) for s in slots):
        # "the person who put the mug ...", "which of the people here": a thing seen only where nothing else is
        slots = [s for s in slots if not (s.kind == "N" and s.text in PEOPLE_WORDS)]
    if not any(s.kind in "TRFNPQ" for s in slots):  # nobody and nothing named: "someone" is what is asked after
        for m in re.finditer(r"\b(?:someone|somebody|anyone|anybody|people)\b", text, re.I):
            claim("N", m.group(0).lower(), m.start(), m.end())
    return sorted(slots, key=lambda s: s.start)


def _room_furniture(text: str, names: Names, claim) -> None:
    """A room's name before a furniture label the memory knows ("the kitchen cabinet", "the office desk") is
    one piece of furniture, the one in that room: people tell pieces of one label apart by their rooms. It
    keeps the memory's name when the memory has one so called, else the words as said."""
    labels = {f.split()[-1] for f in names.furniture if f.strip()}
    known = {f.lower(): f for f in names.furniture}
    for room in sorted((r for r in names.rooms if r.strip()), key=len, reverse=True):
        for label in labels:
            for m in re.finditer(rf"(?:\b{_ARTICLE}\s+)?\b{re.escape(room)}\s+{re.escape(label)}\b", text, re.I):
                said = f"{room} {label}".lower()
                claim("F", known.get(said, said), m.start(), m.end())


def _colour_things(text: str, names: Names, claim) -> None:
    """A colour word and the word after it ("the pink mug"), or a label the memory knows, is a thing."""
    colours, labels = names.colours, names.labels
    for m in re.finditer(rf"(?:\b{_ARTICLE}\s+)?\b([A-Za-z]+)\s+([A-Za-z]+)\b", text):
        first, second = m.group(1).lower(), m.group(2).lower()
        if first in colours and second not in _STOP and second not in COLOURS:
            claim("T", f"{first} {second}", m.start(), m.end())
    for label in labels:
        for m in re.finditer(rf"\b{_ARTICLE}\s+{re.escape(label)}\b", text, re.I):
            claim("T", label, m.start(), m.end())


def _people(text: str, names: Names, claim) -> None:
    """Known names (a slip allowed) anywhere; other capitalised words not opening a sentence."""
    known = {n.lower(): n for n in names.people if n and re.fullmatch(r"[A-Za-z][A-Za-z' -]*", n)}
    for m in re.finditer(r"\b([A-Za-z][a-z']*)\b", text):
        word = m.group(1)[:-2] if m.group(1).endswith("'s") else m.group(1)
        low = word.lower()
        end = m.start() + len(word)
        match = known.get(low)
        if match is None and word[:1].isupper() and len(low) >= 4:
            close = difflib.get_close_matches(low, list(known), n=1, cutoff=NAME_MATCH)
            match = known[close[0]] if close else None
        if match:
            claim("P", match, m.start(), end)
        elif (word[:1].isupper() and low not in _STOP and not low.startswith("i'") and low != "i"
              and (not _opens_sentence(text, m.start()) or _verb_follows(text, end))):
            claim("P", word, m.start(), end)


def _verb_follows(text: str, at: int) -> bool:
    """Whether a verb in the past comes next ("Bob entered ...", "Alice asked ..."): a capitalised word opening
    a sentence is then its subject, a name."""
    m = re.match(r"\s+([a-z]+)\b", text[at:])
    if not m:
        return False
    word = m.group(1)
    return word.endswith("ed") or word in PAST_VERBS


def _opens_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".?!:;\"“”("


def _unknown_phrases(text: str, names: Names, claim, taken: list[bool]) -> None:
    """"the <words>" ("a", "her", "their") up to a word that ends a noun phrase: a name the memory lacks (a thing never
    seen, a piece of furniture never mapped), kept as said; a room or furniture word alone read as the one it ends.
    A phrase followed by "of" ("the number of times", "the location of the box", "the subject of") is what
    the question asks about the name after it, not a name."""
    # the words after an article are looked ahead at, not consumed: "the house opened the wardrobe" has two
    for m in re.finditer(r"\b(?:the|a|an|his|her|their)\s+(?=((?:[A-Za-z]+\s*){1,3}))", text, re.I):
        words = []
        for w in re.finditer(r"\S+", m.group(1)):
            low = w.group(0).lower()
            at = m.start(1) + w.start()
            if low in _STOP or _deed_kind(low) or low in _GENERIC or any(taken[at:at + len(low)]):
                break  # a word of the frame, a deed's verb, or a name already found ends the phrase
            words.append(low)
        if not words:
            continue
        phrase = " ".join(words)
        start = m.start()
        end = m.start(1) + len(" ".join(m.group(1).split()[:len(words)]))
        if re.match(r"\s+of\b", text[end:], re.I):  # "the number of ...", "the location of ...": what is asked
            continue
        place = _ends(phrase, names.furniture) or _ends(phrase, names.rooms)
        if place:
            claim("F" if place in names.furniture else "R", place, start, end)
        else:
            claim("N", phrase, start, end)


def _ends(phrase: str, known: Iterable[str]) -> str | None:
    """The one known name that the phrase ends (its last word), or close to the phrase as a whole."""
    hits = [k for k in known if k.split()[-1] == phrase.split()[-1] or
            difflib.SequenceMatcher(None, k, phrase).ratio() >= 0.85]
    return hits[0] if len(hits) == 1 else None


def _deed_kind(word_or_phrase: str) -> str | None:
    for kind, verbs in DEED_VERBS.items():
        if word_or_phrase in verbs:
            return kind
    return None

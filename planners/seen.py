"""What was in view: the sightings of a kind or label a question names, placed on a map or not.

"When did you last see a person?" needs no map and no world model: ingest stored a sighting for
every detection its detectors made (memory/perceived.py), with the track and the entity it was
re-identified as. This reads the noun phrase of such a question as what to look for: words for
people (a person, someone, a man, ...) stand for the person and face detectors' kinds; anything else
is a label as a detector names it ("dog", "cup"), its plural, and an optional colour word before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from memory.perceived import Seen, seen, sightings

PEOPLE = frozenset({"person", "people", "persons", "someone", "somebody", "anyone", "anybody", "man", "men",
                    "woman", "women", "child", "children", "kid", "kids", "human", "humans", "boy", "girl"})
FACES = frozenset({"face", "faces"})
DETERMINERS = frozenset({"a", "an", "any", "some", "the", "one"})
COLOUR_WORDS = frozenset({"red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown", "white",
                          "grey", "gray", "black"})


@dataclass(frozen=True)
class Wanted:
    """What a noun phrase asks to have seen."""

    phrase: str  # the phrase as asked, determiners dropped ("red cup")
    kinds: tuple[str, ...] = ()  # detector kinds that count (person, face)
    labels: tuple[str, ...] = ()  # detector labels that count ("cup", "cups")
    colour: str = ""  # a colour the thing must have been read as

    @property
    def anything(self) -> bool:
        return bool(self.kinds or self.labels)


def wanted(phrase: str) -> Wanted:
    """The kinds, labels and colour a noun phrase names; nothing for an empty phrase."""
    words = [w for w in re.findall(r"[a-z]+", phrase.lower()) if w not in DETERMINERS]
    if not words:
        return Wanted("")
    text = " ".join(words)
    if words[-1] in PEOPLE or text in PEOPLE:
        return Wanted(text, kinds=("person", "face"))
    if words[-1] in FACES:
        return Wanted(text, kinds=("face",))
    colour = words[0] if len(words) > 1 and words[0] in COLOUR_WORDS else ""
    noun = " ".join(words[1:] if colour else words)
    forms = {noun, noun[:-1] if noun.endswith("s") else noun + "s", noun[:-2] if noun.endswith("es") else noun}
    return Wanted(text, labels=tuple(sorted(forms)), colour="grey" if colour == "gray" else colour)


def sightings_of(store, want: Wanted, until: float | None = None) -> list[Seen]:
    """The sightings up to ``until`` that count as seeing what ``want`` names, by time."""
    if not want.anything:
        return []
    rows = seen(store, kinds=want.kinds, labels=want.labels, until=until)
    return [s for s in rows if not want.colour or s.colour == want.colour]


@dataclass(frozen=True)
class Placed:
    """The placed sightings of what a phrase names, by time (positions as stored: raw odometry frame)."""

    times: np.ndarray
    xs: np.ndarray
    ys: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


def placed_sightings(store, want: Wanted, until: float | None = None) -> Placed:
    """The sightings with a position of the things ``want`` names (labels, and colour when one is named;
    never people), up to ``until``: every detection, whatever track or entity it was given, as a
    detector read it."""
    rows = [r for r in sightings(store, until=until)
            if r[4] not in ("person", "face") and r[5] in want.labels and (not want.colour or r[6] == want.colour)]
    return Placed(np.array([r[2] for r in rows], float), np.array([r[8] for r in rows], float),
                  np.array([r[9] for r in rows], float))

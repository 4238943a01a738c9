"""An embodied instruction read into what a planner needs: the intent, the thing (label, colour) and a room.

Meaning is read from English function words and from what memory knows, never from one generator's
templates: the room is any map area named in the text; the colour is any colour word perception names;
the thing is what is left once verbs, articles, pronouns and place words are taken out (matched to a
label memory has seen when one fits). Intents: ``is_open`` (a yes/no question about being open or
closed), ``last_seen`` (a place where something was last seen), ``bring`` (carry something to a room),
``find`` (the rest: go and look at it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from perception.colour import BASIC_COLOURS

INTENTS = ("find", "last_seen", "bring", "is_open")
_CARRY = {"bring", "fetch", "carry", "take", "move", "put", "deliver"}
_FUNCTION = {
    "a", "an", "the", "my", "your", "our", "this", "that", "some", "any", "please", "to", "into", "in", "on", "at",
    "of", "for", "from", "and", "it", "me", "us", "you", "i", "we", "is", "are", "was", "were", "be", "been", "do",
    "does", "did", "can", "could", "would", "will", "go", "goes", "going", "get", "look", "looking", "find", "search",
    "locate", "where", "whether", "check", "see", "saw", "seen", "last", "spot", "place", "there", "here", "now",
    "still", "again", "up", "over", "with", "let", "know", "tell", "show", "what", "which", "if", "or", "not",
    "open", "opened", "closed", "shut", "time", "lastly", "latest", "recently", "one", "thing", "please.", "head",
    "walk", "drive", "return", "back", "room", "area", "then", "point", "location", *_CARRY,
}


@dataclass(frozen=True)
class Instruction:
    """What an embodied instruction asks."""

    text: str
    intent: str  # one of INTENTS
    label: str  # the thing's label as a detector names it ("mug"), "" when none could be read
    colour: str = ""  # its colour word, "" when none was given
    room: str = ""  # the map area named as the destination or place, "" when none

    def to_dict(self) -> dict:
        return {"text": self.text, "intent": self.intent, "label": self.label, "colour": self.colour,
                "room": self.room}


def parse_instruction(text: str, labels: Iterable[str] = (), rooms: Iterable[str] = ()) -> Instruction:
    """Read ``text`` with the labels memory has seen and the map's area names (both may be empty)."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"instruction {text!r}: expected a non-empty sentence")
    lowered = text.lower().strip()
    words = re.findall(r"[a-z]+", lowered)
    room = _named(lowered, rooms)
    intent = _intent(lowered, words, room)
    rest = lowered
    if room:
        rest = re.sub(rf"\b{re.escape(room)}\b", " ", rest)
    content = [w for w in re.findall(r"[a-z]+", rest) if w not in _FUNCTION]
    colour = next((w for w in content if w in BASIC_COLOURS), "")
    phrase = " ".join(w for w in content if w != colour)
    return Instruction(text, intent, _label(phrase, labels), colour, room)


def _named(text: str, names: Iterable[str]) -> str:
    """The longest of ``names`` that the text names as whole words."""
    found = [n for n in names if n and re.search(rf"\b{re.escape(n.lower())}\b", text)]
    return max(found, key=len).lower() if found else ""


def _intent(text: str, words: list[str], room: str) -> str:
    question = text.endswith("?") or words[:1] in (["is"], ["are"]) or "whether" in words
    if ("open" in words or "closed" in words or "shut" in words) and (question or "check" in words):
        return "is_open"
    if "last" in words and ({"saw", "seen", "see"} & set(words)):
        return "last_seen"
    if room and (_CARRY & set(words)):
        return "bring"
    return "find"


def _label(phrase: str, labels: Iterable[str]) -> str:
    """The known label the phrase names (longest match), else the phrase's last word (English heads last)."""
    phrase = phrase.strip()
    known = sorted({label.lower() for label in labels if label}, key=len, reverse=True)
    for label in known:
        if re.search(rf"\b{re.escape(label)}\b", phrase):
            return label
    if phrase in ("person", "someone", "somebody", "people", "anyone", "man", "woman"):
        return "person"
    words = phrase.split()
    if words and words[-1] in ("someone", "somebody", "anyone", "man", "woman", "people"):
        return "person"
    return words[-1] if words else ""

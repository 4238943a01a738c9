"""Misheard words put right with the house's own vocabulary.

A speech recogniser substitutes similar-sounding words ("tea wallet", "living zoom", "dying table").
The robot knows the words that matter in its house: the colours and labels of the things it has
seen, its furniture and the rooms of its map. A heard word close in spelling to one of those (and
not a common word said as such) is read as that word; words ending in the last word of a house
phrase and alike as a whole ("dying table") are read as the phrase ("dining table").
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable

SIMILAR = 0.75  # difflib ratio from which a heard word is read as a house word
PHRASE_SIMILAR = 0.85  # difflib ratio from which heard words ending a house phrase are read as the phrase
COMMON = frozenset(  # words said as such far more often than misheard: never corrected
    "a an the and but or to in on at of for from with by into onto under inside is are was were be been "
    "it its it's i you he she we they me my your our their this that these those here there what where "
    "when who how why put get got go going gone has have had do did done can could would will should "
    "please okay no yes not new old like looks look bit some any all one two see seen meet let let's "
    "out up down off now then just also very really too ate bought yesterday today forget don't".split())


class Lexicon:
    """House words; ``correct`` rewrites a heard line with them."""

    def __init__(self, phrases: Iterable[str]) -> None:
        phrases = [" ".join(re.findall(r"[a-z]+", p.lower())) for p in phrases]
        self.words = sorted({w for p in phrases for w in p.split() if len(w) >= 3})
        self.phrases = sorted({p for p in phrases if len(p.split()) >= 2}, key=lambda p: -len(p.split()))

    def word(self, heard: str) -> str:
        """The house word a heard word most likely was (itself when none is close, or it is common)."""
        low = heard.lower()
        if len(low) < 3 or low in COMMON or low in self.words:
            return heard
        match = difflib.get_close_matches(low, self.words, n=1, cutoff=SIMILAR)
        return match[0] if match else heard

    def correct(self, text: str) -> str:
        return self._phrases(re.sub(r"[A-Za-z]+", lambda m: self.word(m.group(0)), text))

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

"""Misheard words put right with the house's words; common words left alone."""

from __future__ import annotations

import pytest

from planners.lexicon import Lexicon

HOUSE = Lexicon(["teal wallet", "orange book", "living room", "dining room", "dining table", "sofa", "wardrobe", "Carol"])


@pytest.mark.parametrize("heard, meant", [
    ("I put the tea wallet in the wardrobe.", "I put the teal wallet in the wardrobe."),
    ("Let's meet in the living zoom at 10:20.", "Let's meet in the living room at 10:20."),
    ("I put the orange cook on the soda.", "I put the orange book on the sofa."),
    ("Has anyone seen the keys?", "Has anyone seen the keys?"),  # nothing close: unchanged
    ("It looks a bit broken.", "It looks a bit broken."),
    # a word too far off alone ("dying" for "dining"), put right as part of the phrase it ends
    ("I put the orange book on the dying table in the dying room.",
     "I put the orange book on the dining table in the dining room."),
    ("I am going to the living room.", "I am going to the living room."),  # a house phrase as heard stays
    ("Put it on the table in the room.", "Put it on the table in the room."),  # too little heard to tell which
])
def test_correct(heard, meant):
    assert HOUSE.correct(heard) == meant


def test_common_and_short_words_are_kept():
    assert HOUSE.word("the") == "the" and HOUSE.word("at") == "at" and HOUSE.word("put") == "put"
    assert HOUSE.word("sofa") == "sofa"

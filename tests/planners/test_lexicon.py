"""Misheard words put right with the house's words; common words left alone."""

from __future__ import annotations

import pytest

from planners.lexicon import Lexicon

HOUSE = Lexicon(["teal wallet", "orange book", "living room", "dining room", "sofa", "wardrobe", "Carol"])


@pytest.mark.parametrize("heard, meant", [
    ("I put the tea wallet in the wardrobe.", "I put the teal wallet in the wardrobe."),
    ("Let's meet in the living zoom at 10:20.", "Let's meet in the living room at 10:20."),
    ("I put the orange cook on the soda.", "I put the orange book on the sofa."),
    ("Has anyone seen the keys?", "Has anyone seen the keys?"),  # nothing close: unchanged
    ("It looks a bit broken.", "It looks a bit broken."),
])
def test_correct(heard, meant):
    assert HOUSE.correct(heard) == meant


def test_common_and_short_words_are_kept():
    assert HOUSE.word("the") == "the" and HOUSE.word("at") == "at" and HOUSE.word("put") == "put"
    assert HOUSE.word("sofa") == "sofa"

"""Misheard words put right with the house's words; common words left alone."""

from __future__ import annotations

import pytest

from planners.lexicon import Lexicon

HOUSE = Lexicon(["teal wallet", "orange book", "Carol"], rooms=["living room", "dining room"],
                furniture=["dining table", "sofa", "wardrobe"])


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


HEARD = ["Has anyone seen the black keys?"] * 6 + ["I am going to the bedroom to read."] * 2 + [
    "Don't forget to fix the bike at 10:05.", "Let's meet in the office at 9:30."] * 5
BY_SOUND = Lexicon(["black keys", "white book", "teal wallet", "red cup"], heard=HEARD,
                   rooms=["kitchen", "living room", "dining room", "bedroom", "office"],
                   furniture=["living room shelf", "dining table", "bed", "counter", "sofa"])


@pytest.mark.parametrize("heard, meant", [
    # sounds alike, spelt apart: by a house word, or where a room stands
    ("I put the black peas on the sofa.", "I put the black keys on the sofa."),
    ("I put the wide book on the bed.", "I put the white book on the bed."),
    ("I put the tea wallet in the bedroom.", "I put the teal wallet in the bedroom."),
    ("I put the cup on the counter in the chicken.", "I put the cup on the counter in the kitchen."),
    ("I put the cup on the living room self.", "I put the cup on the living room shelf."),
    # a rare word sounding just like one heard far more often
    ("Has anyone scene the red cup?", "Has anyone seen the red cup?"),
    # a room's first word left alone: the rest was dropped; not when a house phrase goes on
    ("Let's meet in the dining at 9:50.", "Let's meet in the dining room at 9:50."),
    ("I put the cup on the sofa in the living", "I put the cup on the sofa in the living room"),
    ("I put the cup on the dining table.", "I put the cup on the dining table."),
    # real words away from house words stay: not every "the" is followed by a house word
    ("Don't forget to fix the bike at 10:05.", "Don't forget to fix the bike at 10:05."),
    ("I am going to the bedroom to have a read.", "I am going to the bedroom to have a read."),
    ("I think the red cup is in the office.", "I think the red cup is in the office."),
])
def test_correct_by_sound(heard, meant):
    assert BY_SOUND.correct(heard) == meant


def test_words_heard_often_are_kept():
    """A real word heard often is said as such, even by a house word it sounds like."""
    often = Lexicon(["black keys"], heard=["I ate the black peas."] * 3)
    assert often.correct("I put the black peas down.") == "I put the black peas down."
    assert Lexicon(["black keys"]).correct("I put the black peas down.") == "I put the black keys down."


def test_a_phrase_with_every_word_off():
    """Neither word alone stands by a house word, but together they are one, each word a little off."""
    house = Lexicon(["teal wallet", "grey pencil"], furniture=["sofa"])
    assert house.correct("I put the deal stencil on the sofa.") == "I put the teal pencil on the sofa."
    assert house.correct("I put the deal on the sofa.") == "I put the deal on the sofa."

"""The names a question holds, resolved against a small lexicon of the house's words."""

from __future__ import annotations

from planners.question_slots import Names, find_slots

NAMES = Names(things=("red mug", "teal wallet", "white box"), people=("Alice", "Bob"),
              rooms=("living room", "kitchen", "office"), furniture=("office cabinet", "dining table", "fridge"))


def test_names_resolve_against_the_house_words():
    slots = find_slots('Did Bob say "hi" to Alice near the cabinet at 10:02, after the pink mug fell?', NAMES)
    assert [(s.kind, s.text) for s in slots] == [
        ("P", "Bob"), ("Q", "hi"), ("P", "Alice"), ("F", "office cabinet"), ("C", "10:02"), ("T", "pink mug")]
    assert [(s.kind, s.text) for s in find_slots("Where is the dining table in the living room?", NAMES)] == [
        ("F", "dining table"), ("R", "living room")]  # the longest house name wins
    assert [(s.kind, s.text) for s in find_slots("Where's Alise's wallet?", NAMES)] == [("P", "Alice")]  # a slip
    # a name the memory never heard: a capitalised word inside a sentence, or opening one before a verb in the past
    assert [(s.kind, s.text) for s in find_slots("Carol left; when did Dave come back?", NAMES)] == [
        ("P", "Carol"), ("P", "Dave")]
    assert find_slots("Count the times.", NAMES) == []


def test_a_room_before_a_furniture_label_names_the_piece_in_that_room():
    names = Names(rooms=("kitchen", "office", "dining room"),
                  furniture=("cabinet", "sink cabinet", "dining room chair"))
    # said as the memory calls it, or by a room the memory never put a piece of that label in: one piece, kept as said
    assert [(s.kind, s.text) for s in find_slots("How often was the office cabinet opened?", names)] == [
        ("F", "office cabinet")]
    assert [(s.kind, s.text) for s in find_slots("When did Bob sit on the dining room chair?", names)] == [
        ("P", "Bob"), ("F", "dining room chair")]
    assert [(s.kind, s.text) for s in find_slots("Did Alice go into the kitchen after the cabinet?", names)] == [
        ("P", "Alice"), ("R", "kitchen"), ("F", "cabinet")]  # a room alone is a room

"""Reading embodied instructions (planners/instruction.py) on phrasings the task generator never uses."""

from __future__ import annotations

import pytest

from planners.instruction import parse_instruction
from sim.tasks import PHRASINGS

LABELS = ["mug", "sink cabinet", "fridge", "person", "book", "tablet"]
ROOMS = ["kitchen", "living room", "bedroom"]


@pytest.mark.parametrize("text, intent, label, colour, room", [
    ("Could you go and find my green book?", "find", "book", "green", ""),
    ("I need the red mug, where did it get to?", "find", "mug", "red", ""),
    ("Carry the blue tablet over to the living room.", "bring", "tablet", "blue", "living room"),
    ("Fetch me the yellow mug from the bedroom and bring it to the kitchen", "bring", "mug", "yellow", "kitchen"),
    ("Has anyone left the fridge open?", "is_open", "fridge", "", ""),
    ("Is the sink cabinet closed?", "is_open", "sink cabinet", "", ""),
    ("Where did you see someone last? Go there.", "last_seen", "person", "", ""),
    ("Head to the place you last saw the white book", "last_seen", "book", "white", ""),
])
def test_unseen_phrasings(text, intent, label, colour, room):
    got = parse_instruction(text, LABELS, ROOMS)
    assert (got.intent, got.label, got.colour) == (intent, label, colour)
    if intent == "bring":
        assert got.room == room


def test_without_memory_the_head_noun_is_the_label():
    """An empty memory knows no labels: the phrase's head word stands for the thing."""
    got = parse_instruction("Look for the orange laptop.", [], [])
    assert (got.intent, got.label, got.colour) == ("find", "laptop", "orange")


def test_the_generators_phrasings_read_right():
    for kind, phrasings in PHRASINGS.items():
        for p in phrasings:
            text = p.format(thing="the red mug" if kind == "last_seen" else "red mug", room="kitchen")
            if kind == "is_open":
                text = p.format(thing="fridge", room="")
            got = parse_instruction(text, LABELS, ROOMS)
            assert got.intent == kind, text
            assert got.label == ("fridge" if kind == "is_open" else "mug"), text


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="instruction"):
        parse_instruction("   ")

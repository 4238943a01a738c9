"""Counts and durations of the built-in answerer (planners/answer_counts.py) over the hand-built perceived world
of perceived_world.py: Alice walks from the kitchen into the office (in at 52 s, last seen at 63.8 s); Bob
stands at the fridge in the kitchen (120-130 s)."""

from __future__ import annotations

import pytest

from planners.builtin import BuiltinAnswerer


@pytest.fixture
def answerer(world_store):
    return BuiltinAnswerer(world_store)


def test_a_stay_is_measured_on_the_track_of_whoever_entered_then_when_the_name_is_unknown(answerer):
    """The question names the room and the time of the entry: the one seen there then is the one asked after,
    so a name the memory never learned gets the same stay as the right one, and says whose track it read."""
    named = answerer.answer("How long did Alice stay in the office after entering it at 00:00:52?", 150.0)
    assert named.kind == "duration" and 10.0 <= named.value <= 14.0, named  # in at 52 s, last seen at 63.8 s
    unnamed = answerer.answer("Dave entered the office at 00:00:52; how long did they stay?", 150.0)
    assert unnamed.value == named.value and "Alice" in unnamed.detail["note"], unnamed.detail
    # nobody seen entering the office then: no stay, not a guess
    nobody = answerer.answer("How long did Dave stay in the office after going in at 00:02:00?", 150.0)
    assert not nobody.known


def test_a_count_about_someone_never_identified_is_unknown_not_zero(answerer):
    assert answerer.answer("How many times did Alice go into the office?", 150.0).value == 1
    answer = answerer.answer("How many times did Dave go into the office?", 150.0)
    assert not answer.known and answer.detail["rule"] == "_count_enter", answer.detail
    assert answerer.answer("How often did Bob speak?", 150.0).value == 1  # a voice known by that name: counted
    # every voice heard has a name, none of them Dave's: he was never heard (no voice nobody named may be his)
    assert answerer.answer("How often did Dave speak?", 150.0).value == 0


def test_a_piece_of_furniture_named_by_its_room_is_the_one_of_that_label(answerer):
    """"the kitchen fridge" is the fridge (the only one); a label nobody saw names none."""
    base = answerer.cut(150.0)
    assert base._pieces_named("kitchen fridge") == {"fridge"} == base._pieces_named("the fridge")
    assert base._pieces_named("office desk") == {"desk"} and base._pieces_named("kitchen sofa") == set()


def test_a_thing_is_first_seen_at_the_first_glimpse_of_its_label_and_colour(world_store):
    """A glimpse of a red mug at 2 s (a track of its own) comes before the red mug's first resting sighting
    (5 s): joined to the thing or not, it is when a red mug was first seen; a label never seen is unknown."""
    from memory.perceived import Sighting, add_sightings

    add_sightings(world_store, [Sighting("s1", 2.0, 99, "object", "mug", 0.8, 3.0, 3.0, "red")])
    answerer = BuiltinAnswerer(world_store)
    answer = answerer.answer("When did you first see the red mug?", 150.0)
    assert answer.kind == "time" and answer.value == 2.0, answer
    assert not answerer.answer("When did you first see the green kettle?", 150.0).known

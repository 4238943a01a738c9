"""Counts and durations of the built-in answerer (planners/answer_counts.py) over the hand-built perceived world
of perceived_world.py: Alice walks from the kitchen into the office (in at 52 s, last seen at 63.8 s); Bob
stands at the fridge in the kitchen (120-130 s)."""

from __future__ import annotations

import numpy as np
import pytest

from memory.perceived import Sighting, add_sightings
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


def test_the_chance_one_deed_came_first_is_read_off_when_each_may_have_been_done():
    """``_earlier`` against sums done by hand: certain times are ordered; a deed never seen (even over the
    seconds before the question) came after one seen at second s of n with a chance of (n - s - 0.5) / n."""
    from planners.answer_counts import _earlier

    seen_at = lambda s, n: np.eye(n)[s]  # noqa: E731
    anytime = np.full(100, 0.01)
    assert _earlier(seen_at(10, 100), seen_at(20, 100)) == 1.0
    assert _earlier(seen_at(20, 100), seen_at(10, 100)) == 0.0
    assert _earlier(seen_at(20, 100), seen_at(20, 100)) == 0.5  # one second: no order
    assert _earlier(seen_at(20, 100), anytime) == pytest.approx(79.5 / 100)
    assert _earlier(anytime, seen_at(20, 100)) == pytest.approx(20.5 / 100)
    assert _earlier(anytime, anytime) == pytest.approx(0.5)
    assert _earlier(None, anytime) is None


@pytest.fixture
def with_someone_unnamed(world_store):
    """The hand-built world and a third person, never heard, who walks from the kitchen into the office at
    150-158 s (crossing x = 5 at 154 s): "person N", nobody has named them."""
    carol = np.zeros(16, np.float16)
    carol[2] = 1
    add_sightings(world_store, [Sighting("s1", float(t), 12, "person", "person", 0.9, 3.0 + (t - 150.0) * 0.5, 2.0,
                                         appearance=carol.tobytes()) for t in np.arange(150.0, 158.0, 0.2)])
    return BuiltinAnswerer(world_store)


def test_a_deed_of_someone_memory_knows_by_no_name_is_that_of_someone_nobody_named(with_someone_unnamed):
    """Asked after a name nobody was heard called, the answer reads the deeds of the people nobody has named
    (any of them may be the one asked after), never those of someone known by another name, and says so."""
    answerer = with_someone_unnamed
    when = answerer.answer("When did Dave first go into the office?", 190.0)
    assert when.kind == "time" and when.value == pytest.approx(154.0, abs=2.0), when  # not Alice's, at 52 s
    assert "nobody is known as Dave" in when.detail["note"]
    assert answerer.answer("How many times did Dave go into the office?", 190.0).value == 1
    assert answerer.answer("How many times did Alice go into the office?", 190.0).value == 1
    assert not answerer.answer("When did Dave first go into the office?", 140.0).known  # not yet seen
    # Bob is known, but never seen entering the office: his track may be among the pieces nobody named
    bob = answerer.answer("When did Bob last go into the office?", 190.0)
    assert bob.value == pytest.approx(154.0, abs=2.0) and "never saw Bob do it" in bob.detail["note"], bob


def test_a_count_for_someone_nobody_named_is_one_persons_not_everyones(world_store):
    """Two people nobody named each walk into the office once: asked how often Dave did, the answer is one
    person's count (either may be Dave), not the two entries of both."""
    for track, start in ((12, 150.0), (13, 170.0)):
        look = np.zeros(16, np.float16)
        look[track - 10] = 1
        walk = np.arange(start, start + 8.0, 0.2)
        add_sightings(world_store, [Sighting("s1", float(t), track, "person", "person", 0.9, 3.0 + (t - start) * 0.5,
                                             2.0, appearance=look.tobytes()) for t in walk])
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("How many times did Dave go into the office?", 190.0).value == 1
    assert answerer.answer("When did Dave last go into the office?", 190.0).value == pytest.approx(174.0, abs=2.0)


def test_an_order_read_off_a_deed_never_seen_is_as_sure_as_its_chance(answerer):
    """The put was seen at about 60 s, the wardrobe never: asked at 190 s, it opened at any second before
    with even chances, after the put with about 129.5 / 190; the answer's confidence is that chance."""
    answer = answerer.answer("Did Alice put the red mug on the desk before Bob opened the wardrobe?", 190.0)
    assert answer.value is True and answer.confidence == pytest.approx(129.5 / 190.0, abs=0.02), answer
    assert "not seen" in answer.detail["note"]
    assert not answerer.answer("Did Carol open the wardrobe before Bob opened the sideboard?", 190.0).known


@pytest.mark.parametrize("question, expected", [
    ("Which came first, Bob opening the fridge or Alice putting the red mug on the desk?",
     "Alice putting the red mug on the desk"),
    ("Which happened more recently: Alice putting the red mug on the desk, or Bob opening the fridge?",
     "Bob opening the fridge"),
    ("Did Bob open the fridge or did Alice put the red mug on the desk first?", "Alice put the red mug on the desk"),
])
def test_which_of_two_deeds_came_first_is_the_earlier_said_as_asked(answerer, question, expected):
    """A choice between two deeds is answered with the one asked for (the first or the last), in the words
    the question used for it: the put was seen at 60 s, Bob at the fridge at 120-130 s."""
    answer = answerer.answer(question, 150.0)
    assert answer.kind == "text" and answer.value == expected, answer


@pytest.mark.parametrize("question, expected", [
    ("Bob opened the fridge. Had Alice put the red mug on the desk before that?", True),
    ("Alice put the red mug on the desk; did Bob open the fridge afterwards?", True),
    ("Bob opened the fridge; did Alice put the red mug on the desk after that?", False),
])
def test_a_deed_referred_back_to_by_that_is_the_one_said_before(answerer, question, expected):
    answer = answerer.answer(question, 150.0)
    assert answer.kind == "yes_no" and answer.value is expected, answer


def _person(store, track: int, look: int, path: list[tuple[float, float, float]]) -> None:
    """Sightings of one person track with appearance ``look`` (a one-hot vector) along ``path`` [(t, x, y)]."""
    vector = np.zeros(16, np.float16)
    vector[look] = 1
    add_sightings(store, [Sighting("s1", float(t), track, "person", "person", 0.9, x, y, appearance=vector.tobytes())
                          for t, x, y in path])


def test_a_stay_not_seen_for_long_is_read_on_whoever_was_seen_entering_else_only_bounded(world_store):
    """Alice (named) is next seen in the kitchen at 240 s; someone nobody named walks into the office at 198 s
    (crossing the door at x = 5), stands there, and walks back out at 210 s. Asked how long Alice stayed in the
    office after going in at 198 s: she was not seen for 42 s after, so her track only bounds the stay; the one
    seen going in then gives it: 12 s. Asked after 215 s, when nobody was seen going in, the bound is all there is
    (25 s, to when she was next seen elsewhere), said to be one."""
    def walk(t0: float, x0: float, x1: float) -> list[tuple[float, float, float]]:  # 4 s along y = 2
        return [(t, x0 + (x1 - x0) * (t - t0) / 4.0, 2.0) for t in np.arange(t0, t0 + 4.0, 0.2)]

    def stand(t0: float, t1: float, x: float) -> list[tuple[float, float, float]]:
        return [(t, x, 2.0) for t in np.arange(t0, t1, 0.2)]

    _person(world_store, 21, 5, walk(196.0, 3.0, 7.0) + stand(200.0, 208.0, 7.0) + walk(208.0, 7.0, 3.0)
            + stand(212.0, 216.0, 3.0))
    _person(world_store, 10, 0, stand(240.0, 245.0, 3.0))  # Alice, her track picked up again
    answerer = BuiltinAnswerer(world_store)
    seen = answerer.answer("How long did Alice stay in the office after entering it at 00:03:18?", 260.0)
    assert seen.value == pytest.approx(12.0, abs=1.5) and "seen entering the office" in seen.detail["note"], seen
    bound = answerer.answer("How long did Alice stay in the office after entering it at 00:03:35?", 260.0)
    assert bound.value == pytest.approx(25.0, abs=1.0) and "at most" in bound.detail["note"], bound

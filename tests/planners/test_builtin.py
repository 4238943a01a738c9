"""The built-in answerer on a hand-built perceived world whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from memory.perceived import Heard, Sighting, add_heard, add_sightings
from planners.builtin import WHAT_SAID_MATCH, BuiltinAnswerer, _bare_kind

CASES = [  # (question, asked at, kind, expected value or a check)
    ("Where is the red mug now?", 100.0, "room", "office"),
    ("Where is the red mug now?", 50.0, "room", "kitchen"),
    ("Where was the red mug at 00:00:30?", 150.0, "room", "kitchen"),
    ("Where was the red mug at 0:30?", 150.0, "room", "kitchen"),  # m:ss: as h:mm it would be after the question
    ("Which room was the red mug in two minutes ago?", 150.0, "room", "kitchen"),
    ("Where was the red mug when Bob opened the wardrobe?", 150.0, "unknown", None),  # a moment never seen
    ("Where is the blue box?", 150.0, "unknown", None),
    ("Where is the pink mug now?", 100.0, "unknown", None),  # nobody saw or spoke of a pink mug
    ("Where is the green mug now?", 100.0, "unknown", None),  # green never reads as red
    ("Where is the red mug?", 3.0, "unknown", None),  # not seen yet
    ("When did you first see the red mug?", 150.0, "time", pytest.approx(5.0, abs=0.5)),
    ("Who last put the red mug on the desk?", 150.0, "person", "Alice"),
    ("When did you last see someone put down the red mug?", 150.0, "time", pytest.approx(60.0, abs=3.0)),
    ("How many times did you hear Alice speak?", 150.0, "count", 1),
    ("How many times did you hear Alice speak?", 50.0, "count", 0),
    ('Who said "I like the new fridge"?', 150.0, "person", "Bob"),
    ("What did Alice last say about the red mug?", 150.0, "text", "Bob, please bring the red mug to the office."),
    ("What did Bob say about the red mug?", 150.0, "unknown", None),
    ("How long did you stay in the kitchen after entering it at 00:00:00?", 150.0, "duration",
     pytest.approx(99.5, abs=1.0)),
    ("When did you last see someone open the fridge?", 150.0, "time", pytest.approx(120.0, abs=2.0)),
    ("Who last opened the fridge?", 150.0, "person", "Bob"),
    ("How many times did you see someone open the fridge?", 150.0, "count", 1),
    ("How many times did you see Alice enter the office?", 150.0, "count", 1),
    ("Did Alice put the red mug on the desk before Bob opened the fridge?", 150.0, "yes_no", True),
    ("Did Bob open the fridge before Alice put the red mug on the desk?", 150.0, "yes_no", False),
    # one side never seen: it may have been done at any time before the question, so the deed seen (put at
    # 60 s) came first when asked at 190 s (a chance of 0.68), and likely second when asked at 80 s (0.76)
    ("Did Alice put the red mug on the desk before Bob opened the wardrobe?", 190.0, "yes_no", True),
    ("Did Bob open the wardrobe before Alice put the red mug on the desk?", 190.0, "yes_no", False),
    ("Did Alice put the red mug on the desk before Bob opened the wardrobe?", 80.0, "yes_no", False),
    ("Did Carol open the wardrobe before Bob opened the sideboard?", 150.0, "unknown", None),
    ("Where is the thing Alice asked Bob to bring?", 150.0, "room", "office"),
    ("Where is the object you last saw Alice put down?", 150.0, "room", "office"),
    ("What is the meaning of life?", 150.0, "unknown", None),
]


@pytest.mark.parametrize("question, at, kind, expected", CASES, ids=[c[0] + f"@{c[1]:g}" for c in CASES])
def test_builtin_answers(world_store, question, at, kind, expected):
    answer = BuiltinAnswerer(world_store).answer(question, at)
    assert answer.kind == kind, answer
    assert answer.value == expected
    assert answer.asked_at == at and answer.answerer == "builtin"
    if kind == "unknown":
        assert answer.text == "I don't know" and answer.confidence == 0.0
    else:
        assert 0 < answer.confidence <= 1
        assert answer.evidence or answer.value == 0  # nothing to show for "never"
        for e in answer.evidence:
            assert e.stream == "s1" and e.start <= e.end and e.event > 0


def test_answers_only_from_the_past(world_store):
    """Asked before the mug moved, the answer is where it was then, whatever came later."""
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("Where is the red mug now?", 45.0).value == "kitchen"
    assert answerer.answer("Who last put the red mug on the desk?", 45.0).value is None


def test_answer_to_dict_round_trips_fields(world_store):
    data = BuiltinAnswerer(world_store).answer("Where is the red mug now?", 100.0).to_dict()
    assert set(data) >= {"question", "answer", "value", "kind", "confidence", "evidence", "asked_at", "answerer"}
    assert data["evidence"][0]["keyframe"] is None and data["evidence"][0]["event"] > 0


def test_evidence_names_what_and_where(world_store):
    answer = BuiltinAnswerer(world_store).answer("Where is the red mug now?", 150.0)
    e = answer.evidence[0]
    assert e.entities == ("red mug",) and e.place == "kitchen"  # where the camera was when it last saw it
    assert e.start <= 89.8 < e.end and "office" in e.note


def test_a_thing_not_seen_shows_its_lookalike_as_the_closest_evidence(world_store):
    """No pink mug was seen or spoken of (such questions ask after things that are not there): "I don't
    know", with the red mug that was seen, where it was, as the closest evidence."""
    answer = BuiltinAnswerer(world_store).answer("Where is the pink mug now?", 100.0)
    assert not answer.known
    assert [e.entities for e in answer.evidence] == [("red mug",)] and "office" in answer.evidence[0].note


def test_a_thing_spoken_of_is_the_one_lookalike_seen(world_store):
    """Someone spoke of the pink mug, so it exists; no pink mug was seen, and the one mug seen read red:
    its colour was misread, and it is the pink mug. A slip of the recogniser in the name still counts."""
    add_heard(world_store, [Heard("s1", 140.0, 142.0, "Have you seen the pinc mug?", "Bob")])
    answer = BuiltinAnswerer(world_store).answer("Where is the pink mug now?", 150.0)
    assert answer.value == "office" and answer.evidence[0].entities == ("red mug",)
    assert not BuiltinAnswerer(world_store).answer("Where is the pink mug now?", 130.0).known  # not yet spoken of
    assert not BuiltinAnswerer(world_store).answer("Where is the green mug now?", 150.0).known  # green never reads red


def test_who_put_a_thing_on_furniture_skips_a_pause_while_carried(world_store):
    """Alice put the red mug on the desk at 60 s. At 140 s Bob takes it, stands a moment 0.6 m from the
    desk holding it (a pause: a short stay by the desk) and carries it to the kitchen, where it rests from
    150 s. The last to put it on the desk is Alice: Bob's pause was no put."""
    bob = np.zeros(16, np.float16)
    bob[1] = 1
    rows = [Sighting("s1", t, 2, "object", "mug", 0.9, 8.0, 2.0, "red") for t in np.arange(90.0, 140.0, 0.2)]
    rows += [Sighting("s1", t, 2, "object", "mug", 0.9, 7.4, 2.0, "red") for t in np.arange(140.2, 141.2, 0.2)]
    rows += [Sighting("s1", t, 2, "object", "mug", 0.9, 7.4 - 0.6 * (t - 141.2), 2.0, "red")
             for t in np.arange(141.4, 149.0, 0.4)]
    rows += [Sighting("s1", t, 2, "object", "mug", 0.9, 2.0, 1.0, "red") for t in np.arange(150.0, 190.0, 0.2)]
    rows += [Sighting("s1", t, 11, "person", "person", 0.9, max(8.3 - 0.6 * max(t - 141.0, 0.0), 2.3), 2.3,
                      appearance=bob.tobytes()) for t in np.arange(138.0, 152.0, 0.2)]
    add_sightings(world_store, rows)
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("Who last put the red mug on the desk?", 195.0).value == "Alice"
    assert answerer.answer("Where is the red mug now?", 195.0).value == "kitchen"


def test_a_thing_talked_about_is_found_in_a_misheard_line(world_store):
    """Bob's "red mug" came out as "red mud" (a real word a sound off, next to a colour): the thing he
    talked about is the red mug all the same."""
    add_heard(world_store, [Heard("s1", 140.0, 142.0, "Please be careful with the red mud, it is fragile.", "Bob")])
    answer = BuiltinAnswerer(world_store).answer("Where is the thing Bob talked about at 00:02:20 now?", 150.0)
    assert answer.value == "office"


@pytest.mark.parametrize("heard, found", [("Has anyone seen the red", True), ("The red looks a bit broken.", True),
                                          ("Has anyone seen the red box?", False), ("I really like red.", False)])
def test_a_line_whose_label_the_recogniser_dropped_is_still_found(world_store, heard, found):
    """Bob asked after the red mug and "mug" was lost ("has anyone seen the red"): the red, named by
    nothing after it, may be the red mug. "The red box" is another thing, and "red" with no article
    before it names no thing at all."""
    add_heard(world_store, [Heard("s1", 140.0, 142.0, heard, "Bob")])
    answer = BuiltinAnswerer(world_store).answer("What did Bob last say about the red mug?", 150.0)
    assert answer.value == (heard if found else None)


def test_a_request_heard_in_the_wrong_voice_is_still_found(world_store):
    """Alice's "Bob, please bring the red mug ..." could have been given to another voice by diarisation:
    asked what Carol (heard, but never asking anything) asked Bob to bring, it is the request spoken to
    Bob; nobody asked Alice for anything, and a voice never heard asked nothing."""
    add_heard(world_store, [Heard("s1", 130.0, 131.0, "I like the sofa.", "Carol")])
    answerer = BuiltinAnswerer(world_store)
    found = answerer.answer("Where is the thing Carol asked Bob to bring?", 150.0)
    assert found.value == "office" and "Alice: 'Bob, please bring the red mug" in found.evidence[0].note
    assert answerer.answer("Where is the thing Bob asked Alice to bring?", 150.0).value is None
    assert answerer.answer("Where is the thing Zed asked Bob to bring?", 150.0).value is None
    assert answerer.answer("Where is the thing Carol asked Bob to bring?", 120.0).value is None  # not yet heard


def test_a_request_whose_thing_was_handed_to_someone_is_theirs(world_store):
    """"Bob, please bring the red mug to the office." was heard in Alice's voice; Bob then says "Carol, here
    is the red mug, on the desk.": the request was Carol's (diarisation gave it to Alice), and it is
    the request Carol made of Bob, before her own request of Dave."""
    add_heard(world_store, [Heard("s1", 30.0, 32.0, "Dave, could you bring the red mug to the kitchen?", "Carol"),
                            Heard("s1", 100.0, 102.0, "Carol, here is the red mug, on the desk.", "Bob")])
    found = BuiltinAnswerer(world_store).answer("Where is the thing Carol asked Bob to bring?", 150.0)
    assert found.value == "office" and "Alice: 'Bob, please bring the red mug" in found.evidence[0].note


def test_a_line_asked_after_by_its_time_may_be_in_another_voice(world_store):
    """"The thing Carol talked about at 00:00:56": no line of Carol's then, but one in Alice's voice
    begun then (diarisation may have swapped them) names the red mug; a time with no line begun within
    3 s finds nothing, and neither does a voice never heard."""
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("Where is the thing Carol talked about at 00:00:56 now?", 150.0).value is None
    add_heard(world_store, [Heard("s1", 130.0, 131.0, "I like the sofa.", "Carol")])
    answerer = BuiltinAnswerer(world_store)
    found = answerer.answer("Where is the thing Carol talked about at 00:00:56 now?", 150.0)
    assert found.value == "office" and "Alice: 'Bob, please bring the red mug" in found.evidence[0].note
    assert answerer.answer("Where is the thing Carol talked about at 00:01:00 now?", 150.0).value is None
    assert answerer.answer("Who last moved the thing Carol talked about at 00:00:57?", 150.0).value == "Alice"


@pytest.mark.parametrize("when, room", [("00:00:20", "kitchen"), ("00:00:45", "kitchen"), ("00:00:55", "office"),
                                        ("00:01:10", "office")])
def test_where_a_thing_was_when_talked_about_is_its_rest_seen_nearest_then(world_store, when, room):
    """The red mug rests in the kitchen (seen 5-40 s), is carried and rests in the office (seen from 60 s).
    Talked about at 55 s, between the two, it was nearer the office rest (5 s) than the kitchen one (15 s)."""
    answer = BuiltinAnswerer(world_store).answer(f"In which room was the red mug when Alice talked about it at {when}?",
                                                 150.0)
    assert answer.value == room


def test_a_line_calling_its_own_voice_by_name_is_not_theirs(world_store):
    """"Bob, the red mug is on the desk." in Bob's voice was said to Bob: diarisation slipped."""
    add_heard(world_store, [Heard("s1", 140.0, 141.0, "Bob, the red mug is on the desk.", "Bob")])
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("How many times did you hear Bob speak?", 150.0).value == 1
    assert answerer.answer("What did Bob last say about the red mug?", 150.0).value is None


@pytest.mark.parametrize("text, match", [("Where did I leave the orange?", True),
                                         ("Has anyone seen the orange plate?", False),
                                         ("I put the teal orange on the desk.", False)])
def test_a_label_alone_is_no_colour_and_has_no_colour_before_it(text, match):
    """"Orange" names a fruit and a colour: before a label ("the orange plate") it is the plate's colour,
    after a colour ("the teal orange") another orange; alone, it may be the orange asked about."""
    score = _bare_kind("orange", text, colours={"teal", "orange"}, labels={"plate", "orange"})
    assert (score >= WHAT_SAID_MATCH) == match


def test_a_piece_of_furniture_is_no_misheard_label():
    """"Table" is a sound off "tablet", but in a house with a coffee table it names the furniture."""
    text = "I put the brown on the coffee table in the living room."
    assert _bare_kind("tablet", text, colours={"brown"}, labels={"tablet"}) >= WHAT_SAID_MATCH
    assert _bare_kind("tablet", text, colours={"brown"}, labels={"tablet"},
                      places=frozenset({"coffee", "table", "living", "room"})) < WHAT_SAID_MATCH


def test_what_someone_said_when_no_voice_goes_by_their_name(world_store):
    """Nobody called Carol's voice by name, so it is still voice:3: asked what Carol said about the red
    mug, the line of a voice nobody named is hers as far as anyone knows; Bob's voice is named and spoke
    of no mug, and a line calling Carol by name was said to her, not by her."""
    add_heard(world_store, [Heard("s1", 132.0, 134.0, "Carol, the red mug is on the desk.", "voice:4"),
                            Heard("s1", 140.0, 142.0, "I think the red mug is in the office.", "voice:3")])
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("What did Carol last say about the red mug?", 150.0).value == \
        "I think the red mug is in the office."
    assert answerer.answer("What did Carol last say about the red mug?", 139.0).value is None
    assert answerer.answer("What did Bob say about the red mug?", 150.0).value is None


def test_a_line_of_a_voice_nobody_named_answers_for_a_speaker_never_named(world_store):
    """Carol's voice is still voice:3: the thing she asked about at 00:02:20 is the one in the line that
    voice began then; a time when no such line was said finds nothing."""
    add_heard(world_store, [Heard("s1", 140.0, 142.0, "Has anyone seen the red mug?", "voice:3")])
    answerer = BuiltinAnswerer(world_store)
    assert answerer.answer("Where is the thing Carol asked about at 00:02:20 now?", 150.0).value == "office"
    assert answerer.answer("Where is the thing Carol asked about at 00:01:40 now?", 150.0).value is None


def test_someone_nobody_named_is_not_guessed_but_shown(world_store):
    """A line of a voice nobody has named: the answer is the voice (no name is made up), says that nobody
    has named it and cites the line, so that a user can name the voice."""
    add_heard(world_store, [Heard("s1", 140.0, 142.0, "The plumber comes on Friday.", "voice:3")])
    answer = BuiltinAnswerer(world_store).answer('Who said "The plumber comes on Friday"?', 150.0)
    assert answer.value == "voice:3" and answer.kind == "person"
    assert "voice:3" in answer.detail["note"] and "nobody has named" in answer.detail["note"]
    assert any("plumber" in e.note for e in answer.evidence)


@pytest.mark.parametrize("heard, written", [
    ("Let's meet in the bathroom at 9.45", "Let's meet in the bathroom at 9:45"),
    ("Don't forget the dentist at 950.", "Don't forget the dentist at 9:50."),
    ("Take out the trash by 10.35.", "Take out the trash by 10:35."),
    ("I have 950 coins and 2.5 metres of rope.", "I have 950 coins and 2.5 metres of rope."),
    ("Meet me at 25.10 or at 12.345.", "Meet me at 25.10 or at 12.345."),  # no clock reads so
    ("Turn it up to 100, about 150 people come.", "Turn it up to 100, about 150 people come."),  # no time word
])
def test_what_was_said_writes_clock_times_as_a_clock_reads(heard, written):
    from planners.answer_who import clock_words

    assert clock_words(heard) == written


def test_a_moment_named_instead_of_a_clock_time_is_when_it_was_seen(world_store):
    """"Where was the mug just before Alice went into the office?": the time asked is the deed's as the world saw
    it (Alice enters the office at 53.6 s), MOMENT_NEAR seconds before it; "when Alice talked about it" is her
    line's (56 s)."""
    from planners.answer_base import MOMENT_NEAR
    from planners.question import parse

    answerer = BuiltinAnswerer(world_store)
    entered = next(a.time for a in answerer.world.actions if a.kind == "enter" and a.actor == "Alice")
    query = parse("Where was the red mug just before Alice went into the office?", answerer._names(),
                  answerer._exemplars())
    assert query.intent == "where_at" and query.anchor.deed.kind == "enter"
    assert answerer._moment(query.anchor, 150.0) == pytest.approx(entered - MOMENT_NEAR)
    query = parse("Which room was the red mug in when Alice talked about it?", answerer._names(),
                  answerer._exemplars())
    assert query.intent == "mentioned_room" and answerer._moment(query.anchor, 150.0) == pytest.approx(56.0)
    assert answerer._moment(query.anchor, 50.0) is None  # not yet said


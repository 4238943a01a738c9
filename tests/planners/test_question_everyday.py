"""The question parser on questions as people ask a home robot or a video memory (tests/planners/everyday_questions.py):
each must parse to its intent and the answerer's arguments, clock times read at the question's time, with the bundled
MiniLM embedder; with word overlap alone a question may go unparsed (to retrieval), never to another intent. Parse
level only: no episode, no memory."""

from __future__ import annotations

import pytest

from planners.question import Exemplars, asked, at_time, compared_text, parse
from planners.question_slots import find_slots
from tests.planners.conftest import load_helper  # the suite loads its helper modules by path

WORDS = load_helper("everyday_questions")
SETS = {"place_at": WORDS.PLACE_AT, "said": WORDS.SAID, "two_step": WORDS.TWO_STEP, "others": WORDS.OTHERS}
ROWS = [(text, intent, arguments, WORDS.NAMES) for rows in SETS.values() for text, intent, arguments in rows] + [
    (text, intent, arguments, WORDS.CHECK_NAMES) for text, intent, arguments in WORDS.CHECK] + [
    (text, intent, arguments, WORDS.CHECK2_NAMES) for text, intent, arguments in WORDS.CHECK2]


@pytest.fixture(scope="module")
def minilm(minilm_exemplars):
    """Exemplars compared by the bundled MiniLM, every question of the set embedded ahead in one batch."""
    return minilm_exemplars(compared_text(t, names) for t, _, _, names in ROWS)


def _read(text: str, names, exemplars: Exemplars):
    """(intent, the answerer's arguments) of a question, its clock times read at NOW; None when not understood."""
    from planners.answer_base import AnswererBase

    query = parse(text, names, exemplars)
    if query is None:
        return None
    query = at_time(query, WORDS.NOW)
    return query.intent, AnswererBase._arguments(None, query)


def test_the_set_has_a_dozen_questions_per_type():
    assert min(len(rows) for rows in SETS.values()) >= 12
    assert len(WORDS.CHECK) >= 20 and len(WORDS.ORDER) >= 4


@pytest.mark.parametrize("text, intent, arguments, names", ROWS, ids=[r[0] for r in ROWS])
def test_everyday_question_parses_to_its_query(minilm, text, intent, arguments, names):
    assert _read(text, names, minilm) == (intent, arguments)


def test_word_overlap_never_misreads_an_everyday_question():
    """Without an embedder a question may go unparsed (to retrieval), never to another intent or names."""
    overlap = Exemplars()
    wrong = [(t, i, got) for t, i, a, names in ROWS if (got := _read(t, names, overlap)) not in (None, (i, a))]
    assert not wrong, wrong


@pytest.mark.parametrize("text, first, second", WORDS.ORDER, ids=[r[0] for r in WORDS.ORDER])
def test_everyday_order_question_reads_its_deeds(minilm, text, first, second):
    query = parse(text, WORDS.NAMES, minilm)
    assert query is not None and query.intent == "order", query
    deeds = [(d.kind, d.actor, tuple(sorted(s.text for s in d.objects))) for d in query.deeds]
    said = (deeds[0], deeds[1]) if query.relation == "before" else (deeds[1], deeds[0])
    assert said == (first, second)


@pytest.mark.parametrize("text, kind", [
    ("In what part of the house was the mug?", "place"), ("Which spot was it in?", "place"),
    ("What area was the mug left in?", "place"),
    ("How did Dan describe the mug?", "quote"), ("What did Dan think of the mug?", "quote"),
    ("What was Carol's take on the keys?", "quote"), ("What did Dan ask about the mug?", "quote"),
    ("When Carol talked about the bottle, what did she say?", "quote"),  # a clause of time in front
    ("When Carol came in, where was the mug?", "place"),
    ("When did Carol come in?", "time"), ("How many times did Dan describe the mug?", "count"),
    ("In which of the rooms was the mug?", "place"), ("Name the room the mug was in at 1:30.", "place"),
    ("Identify the person who opened the fridge last.", "person"), ("Quote Carol on the red mug.", "quote"),
    ("Repeat Dan's line about the sofa.", "quote"), ("What did the room look like?", None),
])
def test_what_is_asked_in_other_words(text, kind):
    assert asked(text) == kind


def test_a_thing_named_again_by_its_label_is_one_thing(minilm):
    """"... the blue notebook ..., which room was the notebook in?": one thing, not two."""
    text = "When Carol brought up the blue notebook at 1:20, which room was the notebook in?"
    assert [s.text for s in find_slots(text, WORDS.NAMES) if s.kind == "T"] == ["blue notebook", "notebook"]
    assert _read(text, WORDS.NAMES, minilm) == ("mentioned_room", ("blue notebook", "Carol", "00:01:20"))


def test_words_of_time_and_speech_are_no_names():
    """"at the 1:30 point", "had a question about": the question's frame, not a thing the memory lacks."""
    slots = find_slots("Where was the red mug at the 1:30 point, when Dan had a question about it?", WORDS.NAMES)
    assert [(s.kind, s.text) for s in slots] == [("T", "red mug"), ("C", "1:30"), ("P", "Dan")]


@pytest.mark.parametrize("text, intent, thing, relation, moment", WORDS.MOMENTS, ids=[r[0] for r in WORDS.MOMENTS])
def test_a_moment_named_instead_of_a_clock_time(minilm, text, intent, thing, relation, moment):
    """"Where was the mug when Carol opened the fridge?", "just before Dan picked it up", "when Carol talked about
    it": the place at a moment of the recording, read by structure (a clause of a deed or of a person speaking after
    "when", "just before", "right after"); its clock slot waits for the moment's time (planners/answer_base.py)."""
    query = parse(text, WORDS.NAMES, minilm)
    assert query is not None and query.intent == intent and query.anchor is not None, query
    assert [s.text for s in query.slots if s.kind in "TN"] == [thing] and query.of("C") == [""]
    anchor = query.anchor
    assert anchor.relation == relation
    if anchor.deed is not None:
        deed = anchor.deed
        assert (deed.kind, deed.actor, tuple(sorted(s.text for s in deed.objects))) == moment
    else:
        assert ("said", anchor.speaker, anchor.topic) == moment


@pytest.mark.parametrize("text", ["Where is the red mug?", "Where was the red mug at 2:10 when Carol came in?",
                                  "Where was the red mug before?", "What did Carol say when Dan opened the fridge?"])
def test_no_moment_where_none_is_named(minilm, text):
    query = parse(text, WORDS.NAMES, minilm)
    assert query is None or query.anchor is None, query

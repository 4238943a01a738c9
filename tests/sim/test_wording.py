"""The simulator's wordings: enough phrasings per question type and speech act in both sets, sets that share
no phrasing, the same questions and events in either wording (only their words differ), deterministic by seed,
and answerable and unanswerable questions phrased alike."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from sim.questions import QUESTION_TYPES, generate_questions
from sim.scenario import ScenarioConfig, build_scenario
from sim.wording import WORDINGS, Phrasebook, wording
from sim.world import build_world

FORMS = {  # question type -> the forms it is asked in
    "where_now": ("where_now",), "where_at": ("where_at",), "when": ("when_enter", "when_open", "when_put", "first_seen"),
    "who": ("who_put", "who_opened", "who_said"), "what_said": ("what_said",),
    "how_many": ("count_open", "count_enter", "count_pick", "count_speak"), "order": ("order_before", "order_after"),
    "how_long": ("open_duration", "person_stay", "agent_stay"),
    "multi_hop": ("requested", "last_put_object", "mentioned_where", "mentioned_mover", "mentioned_room"),
    "unanswerable": ("where_now", "what_said"),
}
ACTS = ("report", "request", "handover", "plan", "greeting", "question", "reminder", "appointment", "greeting_back",
        "introduction", "thanks", "decline")


@pytest.mark.parametrize("name", WORDINGS)
def test_five_phrasings_per_form_and_speech_act(name):
    words = wording(name)
    assert set(FORMS) == set(QUESTION_TYPES)
    for forms in FORMS.values():
        for form in forms:
            assert len(set(words.questions[form])) >= 5, form
    for act in ACTS:
        assert len(set(words.lines[act])) >= 5, act
        if f"{act}_keyword" in words.lines:
            keys = words.lines[f"{act}_keyword"]
            assert len(keys) == len(words.lines[act])
            assert all(k in t.lower() for k, t in zip(keys, words.lines[act])), act  # the key word is said


def test_the_sets_share_no_phrasing_and_unknown_names_fail():
    dev, held = wording("dev"), wording("heldout")
    for form in dev.questions:
        assert not set(dev.questions[form]) & set(held.questions[form]), form
    for act in ACTS:
        assert not set(dev.lines[act]) & set(held.lines[act]), act
    with pytest.raises(ValueError, match="wording='plain'.*dev, heldout"):
        wording("plain")
    with pytest.raises(ValueError, match="wording"):
        ScenarioConfig(wording="plain")


def test_same_questions_in_either_wording_only_the_words_differ(long_truth):
    dev = generate_questions(long_truth, seed=3, per_type=30, wording="dev")
    held = generate_questions(long_truth, seed=3, per_type=30, wording="heldout")
    assert [(q.id, q.asked_at, q.answer, q.query) for q in dev] == [(q.id, q.asked_at, q.answer, q.query) for q in held]
    assert sum(a.text != b.text for a, b in zip(dev, held)) == len(dev)
    assert [q.text for q in generate_questions(long_truth, seed=3, per_type=30, wording="dev")] == [q.text for q in dev]
    for questions in (dev, held):
        for kind in ("where_now", "what_said"):  # every phrasing of a form is used, by answerable and unanswerable
            used = {_form(q.text) for q in questions if q.type == kind}
            unknown = {_form(q.text) for q in questions if q.type == "unanswerable" and q.query["kind"] in (
                "never_seen" if kind == "where_now" else "never_said",)}
            assert len(used) >= 4 and len(unknown) >= 3 and len(used & unknown) >= 2, kind


def _form(text: str) -> str:
    """A question's phrasing with its names taken out (the words between the fixed words)."""
    return re.sub(r"\b[A-Z][a-z]+\b|\bthe \w+(?: \w+)?\b", "X", text)


def test_lines_change_words_not_events():
    world = build_world(4)
    config = ScenarioConfig(duration=900.0)
    dev = build_scenario(world, config, 4)
    held = build_scenario(world, replace(config, wording="heldout"), 4)
    # who does what to what is the same until the lines' lengths matter: a line lasts as long as its words, so
    # times shift, and a later choice that depends on what is free then may differ. Since the twin things and
    # the silent person came in, seed 4 parts after ~400 s (the 8th line: an appointment in one wording, a
    # request in the other; actions part at the 47th): known, to be looked into (docs/evaluation.md).
    acts = [[(a.kind, a.actor, a.target) for a in s.actions] for s in (dev, held)]
    said_by = [[(u.kind, u.speaker, u.objects) for u in s.utterances] for s in (dev, held)]
    assert _common_prefix(*acts) >= 40 and _common_prefix(*said_by) >= 5
    said = {u.text for u in dev.utterances} & {u.text for u in held.utterances if u.kind not in ("reply", "opinion")}
    assert not said  # no line of the acts with many phrasings is said alike in both
    again = build_scenario(world, config, 4)
    assert [u.text for u in again.utterances] == [u.text for u in dev.utterances]


def _common_prefix(a: list, b: list) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def test_a_phrasebook_is_deterministic_by_seed():
    a, b = Phrasebook("dev", 7), Phrasebook("dev", 7)
    first = [a.line("greeting", addressee="Ann")[0] for _ in range(12)]
    assert first == [b.line("greeting", addressee="Ann")[0] for _ in range(12)]
    assert len(set(first)) >= 3

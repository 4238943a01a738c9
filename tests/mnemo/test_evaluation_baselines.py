"""mnemo.evaluation.baselines: each baseline against a brute-force reading of what one short real memory stored.

One seeded one-minute episode is rendered, ingested with the lite profile and given the simulator's
perception through the suite itself (the path the reported figures take); the baselines are then checked
on it against oracles: direct SQL for the last sighting, brute-force cosine for the nearest event, many
seeded draws for the uniform guess's expectation, and zero for "I don't know" on every answerable question.
"""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

import mnemo
from mnemo.evaluation import run_sim_suite
from mnemo.evaluation.baselines import (BASELINES, LastRoom, Retrieval, Uniform, Unknown, answer_kind,
                                        baseline_score, make_baselines)
from mnemo.evaluation.report import baseline_rows, render_markdown
from mnemo.evaluation.sim_suite import builtin_answerer
from mnemo.models import torch_threads
from sim import QUESTION_TYPES, Question, generate_questions, load_truth, score

SEED = 1
PER_TYPE = 3  # questions per type in the suite run: enough for every path, cheap on two shared cores
DRAWS = 400  # seeded draws the uniform guess's expectation is checked against


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """(suite report, memory, truth, questions): the suite's run of one seeded minute, with its memory open."""
    base = tmp_path_factory.mktemp("baselines")
    report = run_sim_suite([SEED], 1.0, "lite", base / "out", work_dir=base / "work", per_type=PER_TYPE,
                           answerer=builtin_answerer)
    truth = load_truth(base / "work" / f"episode-{SEED}" / "truth.json")
    with mnemo.open(base / "work" / f"memory-{SEED}", profile="lite", readonly=True) as memory:
        yield report, memory, truth, base


def _questions(truth, per_type=PER_TYPE) -> list[Question]:
    return generate_questions(truth, seed=SEED, per_type=per_type)


def _ask(text: str, at: float, answer=None, answer_type: str = "room", tolerance: float = 0.0) -> Question:
    return Question("question:test:0", "test", at, text, answer, answer_type, (), {}, tolerance)


# ------------------------------------------------------------------------------------- question kinds

def test_answer_kind_reads_the_question_word():
    cases = {
        "In what room did you leave my keys?": "room", "Which room was the lamp in at noon?": "room",
        "Where did Bob go?": "room", "Whose voice was that?": "person", "Who came in last?": "person",
        "At what time did Bob come home?": "time", "When was the door last opened?": "time",
        "How often did someone open the fridge?": "count", "How many cups did you see?": "count",
        "For how long was the window open?": "duration", "Was the door open when Bob left?": "yes_no",
        "Does Carol like tea?": "yes_no", "What was said about the lamp?": "text", "Tell me a story.": "unknown",
        "Who asked where the keys are?": "person",  # the first question word decides
    }
    for text, kind in cases.items():
        assert answer_kind(text) == kind, text


def test_answer_kind_agrees_with_the_generated_answers(episode):
    _, _, truth, _ = episode
    for q in _questions(truth, per_type=30):
        if q.answer_type != "unknown":
            assert answer_kind(q.text) == q.answer_type, q.text


# ----------------------------------------------------------------------------------------- unknown

def test_unknown_scores_zero_on_every_answerable_question(episode):
    report, memory, truth, _ = episode
    questions = _questions(truth, per_type=30)
    for q in questions:
        assert baseline_score(Unknown(), memory, q) == (1.0 if q.answer_type == "unknown" else 0.0), q.text
    per_type = report["baselines"]["unknown"]["per_type"]
    suite_questions = _questions(truth)
    for t in QUESTION_TYPES:
        asked = [q for q in suite_questions if q.type == t]
        assert per_type[t] == ((1.0 if t == "unanswerable" else 0.0) if asked else None), t
    share = np.mean([q.answer_type == "unknown" for q in suite_questions])
    assert report["baselines"]["unknown"]["overall"] == pytest.approx(share)


# --------------------------------------------------------------------------------------- last_room

def _sql_room(db, label: str, colour: str, before: float) -> str | None:
    """Brute force: the latest non-person sighting of the label (and colour) before t, placed in the map."""
    c = sqlite3.connect(db)
    try:
        where, params = "kind != 'person' AND label = ? AND time < ? AND x IS NOT NULL", [label, before]
        if colour:
            where, params = where + " AND colour = ?", params + [colour]
        row = c.execute(f"SELECT x, y FROM sightings WHERE {where} ORDER BY time DESC, id DESC LIMIT 1",
                        params).fetchone()
        if row is None:
            return None
        x, y = row
        inside = c.execute("SELECT name FROM map_areas WHERE x0 <= ? AND ? < x1 AND y0 <= ? AND ? < y1 ORDER BY name",
                           (x, x, y, y)).fetchone()
        if inside:
            return inside[0]
        areas = c.execute("SELECT name, x0, y0, x1, y1 FROM map_areas ORDER BY name").fetchall()
        return min(areas, key=lambda a: np.hypot(max(a[1] - x, 0, x - a[3]), max(a[2] - y, 0, y - a[4])))[0]
    finally:
        c.close()


def test_last_room_is_the_room_the_stored_sightings_say(episode):
    _, memory, _, _ = episode
    db = memory.directory / "memory.db"
    with sqlite3.connect(db) as c:
        things = c.execute("SELECT DISTINCT label, colour FROM sightings WHERE kind != 'person'").fetchall()
    assert len(things) >= 5
    answered = 0
    for label, colour in things:
        for at in (5.0, 20.0, 40.0, 60.0):
            for text, named in ((f"Where is the {colour} {label} now?", colour), (f"In which room did you last "
                                                                                   f"see the {label}?", "")):
                got = LastRoom()(memory, _ask(" ".join(text.split()), at))
                assert got == _sql_room(db, label, named, at), (text, at)
                answered += got is not None
    assert answered > 0
    assert LastRoom()(memory, _ask("Where is the navy spaceship?", 60.0)) is None  # nothing so named
    labels = [label for label, _ in things]
    missing = next(c for c in ("navy", "gold", "magenta", "silver") if c not in {x for _, x in things})
    assert LastRoom()(memory, _ask(f"Where is the {missing} {labels[0]}?", 60.0)) is None  # a colour never seen
    assert LastRoom()(memory, _ask(f"When did you see the {labels[0]}?", 60.0, 1.0, "time")) is None  # not a place


# --------------------------------------------------------------------------------------- retrieval

@pytest.fixture(scope="module")
def texted(episode):
    """The episode's video ingested with its subtitle track read (the suite reads none: it is the
    script), so that memory holds text for retrieval to find."""
    _, _, truth, base = episode
    with mnemo.open(base / "texted", profile="lite", create=True) as memory:
        memory.ingest(base / "work" / f"episode-{SEED}" / "episode.mp4")
        yield memory, truth


def test_the_suite_memory_holds_no_script_so_retrieval_has_nothing(episode):
    _, memory, truth, _ = episode
    assert memory.store.utterances() == [] or all(u.origin not in ("subtitle", "sidecar")
                                                  for u in memory.store.utterances())
    assert all(Retrieval.nearest(memory, q) is None for q in _questions(truth))


def test_retrieval_answers_from_the_nearest_past_event(texted):
    memory, truth = texted
    enc = memory.encoders
    assert set(memory.reasoner.retriever.embedders) & set(memory.store.spaces()) == {enc.text_key}  # one space
    ids, vectors = memory.store.vectors(enc.text_key)
    events = {e.id: e for e in memory.store.events()}
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    checked = 0
    for q in _questions(truth):
        got = Retrieval.nearest(memory, q)
        with torch_threads(1):
            query = enc.text.embed([q.text])[0]
        cos = unit @ (query / np.linalg.norm(query))
        past = [(float(c), int(i)) for c, i in zip(cos, ids) if events[int(i)].end <= q.asked_at]
        if not past:
            assert got is None, q.text
            continue
        best = max(c for c, _ in past)
        nearest = {(events[i].start, events[i].end, events[i].text or "") for c, i in past if c >= best - 1e-5}
        assert got in nearest, q.text
        answer = Retrieval()(memory, q)
        kind = answer_kind(q.text)
        if kind == "time":
            assert answer == got[0]
        elif kind == "duration":
            assert answer == pytest.approx(got[1] - got[0])
        elif kind == "text":
            assert answer == (got[2] or None)
        elif kind in ("room", "person") and answer is not None:
            assert answer.lower() in got[2].lower()
        checked += 1
    assert checked >= 10


# ----------------------------------------------------------------------------------------- uniform

def test_uniform_expectation_is_the_mean_of_many_seeded_draws(episode):
    _, memory, truth, _ = episode
    questions = _questions(truth)
    draws = [Uniform(seed=k) for k in range(DRAWS)]
    for q in questions:
        expected = Uniform().expected(memory, q)
        brute = np.mean([score(q, u(memory, q)) for u in draws])
        # four standard errors of a mean of DRAWS Bernoulli draws (text answers score in [0, 1] too)
        assert abs(brute - expected) <= 4 * np.sqrt(max(expected * (1 - expected), 1e-4) / DRAWS) + 1e-9, q.text
    assert Uniform(seed=3)(memory, questions[0]) == Uniform(seed=3)(memory, questions[0])  # seeded


def test_uniform_chooses_among_answers_of_the_right_kind(episode):
    _, memory, _, _ = episode
    with sqlite3.connect(memory.directory / "memory.db") as c:
        rooms = sorted(r[0] for r in c.execute("SELECT name FROM map_areas"))
        speakers = {r[0] for r in c.execute('SELECT speaker FROM heard WHERE "end" <= 60 AND speaker != \'\'')}
    kind, choices = Uniform.choices(memory, _ask("Where is the cup?", 60.0))
    assert kind == "room" and sorted(choices) == rooms
    assert Uniform().expected(memory, _ask("Where is the cup?", 60.0, rooms[0])) == pytest.approx(1 / len(rooms))
    assert Uniform().expected(memory, _ask("Where is the cup?", 60.0, "garage")) == 0.0  # not a room of the map
    kind, choices = Uniform.choices(memory, _ask("Who opened it?", 60.0))
    assert kind == "person" and set(choices) == speakers  # names heard, never the truth's list of people
    assert Uniform.choices(memory, _ask("Who opened it?", 0.5))[1] == []  # nothing heard yet: unknown
    assert Uniform()(memory, _ask("Who opened it?", 0.5)) is None
    count = _ask("How many times?", 60.0, 2, "count")
    assert Uniform().expected(memory, count) == pytest.approx(1 / 6)
    assert Uniform().expected(memory, _ask("How many times?", 60.0, 9, "count")) == 0.0  # counts are 0-5
    assert Uniform().expected(memory, _ask("Did it rain?", 60.0, True, "yes_no")) == 0.5
    when = _ask("When did it start?", 50.0, 30.0, "time", tolerance=10.0)
    assert Uniform().expected(memory, when) == pytest.approx(20.0 / 50.0)
    edge = _ask("When did it start?", 50.0, 45.0, "time", tolerance=10.0)  # the window is clipped at t
    assert Uniform().expected(memory, edge) == pytest.approx(15.0 / 50.0)


# ------------------------------------------------------------------------------------------- report

def test_report_carries_every_baseline_beside_the_answerer(episode):
    report, memory, truth, base = episode
    assert set(report["baselines"]) == set(BASELINES)
    questions = _questions(truth)
    for name, baseline in zip(BASELINES, make_baselines()):
        entry = report["baselines"][name]
        assert set(entry) == {"overall", "per_type"} and set(entry["per_type"]) == set(QUESTION_TYPES)
        scores = {q.id: baseline_score(baseline, memory, q) for q in questions}  # the same questions again
        assert entry["overall"] == pytest.approx(np.mean(list(scores.values()))), name
        for t in QUESTION_TYPES:
            mine = [scores[q.id] for q in questions if q.type == t]
            assert entry["per_type"][t] == (pytest.approx(np.mean(mine)) if mine else None), (name, t)
    margin = report["baseline_margin"]
    best = max(report["baselines"].values(), key=lambda b: b["overall"])["overall"]
    assert margin["best_accuracy"] == best and margin["margin"] == pytest.approx(report["qa_accuracy"] - best)
    for t, m in margin["per_type"].items():
        if m is not None:
            top = max(b["per_type"][t] for b in report["baselines"].values() if b["per_type"][t] is not None)
            assert m["best_accuracy"] == top and m["margin"] == pytest.approx(report["qa_accuracy_by_type"][t] - top)
    on_disk = json.loads((base / "out" / "report.json").read_text())
    assert on_disk["baselines"] == json.loads(json.dumps(report["baselines"]))
    assert on_disk["episodes"][0]["baselines"]["unknown"]["overall"] == pytest.approx(
        report["baselines"]["unknown"]["overall"])
    markdown = (base / "out" / "report.md").read_text()
    assert "## Answerer and baselines" in markdown and "margin over the best baseline" in markdown
    head = next(line for line in markdown.splitlines() if line.startswith("| type | questions | answerer |"))
    assert all(f"| {name} |" in head for name in BASELINES)
    assert "| **overall** |" in markdown
    rows = dict(baseline_rows(report))
    assert margin["best"] in rows["best baseline"] and "answerer" in rows["best baseline"]
    assert render_markdown({**report, "baselines": {}}).count("## Answerer and baselines") == 0


def test_unknown_baseline_name_lists_the_known_ones(tmp_path):
    with pytest.raises(ValueError, match="known: last_room, unknown, retrieval, uniform"):
        make_baselines(["oracle"])
    with pytest.raises(ValueError, match="unknown baseline"):
        run_sim_suite([1], 1.0, "lite", tmp_path, baselines=["oracle"])
    assert not any(tmp_path.iterdir())

"""Questions: enough of every type, time-causal, and every answer recomputed independently from truth.json.

The checker below reads the raw JSON (plain dicts, no sim code) and recomputes each answer from
the question's ``query``: an oracle written apart from the generator.
"""

from __future__ import annotations

import json

import pytest

from sim.questions import QUESTION_TYPES, Question, generate_questions, parse_time, score, stamp


@pytest.fixture(scope="module")
def raw(long_truth):
    return json.loads(json.dumps(long_truth.to_json()))


@pytest.fixture(scope="module")
def questions(long_truth):
    return generate_questions(long_truth, seed=0, per_type=30)


# ---------------------------------------------------------------------------------------- oracle

class Oracle:
    """Answers from truth.json alone."""

    def __init__(self, data: dict) -> None:
        self.d = data
        self.names = {e["id"]: e["name"] for key in ("rooms", "furniture", "objects", "people") for e in data[key]}
        self.utterances = {u["id"]: u for u in data["utterances"]}
        self.events = {e["id"]: e for e in data["events"]}

    def room_of_object(self, obj: str, t: float) -> str:
        spans = [s for s in self.d["object_locations"] if s["object"] == obj and s["start"] <= t < s["end"]]
        assert len(spans) == 1
        return self.names[spans[0]["room"]]

    def matching(self, kind, actor, target, before, observed, furniture=None):
        return [e for e in self.d["events"] if e["kind"] == kind and e["time"] < before
                and (actor is None or e["actor"] == actor) and (target is None or e["target"] == target)
                and (furniture is None or e["furniture"] == furniture) and (not observed or e["observed"])]

    def answer(self, q: dict):
        query = q["query"]
        kind = query["kind"]
        if kind == "object_room_at":
            return self.room_of_object(query["object"], query["time"])
        if kind in ("first_event_time", "last_event_time"):
            events = self.matching(query["event_kind"], query["actor"], query["target"], query["before"], query["observed"])
            return (events[0] if kind == "first_event_time" else events[-1])["time"]
        if kind == "first_seen":
            return min(o["time"] for o in self.d["observations"] if o["time"] < query["before"]
                       and any(s["entity"] == query["entity"] for s in o["entities"]))
        if kind == "last_event_actor":
            events = self.matching(query["event_kind"], None, query["target"], query["before"], False, query["furniture"])
            return self.names[events[-1]["actor"]]
        if kind == "utterance_speaker":
            return self.names[self.utterances[query["utterance"]]["speaker"]]
        if kind == "last_utterance_about":
            said = [u for u in self.d["utterances"] if u["speaker"] == query["speaker"] and u["heard"]
                    and query["topic"] in u["objects"] + u["rooms"] and u["kind"] != "reply" and u["keywords"]
                    and u["end"] <= query["before"]]
            return said[-1]["text"]
        if kind == "count_events":
            return len(self.matching(query["event_kind"], query["actor"], query["target"], query["before"], query["observed"]))
        if kind == "event_order":
            earlier = self.events[query["first"]]["time"] < self.events[query["second"]]["time"]
            return earlier if query.get("relation", "before") == "before" else not earlier
        if kind == "open_duration":
            span = next(s for s in self.d["open_spans"] if s["furniture"] == query["furniture"] and s["start"] == query["start"])
            return span["end"] - span["start"]
        if kind == "room_stay":
            spans = self.d["agent_rooms"] if query["entity"] == "agent" else self.d["person_rooms"]
            span = next(s for s in spans if s["entity"] == query["entity"] and s["start"] == query["start"])
            assert span["room"] == query["room"]
            return span["end"] - span["start"]
        if kind in ("requested_object_room", "mentioned_object_room"):
            return self.room_of_object(self.utterances[query["utterance"]]["objects"][0], query["time"])
        if kind == "last_put_object_room":
            puts = self.matching("put", query["actor"], None, query["before"], True)
            return self.room_of_object(puts[-1]["target"], query["time"])
        if kind == "last_mover_of_mentioned":
            obj = self.utterances[query["utterance"]]["objects"][0]
            puts = self.matching("put", None, obj, query["before"], False)
            return self.names[puts[-1]["actor"]]
        if kind == "object_room_when_said":
            u = self.utterances[query["utterance"]]
            return self.room_of_object(u["objects"][0], u["start"])
        if kind == "never_seen":
            if query["object"] is not None:
                assert not any(s["entity"] == query["object"] for o in self.d["observations"]
                               if o["time"] < query["before"] for s in o["entities"])
            else:
                assert query["name"] not in {o["name"] for o in self.d["objects"]}
            return None
        if kind == "never_said":
            assert not any(u["speaker"] == query["speaker"] and u["heard"] and query["topic"] in u["objects"]
                           and u["start"] < query["before"] for u in self.d["utterances"])
            return None
        raise AssertionError(f"unknown query kind {kind}")


# ----------------------------------------------------------------------------------------- tests

def test_thirty_questions_of_every_type(questions):
    counts = {t: sum(q.type == t for q in questions) for t in QUESTION_TYPES}
    assert all(n >= 30 for n in counts.values()), counts
    assert len({q.id for q in questions}) == len(questions)


def test_every_answer_is_derivable_from_truth_json(questions, raw):
    oracle = Oracle(raw)
    for q in questions:
        data = json.loads(json.dumps(q.to_json()))  # what an evaluation would read back
        expected = oracle.answer(data)
        if q.answer_type in ("time", "duration"):
            assert abs(expected - q.answer) <= 1e-3, q.text
        else:
            assert expected == q.answer, q.text
        assert Question.from_json(data) == q


def test_questions_look_only_at_the_past(questions, long_truth):
    for q in questions:
        assert 0 < q.asked_at <= long_truth.duration
        for key in ("before", "time"):
            if key in q.query:
                assert q.query[key] <= q.asked_at + 1e-9, q.text
        for e in q.evidence:
            assert e.start <= e.end <= q.asked_at + 1e-9, q.text
        if q.answer_type == "time":
            assert q.answer <= q.asked_at


def test_asked_at_many_times(questions, long_truth):
    for kind in QUESTION_TYPES:
        times = sorted({round(q.asked_at) for q in questions if q.type == kind})
        assert len(times) >= 15, kind
        assert times[-1] - times[0] > long_truth.duration / 3, kind


def test_hard_cases_are_present(questions):
    tags = {tag for q in questions for tag in q.hard}
    assert {"moved_many", "lookalike", "long_ago", "never_seen", "absent"} <= tags
    assert sum(bool(q.hard) for q in questions) >= len(questions) // 4


def test_right_answers_score_one_and_wrong_answers_zero(questions, long_truth):
    rooms = [r.name for r in long_truth.rooms]
    people = [p.name for p in long_truth.people]
    for q in questions:
        assert score(q, q.answer) == 1.0, q.text
        if q.answer_type == "room":
            assert score(q, f"the {q.answer.upper()}") == 1.0
            assert score(q, next(r for r in rooms if r != q.answer)) == 0.0
        elif q.answer_type == "person":
            assert score(q, next(p for p in people if p != q.answer)) == 0.0
        elif q.answer_type in ("time", "duration"):
            assert score(q, q.answer + 0.9 * q.tolerance) == 1.0
            assert score(q, q.answer + 1.1 * q.tolerance) == 0.0
            if q.answer_type == "time":
                assert score(q, stamp(q.answer)) == 1.0
        elif q.answer_type == "count":
            assert score(q, q.answer + 1) == 0.0 and score(q, str(q.answer)) == 1.0
        elif q.answer_type == "yes_no":
            assert score(q, "yes" if q.answer else "no") == 1.0 and score(q, not q.answer) == 0.0
        elif q.answer_type == "text":
            assert score(q, "nothing of the sort") < 1.0
            assert score(q, " ".join(q.keywords).upper()) == 1.0
        elif q.answer_type == "unknown":
            assert score(q, "never seen") == 1.0 and score(q, rooms[0]) == 0.0
        if q.answer_type != "unknown":
            assert score(q, None) == 0.0


def test_time_tolerance_is_stated(questions):
    for q in questions:
        if q.answer_type in ("time", "duration"):
            assert q.tolerance >= 5.0
        else:
            assert q.tolerance == 0.0


def test_parse_time():
    assert parse_time("01:02:03") == 3723 and parse_time("2:05") == 125 and parse_time(7) == 7.0
    assert parse_time("soon") is None and parse_time(None) is None


def test_deterministic_by_seed(long_truth, questions):
    again = generate_questions(long_truth, seed=0, per_type=30)
    assert [q.to_json() for q in again] == [q.to_json() for q in questions]
    other = generate_questions(long_truth, seed=1, per_type=30)
    assert [q.text for q in other] != [q.text for q in questions]


def test_short_episode_warns_but_answers(short_episode, caplog):
    questions = generate_questions(short_episode.truth, per_type=30)
    assert questions and all(score(q, q.answer) == 1.0 for q in questions)
    with pytest.raises(ValueError, match="per_type"):
        generate_questions(short_episode.truth, per_type=0)

"""mnemo.evaluation: boundary matching against oracles, a short simulator suite, the answerer path."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from mnemo.evaluation import STABLE_KEYS, run_sim_suite, write_report
from mnemo.evaluation.boundaries import (BoundaryScore, combine, evaluate_boundaries, match_boundaries,
                                         score_boundaries, visible_boundaries)
from memory import perceived
from memory.spoken import spoken
from memory.store import MemoryStore
from sim import QUESTION_TYPES, espeak_available, generate_questions, load_truth, score
from sim.truth import Boundary, Observation, Seen

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PER_TYPE = 3  # questions per type: enough to exercise every path, few enough for two shared cores


# ------------------------------------------------------------------------------ boundary matching

@pytest.mark.parametrize("predicted, true, matched", [
    ([10.0, 20.0], [10.5, 19.0], 2),  # both within tolerance
    ([10.0], [12.0], 1),  # exactly at the tolerance
    ([10.0], [12.5], 0),  # just outside
    ([9.5, 10.5], [10.0], 1),  # one-to-one: two predictions, one truth
    ([10.0], [9.5, 10.5], 1),  # one-to-one: one prediction, two truths
    ([9.0, 10.9], [10.0, 12.5], 2),  # closest-pair-first would pair 10.9 with 10.0 and find only 1
    ([], [5.0], 0),
    ([5.0], [], 0),
])
def test_matching_oracle_cases(predicted, true, matched):
    pairs = match_boundaries(predicted, true, tolerance=2.0)
    assert len(pairs) == matched
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == matched  # one-to-one
    assert all(abs(predicted[i] - true[j]) <= 2.0 + 1e-9 for i, j in pairs)


def _most_matches(predicted, true, tolerance) -> int:
    """Brute force: the maximum one-to-one matching, by the Hungarian algorithm."""
    if not predicted or not true:
        return 0
    allowed = np.abs(np.subtract.outer(predicted, true)) <= tolerance + 1e-9
    rows, cols = linear_sum_assignment(~allowed)
    return int(allowed[rows, cols].sum())


def test_matching_is_maximal_against_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(300):
        predicted = sorted(rng.uniform(0, 60, rng.integers(0, 12)).round(2).tolist())
        true = rng.uniform(0, 60, rng.integers(0, 12)).round(2).tolist()
        tolerance = float(rng.choice([0.5, 2.0, 5.0]))
        assert len(match_boundaries(predicted, true, tolerance)) == _most_matches(predicted, true, tolerance)


def test_scores_and_micro_average():
    s = score_boundaries([9.5, 10.5, 30.0], [10.0, 20.0], tolerance=2.0)
    assert (s.matched, s.predicted, s.true) == (1, 3, 2)
    assert s.precision == pytest.approx(1 / 3) and s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(2 * 1 / (3 + 2))
    total = combine([s, BoundaryScore(2, 2, 2)])
    assert (total.matched, total.predicted, total.true) == (3, 5, 4)
    empty = BoundaryScore(0, 0, 0)
    assert empty.precision is None and empty.recall is None and empty.f1 is None
    assert BoundaryScore(0, 0, 3).f1 == 0.0 and BoundaryScore(0, 0, 3).precision is None
    with pytest.raises(ValueError, match="tolerance"):
        match_boundaries([1.0], [1.0], tolerance=-1.0)


# ------------------------------------------------------------------------------- the sim suite

@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """One seed, one minute, the lite profile: the real render, ingest and search."""
    base = tmp_path_factory.mktemp("eval")
    report = run_sim_suite([1], 1.0, "lite", base / "out", work_dir=base / "work", per_type=PER_TYPE)
    return base, report


def test_every_stable_key_is_reported(suite):
    base, report = suite
    for key in STABLE_KEYS:
        assert key in report
    for key in ("boundary_f1", "boundary_precision", "boundary_recall"):
        assert report[key] is not None and 0.0 <= report[key] <= 1.0, (key, report[key])
    assert 0.0 <= report["entity_bcubed_f1"] <= 1.0 and "entity_bcubed_f1" not in report["not_measurable"]
    for kind in report["episodes"][0]["entities"]["by_kind"].values():  # found vs true entities per kind
        assert kind["found"] >= 1 and kind["true"] >= 1 and 0.0 <= kind["f1"] <= 1.0
    assert report["qa_accuracy"] is None and "no answerer was asked" in report["not_measurable"]["qa_accuracy"]
    assert report["qa_accuracy_by_type"] == {t: None for t in QUESTION_TYPES}
    assert report["ingest_rtf"] > 0
    assert 0 < report["query_p50_ms"] <= report["query_p99_ms"]
    assert (report["profile"], report["seeds"], report["minutes"], report["noise"]) == ("lite", [1], 1.0, "default")
    assert "Memory.search" in report["retrieval"]


def test_episode_detail(suite):
    base, report = suite
    (episode,) = report["episodes"]
    assert episode["seed"] == 1 and episode["duration"] == pytest.approx(60.0)
    b = episode["boundaries"]
    assert b["predicted"] <= episode["events"] - 1  # event starts after the first (the end edge may drop some)
    assert 0 <= b["matched"] <= min(b["predicted"], b["true"])
    assert b["by_kind"]["room"]["counted"] == b["by_kind"]["room"]["true"]  # every room change is visible
    assert sum(c["found"] for c in b["by_kind"].values()) >= b["matched"]
    assert episode["ingest"]["rtf"] > 0 and episode["ingest"]["media_seconds"] == pytest.approx(60.0, abs=0.5)
    latency = episode["latency"]
    assert latency["queries"] == episode["questions"]["total"] > 0
    assert latency["p50_ms"] > 0 and latency["first_query_ms"] > 0
    assert sum(episode["questions"]["by_type"].values()) == episode["questions"]["total"]
    assert set(episode["questions"]["by_type"]) == set(QUESTION_TYPES)


def test_lite_hears_no_words_and_says_so(suite):
    """The episode's audio goes through lite's speech stack (VAD and voices, no recogniser): speech turns
    without words are stored, no line with words and no heard line; the report names what the world hears."""
    base, report = suite
    speech = report["speech"]
    assert (speech["vad"], speech["asr"]) == ("energy", None)
    assert speech["audio"] == ["espeak" if espeak_available() else "tones"]
    assert speech["world_hears"].startswith("no words") and speech["utterances_with_words"] == 0
    (episode,) = report["episodes"]
    assert episode["speech"]["lines_in_earshot"] == speech["lines_in_earshot"] >= 1  # seed 1 speaks in its first minute
    assert episode["speech"]["turns_without_words"] >= 1 and "sim_perception" in episode
    store = MemoryStore(base / "work" / "memory-1")
    try:
        assert perceived.heard(store) == [] and spoken(store) == []
        assert store.utterances() and all(u.origin == "vad" and not u.text for u in store.utterances())
    finally:
        store.close()
    assert "the world hears no words" in (base / "out" / "report.md").read_text()


def test_report_files_and_plot(suite):
    base, report = suite
    out = base / "out"
    on_disk = json.loads((out / "report.json").read_text())
    assert {k: on_disk[k] for k in STABLE_KEYS} == {k: report[k] for k in STABLE_KEYS}
    markdown = (out / "report.md").read_text()
    assert "| boundary F1 |" in markdown and "n/a (not measured: no answerer was asked" in markdown
    assert "| where_now |" in markdown and "## Episodes" in markdown
    png = out / "episode-1.png"
    assert report["episodes"][0]["plot"] == str(png)
    assert png.read_bytes()[:8] == PNG_SIGNATURE and png.stat().st_size > 5000


def test_a_render_made_with_other_settings_is_not_reused(suite, tmp_path):
    """A render from before a setting changed (no twins, no silent person, other voices) is made again."""
    from mnemo.evaluation.sim_suite import _reusable_truth

    base, _ = suite
    video = base / "work" / "episode-1" / "episode.mp4"
    written = (base / "work" / "episode-1" / "truth.json").read_text()
    truth = tmp_path / "truth.json"
    truth.write_text(written)
    assert _reusable_truth(truth, video, 1, 1.0) is not None
    for section, key, value in (("world_config", "twin_pairs", 0), ("scenario_config", "silent_people", 0),
                                (None, "speech", "none")):
        data = json.loads(written)
        (data[section] if section else data)[key] = value
        truth.write_text(json.dumps(data))
        assert _reusable_truth(truth, video, 1, 1.0) is None, key


def _some_types_right(memory, question):
    """Not a reasoner: answers from the truth for three types and "don't know" otherwise, to test the
    scoring and aggregation of the answerer path (and nothing else)."""
    if question.type in ("where_now", "when", "order"):
        return question.answer
    return None


def test_answerer_path_scores_and_aggregates(suite, caplog):
    base, _ = suite
    video = base / "work" / "episode-1" / "episode.mp4"
    rendered_at = video.stat().st_mtime_ns
    report = run_sim_suite([1], 1.0, "lite", base / "answered", work_dir=base / "work", answerer=_some_types_right,
                           per_type=PER_TYPE)
    assert video.stat().st_mtime_ns == rendered_at and report["episodes"][0]["reused_render"]
    truth = load_truth(base / "work" / "episode-1" / "truth.json")
    questions = generate_questions(truth, seed=1, per_type=PER_TYPE)
    expected = {t: [score(q, _some_types_right(None, q)) for q in questions if q.type == t] for t in QUESTION_TYPES}
    for t in QUESTION_TYPES:
        want = float(np.mean(expected[t])) if expected[t] else None
        assert report["qa_accuracy_by_type"][t] == (pytest.approx(want) if want is not None else None), t
    for t in ("where_now", "when", "order"):
        assert report["qa_accuracy_by_type"][t] == 1.0
    assert report["qa_accuracy_by_type"]["unanswerable"] == 1.0  # "don't know" is right there
    all_scores = [s for values in expected.values() for s in values]
    assert report["qa_accuracy"] == pytest.approx(np.mean(all_scores))
    assert "qa_accuracy" not in report["not_measurable"] and report["answerer"] == "_some_types_right"
    assert report["episodes"][0]["qa"]["accuracy"] == pytest.approx(report["qa_accuracy"])


def test_the_llm_answerer_answers_every_question_through_its_tools(suite, scripted_llm):
    """``--answerer llm`` on the scripted ``delegate`` model, which asks the built-in answerer through its tool
    and answers what it said: every question goes through the model's loop, and the answers equal the built-in
    answerer's on the same memory (the oracle)."""
    from mnemo.evaluation.sim_suite import LLMSuiteAnswerer, builtin_answerer
    from planners.llm import LLMConfig

    base, _ = suite
    url, log = scripted_llm
    llm = LLMSuiteAnswerer(LLMConfig(url=url, model="delegate"))
    pairs = []

    def both(memory, question):
        pairs.append((llm(memory, question), builtin_answerer(memory, question)))
        return pairs[-1][0]

    report = run_sim_suite([1], 1.0, "lite", base / "llm", work_dir=base / "work", answerer=both, per_type=PER_TYPE)
    assert pairs and all(model == builtin for model, builtin in pairs)
    assert (llm.asked, llm.fallbacks) == (len(pairs), 0)
    asked = [r for r in map(json.loads, log.read_text().splitlines()) if r["body"]["model"] == "delegate"]
    assert len(asked) == 2 * len(pairs)  # a tool round and an answering round per question
    assert 0.0 <= report["qa_accuracy"] <= 1.0


def test_visible_boundaries_need_the_actor_in_view(suite):
    base, _ = suite
    truth = load_truth(base / "work" / "episode-1" / "truth.json")
    room = truth.rooms[0].id
    seen_person = "person:0"
    boundaries = (Boundary(0.0, "room", room, "agent", "start"), Boundary(10.0, "room", room, "agent", "enter"),
                  Boundary(20.0, "activity", room, seen_person, "seen"),
                  Boundary(30.0, "activity", room, "person:1", "never in view"),
                  Boundary(40.0, "person_enters", room, seen_person, "seen entering"),
                  Boundary(40.4, "activity", room, seen_person, "merged with the entry"),
                  Boundary(59.0, "room", room, "agent", "too close to the end"))
    observations = tuple(Observation(t, (Seen(seen_person, (0, 0, 4, 4), 16, (0.0, 0.0), 1.0),))
                         for t in (19.8, 40.5))
    fake = replace(truth, boundaries=boundaries, observations=observations)
    scored, counts = visible_boundaries(fake, merge=1.0, edge=2.0)
    assert [b.time for b in scored] == [10.0, 20.0, 40.0]
    assert scored[2].kinds == ("person_enters", "activity")
    assert (counts["room"].true, counts["room"].counted) == (1, 1)
    assert (counts["activity"].true, counts["activity"].counted) == (3, 2)
    result = evaluate_boundaries([10.5, 25.0, 41.0, 59.5], fake, tolerance=2.0)
    assert (result.score.matched, result.score.predicted, result.score.true) == (2, 3, 3)
    assert result.by_kind["activity"].found == 1 and result.by_kind["person_enters"].found == 1


def test_bad_arguments_fail_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="noise"):
        run_sim_suite([1], 1.0, "lite", tmp_path, noise="loud")
    with pytest.raises(ValueError, match="seeds"):
        run_sim_suite([], 1.0, "lite", tmp_path)
    with pytest.raises(ValueError, match="minutes"):
        run_sim_suite([1], 0, "lite", tmp_path)
    with pytest.raises(ValueError, match="unknown profile"):
        run_sim_suite([1], 1.0, "no-such-profile", tmp_path)
    with pytest.raises(ValueError, match="wording='plain'.*dev, heldout"):
        run_sim_suite([1], 1.0, "lite", tmp_path, wording="plain")
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="stable key"):
        write_report({"boundary_f1": 0.5}, tmp_path)

"""mnemo.evaluation.m3bench: QA files in the M3-Bench shape, a folder of videos, the counts reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mnemo.evaluation import STABLE_KEYS, QAFileError, load_qa_file, run_m3bench
from mnemo.sample import Scene, make_sample

SCENES = (Scene("kitchen", (230, 220, 180), (120, 90, 60), "The red mug is next to the kettle.", 2.0),
          Scene("garden", (120, 190, 230), (60, 150, 60), "Bob is watering the tomato plants.", 2.0))
M3_TYPES = {"Multi-Detail Reasoning", "Person Understanding", "Cross-Modal Reasoning",
            "General Knowledge Extraction", "Multi-Hop Reasoning"}


def _qa(qid: str, question: str, stamp: str, types: list[str], answer: str = "In the kitchen.") -> dict:
    return {"question": question, "answer": answer, "question_id": qid, "reasoning": "seen at 00:01",
            "timestamp": stamp, "type": types, "before_clip": 0}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """Four listed videos: one by id, one by the file name of its video_path, one missing, one corrupt."""
    base = tmp_path_factory.mktemp("m3")
    videos = base / "videos"
    make_sample(videos, width=160, height=120, fps=10, scenes=SCENES, name="vid_a")
    make_sample(videos, width=160, height=120, fps=10, scenes=SCENES[::-1], name="clip_b")
    (videos / "vid_d.mp4").write_bytes(b"not a video at all" * 10)
    data = {
        "vid_a": {"video_path": "data/videos/robot/vid_a.mp4", "mem_path": "x.pkl",
                  "qa_list": [_qa("vid_a_Q01", "Where is the red mug?", "00:03", ["Multi-Detail Reasoning"],
                                  "Next to the kettle."),
                              _qa("vid_a_Q02", "Who waters the plants?", "00:04",
                                  ["Person Understanding", "Cross-Modal Reasoning"], "Bob.")]},
        "vid_b": {"video_path": "data/videos/robot/clip_b.mp4", "mem_path": "y.pkl",
                  "qa_list": [_qa("vid_b_Q01", "Is there a garden?", "00:02", ["Multi-Detail Reasoning"], "Yes.")]},
        "vid_c": {"video_path": "data/videos/robot/vid_c.mp4", "mem_path": "z.pkl",
                  "qa_list": [_qa("vid_c_Q01", "Where are the keys?", "01:10", ["Multi-Hop Reasoning"])]},
        "vid_d": {"video_path": "data/videos/robot/vid_d.mp4", "mem_path": "w.pkl",
                  "qa_list": [_qa("vid_d_Q01", "Is it raining?", "00:01", ["General Knowledge Extraction"])]},
    }
    qa_file = base / "qa.json"
    qa_file.write_text(json.dumps(data))
    report = run_m3bench(qa_file, videos, "lite", base / "out")
    return base, qa_file, videos, report


def test_counts_and_stable_keys(bench):
    base, _, _, report = bench
    for key in STABLE_KEYS:
        assert key in report
    assert report["videos"] == {"listed": 4, "found": 3, "ingested": 2, "missing": 1, "failed": 1}
    assert report["questions"]["total"] == 5 and report["questions"]["asked"] == 3
    assert report["questions"]["by_type"] == {"Multi-Detail Reasoning": 2, "Person Understanding": 1,
                                              "Cross-Modal Reasoning": 1, "Multi-Hop Reasoning": 1,
                                              "General Knowledge Extraction": 1}
    assert "qa_accuracy" not in report["not_measurable"] and 0 <= report["qa_accuracy"] <= 1
    assert report["boundary_f1"] is None and "boundaries" in report["not_measurable"]["boundary_f1"]
    assert report["ingest_rtf"] > 0 and 0 < report["query_p50_ms"] <= report["query_p99_ms"]


def test_every_question_is_asked_at_its_time_and_graded(bench):
    _, _, _, report = bench
    answers = {a["question_id"]: a for e in report["episodes"] for a in e["answers"]}
    assert set(answers) == {"vid_a_Q01", "vid_a_Q02", "vid_b_Q01"}
    assert [answers[q]["at"] for q in sorted(answers)] == [3.0, 4.0, 2.0]
    bob = answers["vid_a_Q02"]  # the subtitle "Bob is watering the tomato plants." ended before 00:04
    assert "Bob" in bob["retrieved"] and bob["baselines"]["retrieval"] == 1.0
    assert bob["correct"] == float("bob" in (bob["answer"] or "").lower())
    assert answers["vid_b_Q01"]["baselines"]["uniform"] == 0.5  # a yes/no reference
    # the figures are the means of the graded answers: overall once per question, per type under each type
    correct = [a["correct"] for a in answers.values()]
    assert report["qa_accuracy"] == pytest.approx(sum(correct) / 3)
    assert report["qa_accuracy_by_type"]["Person Understanding"] == bob["correct"]
    assert report["qa_accuracy_by_type"]["Multi-Hop Reasoning"] is None  # vid_c's question was never asked
    baselines = report["baselines"]
    assert set(baselines) == {"unknown", "retrieval", "uniform"} and baselines["unknown"]["overall"] == 0.0
    assert baselines["uniform"]["overall"] == pytest.approx(0.5 / 3)
    margin = report["baseline_margin"]
    best = max(b["overall"] for b in baselines.values())
    assert margin["margin"] == pytest.approx(report["qa_accuracy"] - best)


def test_per_video_detail_and_files(bench):
    base, _, videos, report = bench
    by_id = {e["video_id"]: e for e in report["episodes"]}
    assert by_id["vid_a"]["video"] == str(videos / "vid_a.mp4")
    assert by_id["vid_b"]["video"] == str(videos / "clip_b.mp4")  # found by the name in video_path
    assert by_id["vid_c"]["status"] == "missing" and "vid_c.mp4" in by_id["vid_c"]["reason"]
    assert by_id["vid_d"]["status"] == "failed" and "vid_d.mp4" in by_id["vid_d"]["reason"]
    for vid in ("vid_a", "vid_b"):
        e = by_id[vid]
        assert e["status"] == "ingested" and e["events"] >= 1 and e["duration"] == pytest.approx(4.0, abs=0.5)
        assert e["latency"]["queries"] == e["questions"] and e["latency"]["p50_ms"] > 0
        assert Path(e["plot"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = base / "out"
    assert json.loads((out / "report.json").read_text())["videos"]["missing"] == 1
    markdown = (out / "report.md").read_text()
    assert "## Videos" in markdown and "| vid_c | missing |" in markdown
    assert "## Answerer and baselines" in markdown and "| **overall** |" in markdown


def test_limit_takes_the_first_videos(bench, tmp_path):
    _, qa_file, videos, _ = bench
    report = run_m3bench(qa_file, videos, "lite", tmp_path / "out", limit=1)
    assert report["videos"] == {"listed": 1, "found": 1, "ingested": 1, "missing": 0, "failed": 0}
    with pytest.raises(ValueError, match="limit"):
        run_m3bench(qa_file, videos, "lite", tmp_path / "out", limit=0)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        run_m3bench(qa_file, tmp_path / "nowhere", "lite", tmp_path / "out")


@pytest.mark.parametrize("data, where", [
    ([1, 2], "non-empty object"),
    ({}, "non-empty object"),
    ({"v1": {"video_path": "v1.mp4"}}, "video 'v1': 'qa_list' must be a list"),
    ({"v1": {"video_path": "v1.mp4", "qa_list": [_qa("v1_Q01", "ok?", "00:01", ["T"]),
                                                 _qa("v1_Q02", "when?", "1 minute", ["T"])]}},
     "video 'v1', qa_list[1] (v1_Q02): 'timestamp' must be 'MM:SS'"),
    ({"v1": {"qa_list": [_qa("v1_Q01", "ok?", "00:01", [])]}}, "'type' must be a non-empty list"),
    ({"v1": {"qa_list": [{"question": "no id", "answer": "a", "timestamp": "00:01", "type": ["T"]}]}},
     "qa_list[0]: 'question_id' must be a string"),
])
def test_bad_qa_files_name_the_file_and_the_entry(tmp_path, data, where):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(QAFileError) as err:
        load_qa_file(path)
    assert str(path) in str(err.value) and where in str(err.value)


def test_unreadable_qa_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(QAFileError, match="not a readable JSON QA file"):
        load_qa_file(path)


def test_the_real_m3_bench_robot_file(shared_data, tmp_path):
    qa_file = shared_data / "qa" / "m3-bench-robot.json"
    if not qa_file.is_file():
        pytest.skip(f"{qa_file} is absent")
    entries = load_qa_file(qa_file)
    assert len(entries) == 100 and sum(len(e.questions) for e in entries) == 1276
    assert {t for e in entries for q in e.questions for t in q.types} == M3_TYPES
    assert all(q.timestamp >= 0 for e in entries for q in e.questions)
    (tmp_path / "videos").mkdir()
    report = run_m3bench(qa_file, tmp_path / "videos", "lite", tmp_path / "out")  # the videos are not shipped
    assert report["videos"] == {"listed": 100, "found": 0, "ingested": 0, "missing": 100, "failed": 0}
    assert report["questions"]["total"] == 1276 and report["questions"]["asked"] == 0
    assert report["ingest_rtf"] is None and "no video was ingested" in report["not_measurable"]["ingest_rtf"]
    assert report["query_p50_ms"] is None and (tmp_path / "out" / "report.md").is_file()

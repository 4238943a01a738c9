"""External benchmarks in the M3-Bench QA format: a QA file and a folder of videos.

The file maps video ids to ``{"video_path", "mem_path", "qa_list": [{"question", "answer",
"question_id", "reasoning", "timestamp": "MM:SS", "type": [...], "before_clip"}]}``. Each video
is looked up as ``<videos>/<video_id>.mp4``, else by the file name of its ``video_path``; found
ones are ingested into fresh memories, every question's retrieval is timed, and every question is
asked of the memory at its own time (``memory.ask(question, at=timestamp)``). Answers are graded
against the reference by ``mnemo.evaluation.m3_scoring`` (by the reference's form: yes/no, a count,
keyword overlap for free text; or by an LLM judge), per type, beside baselines graded the same way:
always "I don't know", retrieval only (the text of the nearest event that ended before the
question), and the expected score of a uniform guess of the reference's form.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import mnemo
from memory.store import StoreError
from mnemo.config import load_profile
from mnemo.evaluation.baselines import Retrieval
from mnemo.evaluation.latency import RETRIEVAL_CALL, load_average, machine, percentiles, time_searches
from mnemo.evaluation.m3_scoring import LLMJudge, as_text, grade, uniform_expected
from mnemo.evaluation.plot import plot_episode
from mnemo.evaluation.report import baseline_margins, empty_metrics, write_report
from mnemo.evaluation.workspace import fresh_memory_dir
from streams.errors import SourceError

logger = logging.getLogger(__name__)

NO_BOUNDARIES = "not measurable here: M3-Bench QA files carry no event boundaries"
NO_IDENTITIES = "not measurable here: M3-Bench QA files carry no identity labels"
BASELINES = ("unknown", "retrieval", "uniform")
_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d+):(\d{2})")  # [HH:]MM:SS


class QAFileError(ValueError):
    """A QA file is unreadable or not in the M3-Bench shape; the message names the file and the entry."""


@dataclass(frozen=True)
class QAItem:
    """One question of the benchmark."""

    question_id: str
    question: str
    answer: str  # free text
    timestamp: float  # media seconds the question is asked at
    types: tuple[str, ...]  # a question may have several types
    before_clip: int | None = None  # M3-Bench's clip index the question follows


@dataclass(frozen=True)
class QAVideo:
    """One video of the benchmark and its questions."""

    video_id: str
    video_path: str  # as written in the file, relative to the benchmark's own layout
    questions: tuple[QAItem, ...]


def load_qa_file(path: str | Path) -> list[QAVideo]:
    """Read and check an M3-Bench QA file; QAFileError names the file and the first bad entry."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise QAFileError(f"{path}: not a readable JSON QA file ({err})") from err
    if not isinstance(data, dict) or not data:
        raise QAFileError(f"{path}: expected a non-empty object of video id -> {{'video_path', 'qa_list'}}, "
                          f"got {type(data).__name__}{' (empty)' if isinstance(data, dict) else ''}")
    return [_video(path, video_id, entry) for video_id, entry in data.items()]


def _video(path: Path, video_id: str, entry: Any) -> QAVideo:
    where = f"{path}: video {video_id!r}"
    if not isinstance(entry, dict):
        raise QAFileError(f"{where}: expected an object with 'qa_list', got {type(entry).__name__}")
    video_path = entry.get("video_path", f"{video_id}.mp4")
    if not isinstance(video_path, str):
        raise QAFileError(f"{where}: 'video_path' must be a string, got {video_path!r}")
    qa_list = entry.get("qa_list")
    if not isinstance(qa_list, list):
        raise QAFileError(f"{where}: 'qa_list' must be a list of questions, got {type(qa_list).__name__}")
    return QAVideo(video_id, video_path, tuple(_item(f"{where}, qa_list[{i}]", qa) for i, qa in enumerate(qa_list)))


def _item(where: str, qa: Any) -> QAItem:
    if not isinstance(qa, dict):
        raise QAFileError(f"{where}: expected an object, got {type(qa).__name__}")
    if isinstance(qa.get("question_id"), str):
        where = f"{where} ({qa['question_id']})"
    for key in ("question_id", "question", "answer", "timestamp"):
        if not isinstance(qa.get(key), str):
            raise QAFileError(f"{where}: {key!r} must be a string, got {qa.get(key)!r}")
    types = qa.get("type")
    if not (isinstance(types, list) and types and all(isinstance(t, str) for t in types)):
        raise QAFileError(f"{where}: 'type' must be a non-empty list of strings, got {types!r}")
    before = qa.get("before_clip")
    if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
        raise QAFileError(f"{where}: 'before_clip' must be an integer, got {before!r}")
    return QAItem(qa["question_id"], qa["question"], qa["answer"], _seconds(where, qa["timestamp"]),
                  tuple(types), before)


def _seconds(where: str, stamp: str) -> float:
    m = _TIMESTAMP.fullmatch(stamp.strip())
    if not m:
        raise QAFileError(f"{where}: 'timestamp' must be 'MM:SS' (or 'HH:MM:SS'), got {stamp!r}")
    hours, minutes, seconds = int(m.group(1) or 0), int(m.group(2)), int(m.group(3))
    return float(hours * 3600 + minutes * 60 + seconds)


def find_video(videos: Path, entry: QAVideo) -> Path | None:
    """``<videos>/<video_id>.mp4``, else ``<videos>/<file name of video_path>``; None when neither exists."""
    for candidate in (videos / f"{entry.video_id}.mp4", videos / Path(entry.video_path).name):
        if candidate.is_file():
            return candidate
    return None


def run_m3bench(qa_file: str | Path, videos: str | Path, profile: str, out_dir: str | Path,
                limit: int | None = None, work_dir: str | Path | None = None, judge: LLMJudge | None = None) -> dict:
    """Ingest the benchmark's videos that are present, time every question's retrieval, ask and grade
    every question (by rule, or by ``judge``); writes report.json, report.md and a surprise plot per
    ingested video into ``out_dir``."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit={limit!r}: expected None or a positive number of videos")
    videos = Path(videos)
    if not videos.is_dir():
        raise FileNotFoundError(f"{videos}: no such folder of videos")
    entries = load_qa_file(qa_file)[:limit]
    load_profile(profile)  # fail on a bad profile before ingesting anything
    load = load_average()
    out = Path(out_dir)
    work = Path(work_dir) if work_dir is not None else out / "work"
    details = [_run_video(entry, videos, profile, out, work, judge) for entry in entries]
    report = _report(details, entries, Path(qa_file), videos, profile, limit)
    if judge is not None:
        report["judge"] = {"model": judge.config.model, "asked": judge.asked, "fallbacks": judge.fallbacks}
    report["machine"] = machine(load)
    write_report(report, out)
    return report


def _run_video(entry: QAVideo, videos: Path, profile: str, out: Path, work: Path, judge: LLMJudge | None) -> dict:
    detail: dict[str, Any] = {"video_id": entry.video_id, "video": None, "status": "missing",
                              "questions": len(entry.questions), "events": None, "duration": None, "rtf": None,
                              "latency": None, "latencies_ms": [], "answers": [], "plot": None}
    video = find_video(videos, entry)
    if video is None:
        detail["reason"] = f"not found: looked for {entry.video_id}.mp4 and {Path(entry.video_path).name}"
        return detail
    detail["video"] = str(video)
    try:
        _ingest_and_ask(entry, video, profile, out, work, detail, judge)
    except (SourceError, StoreError, OSError) as err:  # a bad file is reported and skipped; the batch goes on
        logger.warning("%s: skipped: %s", video, err)
        detail.update(status="failed", reason=str(err))
    return detail


def _ingest_and_ask(entry: QAVideo, video: Path, profile: str, out: Path, work: Path, detail: dict,
                    judge: LLMJudge | None) -> None:
    trace: list[tuple[float, float]] = []
    memory_dir = fresh_memory_dir(work / f"memory-{_safe(entry.video_id)}")
    with mnemo.open(memory_dir, profile=profile, create=True) as memory:
        ingest = memory.ingest(str(video), trace=trace)
        starts = sorted(e.start for e in memory.events())
        timing = time_searches(memory, [q.question for q in entry.questions])
        detail["answers"] = [_ask(memory, q, judge) for q in entry.questions]
    plot = plot_episode(out / f"video-{_safe(entry.video_id)}.png", trace, starts[1:], [],
                        title=f"{entry.video_id}: surprise and predicted boundaries",
                        threshold=load_profile(profile).segmenter.gamma)
    detail.update(status="ingested", events=len(starts), duration=ingest.media_seconds, rtf=ingest.realtime_factor,
                  latency=timing.summary(), latencies_ms=timing.latencies_ms, plot=str(plot))
    late = sum(q.timestamp > ingest.media_seconds + 1.0 for q in entry.questions)
    if late:
        detail["reason"] = f"{late} question(s) asked after the video's end ({ingest.media_seconds:.0f} s)"
    logger.info("%s: %d events, RTF %.1f, %d questions searched", entry.video_id, len(starts),
                ingest.realtime_factor, len(timing.latencies_ms))


@dataclass(frozen=True)
class _Asked:
    """A question as the retrieval baseline reads it."""

    text: str
    asked_at: float


def _ask(memory: Any, q: QAItem, judge: LLMJudge | None) -> dict:
    """Ask one question at its time; grade the answer and each baseline's the same way."""
    answer = memory.ask(q.question, at=q.timestamp)
    said = None
    if answer.known:
        said = as_text(answer.value) if isinstance(answer.value, (bool, int, float)) else answer.text
    nearest = Retrieval.nearest(memory, _Asked(q.question, q.timestamp))
    retrieved = nearest[2] or None if nearest else None

    def correct(text: str | None) -> float:
        return float(judge(q.question, q.answer, text) if judge is not None else grade(q.answer, text))

    return {"question_id": q.question_id, "question": q.question, "types": list(q.types), "at": q.timestamp,
            "reference": q.answer, "answer": said, "kind": answer.kind, "correct": correct(said),
            "baselines": {"unknown": 0.0, "retrieval": correct(retrieved), "uniform": uniform_expected(q.answer)},
            "retrieved": retrieved}


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


def _report(details: list[dict], entries: list[QAVideo], qa_file: Path, videos: Path, profile: str,
            limit: int | None) -> dict:
    by_type: dict[str, int] = {}
    for entry in entries:
        for q in entry.questions:
            for t in q.types:
                by_type[t] = by_type.get(t, 0) + 1
    ingested = [d for d in details if d["status"] == "ingested"]
    latencies = [ms for d in ingested for ms in d.pop("latencies_ms")]
    for d in details:
        d.pop("latencies_ms", None)
    answers = [a for d in ingested for a in d["answers"]]
    lat = percentiles(latencies)
    metrics = empty_metrics(sorted(by_type))
    metrics.update(ingest_rtf=float(np.mean([d["rtf"] for d in ingested])) if ingested else None,
                   query_p50_ms=lat["p50_ms"], query_p99_ms=lat["p99_ms"])
    baselines = {}
    if answers:
        qa = _accuracy(answers, sorted(by_type), lambda a: a["correct"])
        metrics.update(qa_accuracy=qa["overall"], qa_accuracy_by_type=qa["per_type"])
        baselines = {name: _accuracy(answers, sorted(by_type), lambda a, n=name: a["baselines"][n])
                     for name in BASELINES}
    counts = {status: sum(d["status"] == status for d in details) for status in ("ingested", "missing", "failed")}
    return {
        "suite": "m3bench", **metrics,
        "not_measurable": _not_measurable(metrics, counts),
        "profile": profile, "qa_file": str(qa_file), "videos_dir": str(videos), "limit": limit,
        "retrieval": RETRIEVAL_CALL, "answerer": "builtin" if answers else None,
        "baselines": baselines, "baseline_margin": baseline_margins(metrics, baselines) if baselines else None,
        "videos": {"listed": len(entries), "found": counts["ingested"] + counts["failed"], **counts},
        "questions": {"total": sum(len(e.questions) for e in entries), "asked": len(answers), "by_type": by_type},
        "notes": ["question types are multi-label: a question counts once under each of its types",
                  "answers are graded by the reference's form (mnemo.evaluation.m3_scoring): yes/no, a count, "
                  "else keyword overlap (at least half the reference's content words); or by the LLM judge",
                  "uniform: the expected score of a uniform guess of the reference's form (yes/no 1/2, counts "
                  "0-5 1/6, free text 0)",
                  f"query latency: {RETRIEVAL_CALL}, over the whole video's memory; the cold first search "
                  "of each memory is reported apart as first_query_ms"],
        "episodes": details,
    }


def _accuracy(answers: list[dict], types: list[str], score) -> dict:
    """Mean score overall (each question once) and per type (a question under each of its types)."""
    per_type = {t: [score(a) for a in answers if t in a["types"]] for t in types}
    return {"overall": float(np.mean([score(a) for a in answers])),
            "per_type": {t: float(np.mean(v)) if v else None for t, v in per_type.items()}}


def _not_measurable(metrics: dict, counts: dict[str, int]) -> dict[str, str]:
    reasons = {"boundary_f1": NO_BOUNDARIES, "boundary_precision": NO_BOUNDARIES, "boundary_recall": NO_BOUNDARIES,
               "entity_bcubed_f1": NO_IDENTITIES}
    nothing = f"no video was ingested ({counts['missing']} missing, {counts['failed']} failed)"
    for key in ("ingest_rtf", "query_p50_ms", "query_p99_ms", "qa_accuracy"):
        if metrics[key] is None:
            reasons[key] = nothing if not counts["ingested"] else "no questions were asked"
    if metrics["qa_accuracy"] is None:
        reasons["qa_accuracy_by_type"] = reasons["qa_accuracy"]
    return reasons

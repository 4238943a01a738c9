"""The simulator suite: render episodes, ingest them through the real pipeline, measure what can be.

Per seed: render the episode (or reuse it), ingest its mp4 (frames, and its espeak-ng audio through
the profile's speech stack) into a fresh memory through ``mnemo.open(...).ingest``, score the event
boundaries against the visible truth, time the retrieval call of every generated question, and, when
an answerer is given, score its answers with ``sim.score`` (the CLI gives the built-in answerer; without one QA accuracy is null). The
baselines (``mnemo.evaluation.baselines``) answer the same questions of the same memories and are
scored the same way, so that every figure stands beside what needs no reasoning.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

import mnemo
from mnemo.api import Memory
from mnemo.config import Profile, load_profile
from mnemo.evaluation.baselines import Baseline, baseline_score, make_baselines
from mnemo.evaluation.entities import score_stored_entities
from mnemo.evaluation.placement import placement_errors
from mnemo.evaluation.placement import summarise as summarise_placement
from mnemo.evaluation.sim_perception import feed_sim_perception
from mnemo.evaluation.boundaries import (DEFAULT_MERGE, DEFAULT_TOLERANCE, BoundaryResult, combine, combine_kinds,
                                         evaluate_boundaries, split_visible, visible_boundaries)
from mnemo.evaluation.latency import RETRIEVAL_CALL, QueryTiming, load_average, machine, percentiles, time_searches
from mnemo.evaluation.plot import plot_episode
from mnemo.evaluation.report import NO_ENTITIES, NO_REASONER, baseline_margins, empty_metrics, write_report
from mnemo.evaluation.workspace import fresh_memory_dir
from mnemo.pipeline import IngestReport, decoded_frame_size
from streams.geometry import scaled_size
from streams.identity import stream_id
from memory.spoken import SAID
from sim import (QUESTION_TYPES, NoiseConfig, Question, RenderConfig, ScenarioConfig, Truth, WorldConfig,
                 espeak_available, generate_questions, load_truth, render_episode, score)
from sim.questions import DURATION_TOLERANCE, TIME_TOLERANCE
from sim.wording import WORDINGS

logger = logging.getLogger(__name__)

Answerer = Callable[[Memory, Question], Any]  # (memory, question) -> an answer sim.score can grade

DEFAULT_SEEDS = (1, 2, 3)
DEFAULT_MINUTES = 20.0  # EVAL.md wants >= 30 questions of every type per episode: 10 minutes hold too few
QUESTIONS_PER_TYPE = 30  # EVAL.md: at least 30 of every type per episode (short episodes hold fewer)
NOISE_PRESETS: dict[str, Callable[[], NoiseConfig]] = {"default": NoiseConfig, "clean": NoiseConfig.clean}
EPISODE_NAME = "episode"  # render_episode's file stem: episode.mp4 beside truth.json


def sim_detection_fps(profile: Profile) -> float:
    """Frames per second the simulated detector (a robot's detection topic) looks at under a loaded profile:
    its frame rate (sampling.fps), as issue #26 asks, not its entities.fps, which prices the profile's own
    detectors on a CPU (standard's OpenCV people and faces: 0.5 Hz) that the suite does not run. At 1 Hz a
    moving camera's boxes rarely link into tracks and most acts go unseen (docs/evaluation.md, "The
    detection rate")."""
    return float(profile.sampling.fps)


@dataclass(frozen=True)
class _Settings:
    """What every episode of one suite run shares."""

    minutes: float
    profile: str
    out: Path  # reports and plots
    work: Path  # rendered episodes and memories
    answerer: Answerer | None
    tolerance: float  # seconds, boundary matching
    per_type: int  # questions per type
    threshold: float  # the segmenter's proposal z-score (gamma), drawn on the plots
    noise: str = "default"  # the simulated perception noise preset (entity measurement)
    baselines: tuple[Baseline, ...] = ()  # answer the same questions beside the answerer (baselines.py)
    wording: str = "dev"  # the phrasings of questions and lines (sim/wording.py): "dev" or "heldout"


@dataclass
class EpisodeRun:
    """What one seed gave, kept whole for aggregation; ``detail`` is its JSON form."""

    seed: int
    boundaries: BoundaryResult
    ingest: IngestReport
    timing: QueryTiming
    scores: dict[str, list[float]] | None  # per question type, when answered
    baselines: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # name -> scores per type
    detail: dict = field(default_factory=dict)
    placement: dict[str, list[float]] = field(default_factory=dict)  # per sighting kind, placement errors (m)


def run_sim_suite(seeds: Sequence[int], minutes: float, profile: str, out_dir: str | Path,
                  work_dir: str | Path | None = None, noise: str = "default", answerer: Answerer | None = None,
                  *, tolerance: float = DEFAULT_TOLERANCE, per_type: int = QUESTIONS_PER_TYPE,
                  baselines: Sequence[str] | None = None, wording: str = "dev") -> dict:
    """Evaluate ``profile`` on the simulator episodes of ``seeds``; writes report.json, report.md and
    one PNG per episode into ``out_dir``, and returns the report. Rendered episodes and memories go
    to ``work_dir`` (default ``out_dir/work``); an episode already rendered there is reused.
    ``baselines`` names those answering beside the answerer (default: all of ``baselines.BASELINES``;
    ``()`` for none). ``wording`` picks the phrasings people and questions use (sim/wording.py): "dev",
    the set the answerer was built on, or "heldout", the set it never saw."""
    seeds = _check_seeds(seeds)
    if wording not in WORDINGS:
        raise ValueError(f"wording={wording!r}: unknown wording; known: {', '.join(WORDINGS)}")
    _check_minutes(minutes)
    _check_noise(noise)
    if not (isinstance(per_type, int) and per_type >= 1):
        raise ValueError(f"per_type={per_type!r}: expected a positive number of questions per type")
    if not tolerance >= 0:
        raise ValueError(f"tolerance={tolerance!r}: expected seconds >= 0")
    chosen = tuple(make_baselines(baselines))  # an unknown name fails here, before any work
    loaded = load_profile(profile)  # fails on a bad profile before rendering anything
    gamma = loaded.segmenter.gamma
    if loaded.speech.asr is not None and not espeak_available():
        logger.warning("espeak-ng is not installed: the episodes' people speak in tones, which the %s profile's "
                       "recogniser cannot read (apt-get install espeak-ng; scripts/setup.sh does)", profile)
    load = load_average()
    out = Path(out_dir)
    settings = _Settings(minutes, profile, out, Path(work_dir) if work_dir is not None else out / "work",
                         answerer, tolerance, per_type, gamma, noise, chosen, wording)
    runs = [_run_episode(seed, settings) for seed in seeds]
    report = _report(runs, seeds, noise, settings)
    report["machine"] = machine(load)
    write_report(report, out)
    return report


# ------------------------------------------------------------------------------------------ checks

def _check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"seeds={seeds!r}: expected a non-empty list of integers")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds={seeds!r}: a seed is listed twice")
    return [int(s) for s in seeds]


def _check_minutes(minutes: float) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 7 * 24 * 60:
        raise ValueError(f"minutes={minutes!r}: expected a positive number of minutes (at most a week)")


def _check_noise(noise: str) -> None:
    if noise not in NOISE_PRESETS:
        raise ValueError(f"noise={noise!r}: unknown noise preset; known: {', '.join(NOISE_PRESETS)}")
    if noise == "clean":
        logger.warning("noise='clean': clean truth is for debugging, never the reported figure (EVAL.md)")


# ----------------------------------------------------------------------------------------- episode

def prepare_episode(seed: int, minutes: float, directory: str | Path, wording: str = "dev") -> tuple[Path, Truth, bool]:
    """(video, truth, reused): the rendered episode in ``directory``, its people speaking in ``wording``,
    rendered now unless the truth.json and mp4 there are of the same seed, length, wording and camera."""
    directory = Path(directory)
    video = directory / f"{EPISODE_NAME}.mp4"
    truth = _reusable_truth(directory / "truth.json", video, seed, minutes, wording)
    if truth is not None:
        logger.info("episode %d: reusing the render in %s", seed, directory)
        return video, truth, True
    logger.info("episode %d: rendering %.1f minutes into %s", seed, minutes, directory)
    files = render_episode(seed, minutes, directory, scenario=ScenarioConfig(wording=wording), bag=False,
                           overwrite=True, name=EPISODE_NAME)
    return files.video, load_truth(files.truth), False


def _reusable_truth(truth_path: Path, video: Path, seed: int, minutes: float, wording: str = "dev") -> Truth | None:
    """The truth of a render made as one would be made now: same seed, world and scenario settings (length,
    wording, twins, silent people), camera and speech (espeak-ng voices where installed)."""
    if not (truth_path.is_file() and video.is_file() and video.stat().st_size > 0):
        return None
    try:
        written = json.loads(truth_path.read_text())  # as written: a setting added since then is missing here
    except (OSError, json.JSONDecodeError) as err:
        logger.warning("%s is not reusable (%s); rendering again", truth_path, err)
        return None
    camera = RenderConfig()
    scenario = ScenarioConfig(duration=float(minutes) * 60.0, wording=wording)
    same = (isinstance(written, dict) and written.get("scenario_config") == _as_json(scenario)
            and written.get("world_config") == _as_json(WorldConfig()) and written.get("seed") == seed
            and written.get("speech") == ("espeak" if espeak_available() else "tones")
            and (written.get("width"), written.get("height"), written.get("fps")) == (camera.width, camera.height,
                                                                                      camera.fps))
    if not same:
        return None
    try:
        return Truth.from_json(written)
    except (ValueError, TypeError, KeyError) as err:
        logger.warning("%s is not reusable (%s); rendering again", truth_path, err)
        return None


def _as_json(config) -> dict:
    """A config dataclass as truth.json holds it."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def _run_episode(seed: int, settings: _Settings) -> EpisodeRun:
    folder = f"episode-{seed}" + ("" if settings.wording == "dev" else f"-{settings.wording}")
    video, truth, reused = prepare_episode(seed, settings.minutes, settings.work / folder, settings.wording)
    questions = generate_questions(truth, seed=seed, per_type=settings.per_type, wording=settings.wording)
    trace: list[tuple[float, float]] = []
    memory_dir = fresh_memory_dir(settings.work / f"memory-{seed}")
    noise = NOISE_PRESETS[settings.noise]()
    profile = sim_profile(settings.profile, truth, video.parent / "truth.json", noise, seed)
    with mnemo.open(memory_dir, profile=profile, create=True) as memory:
        stream = stream_id(str(video))
        memory.store.add_stream(stream, str(video))  # the robot's logs are written as the camera's stream
        perceived = feed_sim_perception(memory.store, truth, stream, noise, seed)
        ingest = memory.ingest(str(video), trace=trace)
        starts = sorted(e.start for e in memory.events())
        size = scaled_size(truth.width, truth.height, None, decoded_frame_size(memory.encoders))
        entities = score_stored_entities(memory.store, truth, size, stream=stream)
        perceived.update(sightings=entities["sightings"], placed=_placed(memory, stream))
        placement = placement_errors(memory.store, truth, size, stream=stream)
        heard = _heard(memory, stream, truth)
        timing = time_searches(memory, [q.text for q in questions])
        scores = _answer(memory, questions, settings.answerer) if settings.answerer is not None else None
        baselines = {b.name: _answer_baseline(memory, questions, b) for b in settings.baselines}
    predicted = starts[1:]  # the first event starts the stream: not a boundary
    result = evaluate_boundaries(predicted, truth, settings.tolerance)
    plot = _plot(seed, trace, predicted, truth, settings)
    run = EpisodeRun(seed, result, ingest, timing, scores, baselines, placement=placement)
    run.detail = _detail(run, truth, video, reused, len(starts), questions, plot)
    run.detail["entities"] = entities
    run.detail["sim_perception"] = perceived
    run.detail["placement_error"] = summarise_placement(placement)
    run.detail["speech"] = heard
    logger.info("episode %d: %d events, boundary F1 %s, RTF %.1f, p50 %s ms", seed, len(starts),
                _short(result.score.f1), ingest.realtime_factor, _short(timing.summary()["p50_ms"]))
    return run


def without_subtitles(profile: str):
    """The profile, reading no subtitle track: an episode's subtitles are its script (who said what,
    word for word, by name), which no camera or microphone gives. What was said reaches memory as
    perception heard it (the simulated recogniser and diariser: voices, not names)."""
    loaded = load_profile(profile)
    return dataclasses.replace(loaded, sampling=dataclasses.replace(loaded.sampling, text=False))


def sim_profile(profile: str, truth: Truth, truth_path: Path, noise: NoiseConfig, seed: int):
    """The profile as the simulated robot runs it: no subtitles (``without_subtitles``); the simulator's
    detector (boxes, labels, scores) in place of the profile's detectors, at the profile's frame rate
    (``sim_detection_fps``), through its tracker and re-identification; and the robot's
    camera model (a level pinhole at the agent's height, its field of view), so that sightings are
    placed from the pose log."""
    import sim.detector  # noqa: F401  (registers the detector "sim")

    loaded = without_subtitles(profile)
    camera = {"height_m": float(truth.agent.camera_height), "hfov_deg": float(truth.agent.hfov_deg)}
    entities = dataclasses.replace(loaded.entities, detectors=("sim",), camera=camera,
                                   fps=sim_detection_fps(loaded),
                                   detector_options={"sim": {"truth": truth, "noise": noise, "seed": seed}})
    return dataclasses.replace(loaded, entities=entities)


def _heard(memory: Memory, stream: str, truth: Truth) -> dict:
    """What the speech stack made of the episode's audio, beside what was said in earshot: lines with words
    (the world's ``spoken``), speech turns without words (a profile with no recogniser) and voices."""
    stored = memory.store.utterances(stream=stream)
    said = [u for u in stored if u.origin in SAID and u.text.strip()]
    in_earshot = [u for u in truth.utterances if u.heard]
    return {"audio": truth.speech, "lines_in_earshot": len(in_earshot),
            "speakers_in_earshot": len({u.speaker for u in in_earshot}), "people": len(truth.people),
            "utterances_with_words": len(said), "turns_without_words": len(stored) - len(said),
            "voices": len({u.voice for u in stored if u.voice})}


def _placed(memory: Memory, stream: str) -> int:
    """How many of the stream's sightings got a position."""
    from memory.perceived import sightings

    return sum(1 for r in sightings(memory.store) if r[1] == stream)


def builtin_answerer(memory: Memory, question: Question) -> Any:
    """The built-in answerer (planners/builtin.py) through ``memory.ask``: its typed value, None when unknown."""
    answer = memory.ask(question.text, at=question.asked_at)
    return answer.value if answer.known else None


class LLMSuiteAnswerer:
    """The LLM answerer (planners/llm.py, with its structured tools) through ``memory.ask(answerer="llm")``: its
    typed value, None when unknown. Counts the questions the built-in answerer took over (the model failed)."""

    def __init__(self, config) -> None:
        self.config = config  # a planners.llm.LLMConfig
        self.asked = 0
        self.fallbacks = 0

    @property
    def name(self) -> str:
        return f"llm:{self.config.model}"

    def __call__(self, memory: Memory, question: Question) -> Any:
        from planners.llm import LLMAnswerer

        if memory.reasoner.llm is None or memory.reasoner.llm.config != self.config:
            memory.reasoner.llm = LLMAnswerer(self.config)
        answer = memory.ask(question.text, at=question.asked_at, answerer="llm")
        self.asked += 1
        self.fallbacks += answer.answerer.startswith("builtin (fallback")
        return answer.value if answer.known else None


def _answer(memory: Memory, questions: list[Question], answerer: Answerer) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        scores[q.type].append(float(score(q, answerer(memory, q))))
    return dict(scores)


def _answer_baseline(memory: Memory, questions: list[Question], baseline: Baseline) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for q in questions:
        scores[q.type].append(baseline_score(baseline, memory, q))
    return dict(scores)


def _plot(seed: int, trace, predicted: list[float], truth: Truth, settings: _Settings) -> Path:
    scored, _ = visible_boundaries(truth, DEFAULT_MERGE, edge=settings.tolerance)
    _, unseen = split_visible(truth)
    return plot_episode(settings.out / f"episode-{seed}.png", trace, predicted, [b.time for b in scored],
                        [b.time for b in unseen], title=f"episode {seed}: surprise and boundaries",
                        tolerance=settings.tolerance, threshold=settings.threshold)


def _detail(run: EpisodeRun, truth: Truth, video: Path, reused: bool, events: int, questions: list[Question],
            plot: Path) -> dict:
    counts = {t: 0 for t in QUESTION_TYPES}
    for q in questions:
        counts[q.type] += 1
    ingest = run.ingest
    return {
        "seed": run.seed, "duration": truth.duration, "video": str(video), "reused_render": reused, "events": events,
        "boundaries": run.boundaries.to_dict(),
        "ingest": {"media_seconds": ingest.media_seconds, "wall_seconds": ingest.wall_seconds,
                   "rtf": ingest.realtime_factor, "frames": ingest.frames, "stages": dict(ingest.stages)},
        "latency": run.timing.summary(),
        "questions": {"total": len(questions), "by_type": counts},
        "qa": _qa(run.scores) if run.scores is not None else None,
        "baselines": {name: _baseline_qa(scores) for name, scores in run.baselines.items()},
        "plot": str(plot),
    }


# ---------------------------------------------------------------------------------------- aggregate

def _qa(scores: dict[str, list[float]]) -> dict:
    every = [s for values in scores.values() for s in values]
    return {"accuracy": float(np.mean(every)) if every else None,
            "by_type": {t: float(np.mean(scores[t])) if scores.get(t) else None for t in QUESTION_TYPES}}


def _baseline_qa(scores: dict[str, list[float]]) -> dict:
    qa = _qa(scores)
    return {"overall": qa["accuracy"], "per_type": qa["by_type"]}


def _report(runs: list[EpisodeRun], seeds: list[int], noise: str, settings: _Settings) -> dict:
    answerer, tolerance = settings.answerer, settings.tolerance
    metrics = empty_metrics(QUESTION_TYPES)
    total = combine(r.boundaries.score for r in runs)
    latencies = [ms for r in runs for ms in r.timing.latencies_ms]
    lat = percentiles(latencies)
    metrics.update(boundary_f1=total.f1, boundary_precision=total.precision, boundary_recall=total.recall,
                   ingest_rtf=float(np.mean([r.ingest.realtime_factor for r in runs])),
                   query_p50_ms=lat["p50_ms"], query_p99_ms=lat["p99_ms"])
    entity_f1 = [r.detail["entities"]["overall"]["f1"] for r in runs if r.detail["entities"]["overall"]]
    if entity_f1:
        metrics.update(entity_bcubed_f1=float(np.mean(entity_f1)))
    if answerer is not None:
        qa = _qa(_merge_scores(runs))
        metrics.update(qa_accuracy=qa["accuracy"], qa_accuracy_by_type=qa["by_type"])
    counts = {t: sum(r.detail["questions"]["by_type"][t] for r in runs) for t in QUESTION_TYPES}
    names = list(runs[0].baselines) if runs else []
    baselines = {name: _baseline_qa(_merge_scores(runs, name)) for name in names}
    return {
        "suite": "sim", **metrics, "speech": _speech(settings.profile, runs),
        "not_measurable": _not_measurable(metrics, answerer is not None),
        "profile": settings.profile, "wording": settings.wording, "seeds": seeds, "minutes": settings.minutes, "noise": noise,
        "tolerance_s": tolerance, "questions_per_type": settings.per_type,
        "answerer": _name(answerer) if answerer is not None else None,
        "baselines": baselines, "baseline_margin": baseline_margins(metrics, baselines),
        "retrieval": RETRIEVAL_CALL,
        "boundary_matching": {**total.to_dict(), "tolerance_s": tolerance, "merge_s": DEFAULT_MERGE},
        "placement_error": summarise_placement(_merge_placement(runs)),
        "boundary_by_kind": {k: c.to_dict() for k, c in combine_kinds(r.boundaries for r in runs).items()},
        "questions": {"total": sum(counts.values()), "by_type": counts},
        "scoring": {"time_tolerance_s": TIME_TOLERANCE, "duration_tolerance": {
            "seconds": DURATION_TOLERANCE[0], "share": DURATION_TOLERANCE[1]}},
        "notes": _notes(noise, tolerance, answerer, names),
        "episodes": [r.detail for r in runs],
    }


def _merge_placement(runs: list[EpisodeRun]) -> dict[str, list[float]]:
    """Every episode's placement errors, per sighting kind."""
    merged: dict[str, list[float]] = {}
    for r in runs:
        for kind, errors in r.placement.items():
            merged.setdefault(kind, []).extend(errors)
    return merged


def _speech(profile: str, runs: list[EpisodeRun]) -> dict:
    """The profile's speech stack and what the world heard through it (summed over episodes)."""
    config = load_profile(profile).speech
    totals = {k: sum(r.detail["speech"][k] for r in runs) for k in
              ("lines_in_earshot", "utterances_with_words", "turns_without_words")}
    if config.vad is None:
        heard = "nothing: the profile decodes no audio"
    elif config.asr is None:
        heard = "no words: the profile finds speech and voices but recognises none (no recogniser)"
    else:
        heard = "what its recogniser made of the rendered audio, under voice labels (voice:N)"
    return {"vad": config.vad, "asr": config.asr, "voices": config.voices,
            "audio": sorted({r.detail["speech"]["audio"] for r in runs}), "world_hears": heard, **totals}


def _merge_scores(runs: list[EpisodeRun], baseline: str | None = None) -> dict[str, list[float]]:
    """Every episode's scores per type: the answerer's, or the named baseline's."""
    merged: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        scores = r.scores if baseline is None else r.baselines.get(baseline)
        for t, values in (scores or {}).items():
            merged[t].extend(values)
    return dict(merged)


def _not_measurable(metrics: dict, answered: bool) -> dict[str, str]:
    reasons = {} if metrics.get("entity_bcubed_f1") is not None else {"entity_bcubed_f1": NO_ENTITIES}
    if not answered:
        reasons.update(qa_accuracy=NO_REASONER, qa_accuracy_by_type=NO_REASONER)
    undefined = {"boundary_precision": "undefined: no boundary was predicted",
                 "boundary_recall": "undefined: the episodes hold no visible scene change",
                 "boundary_f1": "undefined: no boundary predicted and none visible",
                 "query_p50_ms": "no questions were asked", "query_p99_ms": "no questions were asked",
                 "qa_accuracy": "no questions were asked"}
    for key, reason in undefined.items():
        if metrics.get(key) is None and key not in reasons:
            reasons[key] = reason
    return reasons


def _notes(noise: str, tolerance: float, answerer: Answerer | None, baselines: list[str]) -> list[str]:
    notes = [
        f"boundaries: event starts (after the first) matched one-to-one (as many pairs as possible) within "
        f"±{tolerance:g} s "
        "to the scene changes the camera could see (agent room changes; people entering and activities only "
        "when the person is in view); micro-averaged over episodes",
        f"query latency: {RETRIEVAL_CALL}, over the whole memory (cutting it at the question's time is the "
        "reasoner's job); the cold first search of each memory is reported apart as first_query_ms",
        "ingest real-time factor: media seconds / wall seconds of Memory.ingest, mean over episodes",
        "entity B-cubed F1: on what ingest stored: every sighting's entity against the true entity whose box "
        "(the renderer's id buffer at that frame) it overlaps best (IoU >= 0.3; no match: a false detection); "
        "mean over episodes (per kind in each episode's detail)",
        f"noise={noise!r} sets the simulator's sensors: the rendered mp4 goes through the real pipeline (events, "
        "vectors, keyframes) with the simulator's detector (boxes, labels, scores, container states; no ids, "
        "vectors or positions) in the profile's entity stage at the profile's frame rate (sampling.fps): "
        "tracker, re-identification, "
        "appearance from the crops, colour from the pixels, positions from the pose log and a level pinhole "
        "camera; its audio (espeak-ng, a voice per person) through the profile's speech stack (`speech`: what "
        "the world hears; a profile without a recogniser hears no words); drifting odometry and the map's room "
        "rectangles are logged beside; the answerer reads only what memory stored, never truth",
    ]
    if answerer is not None:
        notes.append(f"answers from {_name(answerer)}, graded by sim.score (time answers within "
                     f"±{TIME_TOLERANCE:g} s; durations within {DURATION_TOLERANCE[0]:g} s or "
                     f"{DURATION_TOLERANCE[1]:.0%}, whichever is larger)")
    if isinstance(answerer, LLMSuiteAnswerer):
        notes.append(f"the model failed on {answerer.fallbacks} of {answerer.asked} questions (endpoint error, "
                     "timeout or output that is not the answer's JSON); the built-in answerer answered those")
    if baselines:
        notes.append(f"baselines ({', '.join(baselines)}) answer the same questions of the same memories, graded "
                     "the same way, reading only the question, its time and what the memory stored before it "
                     "(mnemo/evaluation/baselines.py); uniform is the exact expected accuracy of a uniform guess "
                     "of the right kind, not one draw; margin = the answerer's accuracy less the best baseline's "
                     "(per type, that type's best)")
    return notes


def _name(answerer: Answerer) -> str:
    return getattr(answerer, "name", None) or getattr(answerer, "__qualname__", None) or type(answerer).__name__


def _short(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"

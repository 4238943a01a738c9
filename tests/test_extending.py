"""Extension points, end to end: a toy source, frame encoder, detector, VAD, recogniser and answerer
(tests/extending_toys.py, shown in docs/extending.md) registered and used by ``mnemo.open(...).ingest``
and ``ask``, in this process and through the CLI with a profile that names them."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import mnemo
from mnemo.config import load_plugins, profile_from_dict
from perception import UnknownComponent, create_frame_encoder
from perception.detection import create_detector
from perception.speech.asr import create_transcriber
from perception.speech.vad import create_vad
from planners.answerers import create_answerer
from streams import list_sources
from streams.errors import UnknownSource
from streams.schemes import source_factory

ROOT = Path(__file__).resolve().parent.parent
TOYS = Path(__file__).resolve().parent / "extending_toys.py"
DOC = ROOT / "docs" / "extending.md"
PROFILE = {
    "name": "toys",
    "plugins": [str(TOYS)],
    "frame_encoder": "toy-histogram",
    "text_embedder": None,
    "sampling": {"fps": 2.0},
    "speech": {"vad": "toy-rms", "vad_options": {"min_voiced": 0.0, "padding_ms": 0}, "asr": "toy-duration",
               "voices": None},
    "entities": {"detectors": ["toy-squares"], "fps": 2.0},
}
URI = "toy://three-scenes"


@pytest.fixture(scope="module")
def toys():
    load_plugins([str(TOYS)])  # as a profile's `plugins` does; the module registers its six components
    return sys.modules["mnemo_plugin_extending_toys"]


@pytest.fixture(scope="module")
def ingested(toys, tmp_path_factory):
    directory = tmp_path_factory.mktemp("toys") / "memory"
    with mnemo.open(directory, profile=profile_from_dict(PROFILE), create=True) as memory:
        report = memory.ingest(URI)
    return directory, report


def test_the_toy_source_is_what_was_ingested(ingested, toys):
    directory, report = ingested
    with mnemo.open(directory, profile=profile_from_dict(PROFILE)) as memory:
        streams = memory.store.streams()
        events = memory.events()
    assert [s["uri"] for s in streams] == [URI] and report.media_seconds == pytest.approx(toys.DURATION)
    assert report.frames == 24  # 12 s at the profile's 2 fps
    # the scenes change at 4 s and 8 s: the segmenter cut the generated stream there
    assert [(e.start, e.end) for e in events] == [(s[0], s[1]) for s in toys.SCENES]


def test_event_vectors_are_the_toy_encoders_histograms(ingested, toys):
    directory, _ = ingested
    with mnemo.open(directory, profile=profile_from_dict(PROFILE)) as memory:
        spaces = memory.store.spaces()
        assert list(spaces) == ["image/toy-histogram:24"]
        ids, vectors = memory.store.vectors("image/toy-histogram:24")
        events = {e.id: e for e in memory.events()}
    assert vectors.shape[1] == 24
    encoder = create_frame_encoder("toy-histogram")
    height = min(240, profile_from_dict(PROFILE).ingest.thumbnail_size)
    for event_id, vector in zip(ids, vectors):
        event = events[int(event_id)]
        expected = encoder.encode_frames([toys.scene_frame(event.start, height)])[0]
        assert float(np.asarray(vector, np.float32) @ expected) > 0.999


def test_the_toy_detector_found_the_squares_where_they_were_drawn(ingested, toys):
    directory, _ = ingested
    height = 224  # frames arrive at the profile's thumbnail size (the toy encoder asks for less)
    with mnemo.open(directory, profile=profile_from_dict(PROFILE)) as memory:
        rows = memory.entities.entities()
        boxes = [(t["start"], t["box"]) for row in rows for t in memory.entities.timeline(row["ref"])]
    drawn = [(start, square) for start, _, _, square in toys.SCENES if square is not None]
    assert len(boxes) == len(drawn) and all(row["kind"] == "object" for row in rows)
    for (start, box), (scene_start, square) in zip(sorted(boxes), drawn):
        x, y, side = (round(v * height) for v in square)
        assert start == pytest.approx(scene_start) and box == [x, y, x + side, y + side]


def test_the_toy_vad_and_recogniser_heard_each_burst(ingested, toys):
    directory, _ = ingested
    with mnemo.open(directory, profile=profile_from_dict(PROFILE)) as memory:
        heard = memory.transcript()
    assert len(heard) == len(toys.BURSTS)
    for utterance, (start, end) in zip(heard, toys.BURSTS):
        assert utterance.origin == "asr"
        assert utterance.start == pytest.approx(start, abs=0.05) and utterance.end == pytest.approx(end, abs=0.05)
        assert utterance.text == f"speech of {utterance.end - utterance.start:.1f} seconds"


def test_the_toy_answerer_answers(ingested):
    directory, _ = ingested
    with mnemo.open(directory, profile=profile_from_dict(PROFILE)) as memory:
        answer = memory.ask("How many events are there?", answerer="toy-count")
        earlier = memory.ask("How many events are there?", at=8.0, answerer="toy-count")
        with pytest.raises(UnknownComponent, match="unknown answerer 'nope'; available: builtin, llm, toy-count"):
            memory.ask("How many?", answerer="nope")
    assert (answer.value, answer.text, answer.answerer) == (3, "3 events", "toy-count")
    assert earlier.value == 2


def test_unknown_names_list_the_known_ones(toys):
    cases = [
        (lambda: create_frame_encoder("nope"), UnknownComponent, "toy-histogram"),
        (lambda: create_detector("nope"), UnknownComponent, "toy-squares"),
        (lambda: create_vad("nope"), UnknownComponent, "toy-rms"),
        (lambda: create_transcriber("nope"), UnknownComponent, "toy-duration"),
        (lambda: create_answerer("nope", store=None, retriever=None), UnknownComponent, "toy-count"),
        (lambda: source_factory("nope"), UnknownSource, "toy"),
    ]
    for make, error, known in cases:
        with pytest.raises(error, match=f"nope.*available: .*{known}"):
            make()
    assert "toy" in list_sources() and "rtsp" in list_sources()


def test_a_profile_names_a_missing_plugin_clearly(tmp_path):
    from mnemo.errors import ConfigError

    with pytest.raises(ConfigError, match="plugin 'no_such_plugin_module': no such module"):
        profile_from_dict({"plugins": ["no_such_plugin_module"]})
    with pytest.raises(ConfigError, match="no such file"):
        profile_from_dict({"plugins": [str(tmp_path / "missing.py")]})


def test_the_docs_show_each_toy(toys):
    text = DOC.read_text()
    for toy in (toys.ToySource, toys.HistogramEncoder, toys.BrightSquareDetector, toys.RmsClassifier,
                toys.DurationTranscriber, toys.CountAnswerer):
        assert inspect.getsource(toy) in text, f"docs/extending.md does not show {toy.__name__} as it is"


def test_the_cli_uses_plugins_named_by_a_profile(tmp_path):
    profile = tmp_path / "toys.yaml"
    profile.write_text(yaml.safe_dump(PROFILE))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mnemo", *args], capture_output=True, text=True, env=env,
                              timeout=300, cwd=tmp_path)

    run = cli("ingest", URI, "--memory", str(tmp_path / "m"), "--profile", str(profile), "--quiet")
    assert run.returncode == 0, run.stderr
    # the memory recorded its profile, whose plugins load again for the question
    run = cli("ask", "How many events?", "--memory", str(tmp_path / "m"), "--answerer", "toy-count", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["value"] == 3

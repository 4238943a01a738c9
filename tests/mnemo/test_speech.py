"""Speech in memory: audio-only sources, voices, whisper through the whole path, transcripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mnemo

WHISPER_CACHE = Path.home() / ".cache" / "whisper"


@pytest.fixture(scope="module")
def jfk(shared_data) -> Path:
    return shared_data / "audio" / "jfk.flac"


def test_jfk_through_the_whole_path_with_the_tiny_whisper(jfk, tmp_path):
    with mnemo.open(tmp_path / "m", profile="test", create=True) as memory:
        report = memory.ingest(jfk)
        said = memory.transcript()
        events = memory.events()
    assert report.events >= 1 and events[-1].end == pytest.approx(11.0, abs=0.1)
    asr = [u for u in said if u.origin == "asr"]
    assert asr, "the tiny whisper produced no segment"
    assert [u.start for u in said] == sorted(u.start for u in said)
    for u in asr:
        assert 0.0 <= u.start < u.end <= 11.0 + 1e-6 and u.model.startswith("whisper:mnemo-tiny-whisper")
        assert u.words and all(u.start - 1e-6 <= w[1] <= w[2] <= u.end + 1e-6 for w in u.words)
        assert u.voice and u.voice.startswith("voice:")
    assert all(any(e.start <= u.start < e.end for e in events) for u in said)


@pytest.mark.skipif(not any((WHISPER_CACHE / f"{m}.pt").exists() for m in ("tiny", "base", "small")),
                    reason=f"no real whisper weights in {WHISPER_CACHE} (they cannot be downloaded here)")
def test_jfk_with_real_whisper_weights(jfk, tmp_path):
    from mnemo.config import load_profile, profile_from_dict

    model = next(m for m in ("small", "base", "tiny") if (WHISPER_CACHE / f"{m}.pt").exists())
    profile = profile_from_dict({"speech": {"vad": "energy", "asr": "whisper", "asr_options": {"model": model}},
                                 "sampling": {"fps": 2.0}})
    assert load_profile("lite")  # the shipped profiles still load
    with mnemo.open(tmp_path / "m", profile=profile, create=True) as memory:
        memory.ingest(jfk)
        text = " ".join(u.text for u in memory.transcript()).lower()
    assert "my fellow americans" in text


def test_lite_audio_only_ingest_still_gets_speakers(jfk, tmp_path):
    with mnemo.open(tmp_path / "m", profile="lite", create=True) as memory:
        memory.ingest(jfk)
        said = memory.transcript()
    assert said and all(u.voice and u.voice.startswith("voice:") and u.text == "" for u in said)
    speech = sum(u.end - u.start for u in said)
    assert 6.0 < speech <= 11.0  # JFK speaks most of the 11 s


def test_voices_persist_across_streams_of_one_memory(shared_data, tmp_path):
    sample = shared_data / "audio" / "two-speakers" / "sample.wav"
    with mnemo.open(tmp_path / "m", profile="lite", create=True) as memory:
        memory.ingest(sample)
        first = {u.voice for u in memory.transcript()}
        state = memory.store.state("voices")
    assert 1 <= len(first) <= 3 and state
    with mnemo.open(tmp_path / "m") as memory:  # a new process would read the same state
        memory.ingest(shared_data / "audio" / "jfk.flac")
        voices = {u.voice for u in memory.transcript()}
    assert first <= voices  # the earlier voices are still known by the same ids


def test_transcript_cli_json_fields(sample, tmp_path):
    memory = tmp_path / "m"
    run = subprocess.run([sys.executable, "-m", "mnemo", "ingest", str(sample.video), "--memory", str(memory), "-q"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, "-m", "mnemo", "transcript", "--memory", str(memory), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert {"start", "end", "speaker", "text"} <= set(rows[0])
    lines = [r["text"] for r in rows if r["origin"] == "sidecar"]
    assert lines == [scene.line for scene in sample.scenes]


def _live_profile():
    import dataclasses

    from mnemo.config import load_profile

    test = load_profile("test")
    return dataclasses.replace(test, speech=dataclasses.replace(test.speech, live_asr={"window_s": 4.0, "overlap_s": 1.0}))


def test_live_recognition_is_final_within_a_window_and_lands_in_the_events(jfk, tmp_path):
    heard: list[tuple[float, float, str, float]] = []
    with mnemo.open(tmp_path / "m", profile=_live_profile(), create=True) as memory:
        memory.ingest(jfk, on_transcript=lambda t, now: heard.append((t.start, t.end, t.text, now)))
        said = [u for u in memory.transcript() if u.origin == "asr"]
        events = memory.events()
    assert heard, "the tiny whisper produced nothing"
    assert [h[0] for h in heard] == sorted(h[0] for h in heard)
    for start, end, _, now in heard[:-1]:  # the last ones come with the end of the stream
        assert now - (start + end) / 2 <= 4.0 + 1.0 + 1e-6  # a window, plus an audio chunk
    assert [(u.start, u.end, u.text) for u in said] == [(s, e, " ".join(t.split())) for s, e, t, _ in heard]
    assert all(any(e.start <= (u.start + u.end) / 2 < e.end for e in events) for u in said)

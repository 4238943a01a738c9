"""faster-whisper base, the `standard` profile's recogniser: the real model from the verified cache."""

from __future__ import annotations

import re

import numpy as np
import pytest

from perception import model_cache
from perception.errors import WeightsUnavailable
from perception.speech.asr import create_transcriber
from perception.speech.faster_whisper_backend import pack_segments
from perception.speech.vad import SpeechSegment, create_vad

JFK = "and so my fellow americans ask not what your country can do for you ask what you can do for your country"


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def _segments(path, vad: str = "energy") -> list[SpeechSegment]:
    from streams import AudioChunk, SamplingPolicy, open_source

    detector = create_vad(vad)
    segments = []
    with open_source(str(path), SamplingPolicy(video=False, audio=True), require_video=False) as source:
        for packet in source.packets():
            if isinstance(packet, AudioChunk):
                segments += detector.push(packet)
    return segments + detector.flush()


def test_jfk_word_for_word_with_word_times_on_media_time(whisper_base, jfk):
    segments = _segments(jfk)
    transcripts = whisper_base.transcribe(segments)
    assert _words(" ".join(t.text for t in transcripts)) == JFK.split()
    assert whisper_base.name == "faster-whisper:base" and whisper_base.compute_type == "int8"
    for t in transcripts:
        assert t.language == "en" and t.language_probability > 0.5
        inside = [s for s in segments if s.start - 1e-6 <= t.start and t.end <= s.end + 1e-6]
        assert inside, f"{t} is not inside one VAD segment"
        assert t.words and all(t.start <= w.start <= w.end <= t.end for w in t.words)
    words = [w for t in transcripts for w in t.words]
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert words[-1].end <= 11.1


def test_segments_shifted_in_time_keep_their_times(whisper_base, jfk):
    """Packing maps words back: the same speech later in a stream gets the same words, later."""
    segments = _segments(jfk)
    shifted = [SpeechSegment(s.stream, s.start + 600.0, s.end + 600.0, s.samples) for s in segments]
    first, later = whisper_base.transcribe(segments), whisper_base.transcribe(shifted)
    assert [t.text for t in first] == [t.text for t in later]
    for a, b in zip(first, later):
        assert b.start == pytest.approx(a.start + 600.0, abs=1e-6)


def test_packing_fills_windows_in_order_and_never_splits_a_segment():
    rate = 16_000
    segs = [SpeechSegment("s", float(i * 10), float(i * 10 + n), np.ones(int(n * rate), np.float32))
            for i, n in enumerate([8.0, 9.0, 10.0, 12.0, 29.0, 3.0])]
    windows = pack_segments(segs, gap_s=0.5, window_s=30.0)
    assert [[p.segment.start for p in pieces] for _, pieces in windows] == [[0, 10, 20], [30], [40], [50]]
    samples, pieces = windows[0]
    assert len(samples) == int((8 + 0.5 + 9 + 0.5 + 10) * rate)
    assert [p.offset for p in pieces] == pytest.approx([0.0, 8.5, 18.0])
    assert all(len(w) / rate <= 30.0 for w, _ in windows)


def test_a_file_whose_hash_differs_is_refused_naming_both_hashes(tmp_path, monkeypatch):
    monkeypatch.setenv("MNEMO_MODELS", str(tmp_path))
    spec = model_cache.get_spec("faster-whisper-base")
    if model_cache.missing_parts(spec):
        pytest.skip("the whisper-base data packages are not installed")
    folder = model_cache.assemble("faster-whisper-base")
    vocabulary = folder / "vocabulary.txt"
    vocabulary.write_text(vocabulary.read_text() + "x")
    with pytest.raises(model_cache.HashMismatch) as caught:
        create_transcriber("faster-whisper", model="base", device="cpu")
    message = str(caught.value)
    assert str(vocabulary) in message and spec.sha256["vocabulary.txt"] in message
    assert model_cache.sha256_file(vocabulary) in message
    model_cache.assemble("faster-whisper-base", force=True)  # set-up mends it
    assert model_cache.status("faster-whisper-base", verify=True).verified


def test_without_weights_says_where_it_looked_and_the_fix(tmp_path):
    with pytest.raises(WeightsUnavailable, match=r"'tiny' is not available in .*Fix: run `mnemo models setup`"):
        create_transcriber("faster-whisper", model="tiny", device="cpu", download_root=str(tmp_path))


def test_a_size_from_an_unreachable_hub_is_unavailable_with_the_reason(tmp_path):
    import os
    import subprocess
    import sys

    probe = ("from perception.speech.asr import create_transcriber\n"
             "from perception.errors import WeightsUnavailable\n"
             "try:\n"
             f"    create_transcriber('faster-whisper', model='small', allow_download=True, download_root={str(tmp_path)!r})\n"
             "except WeightsUnavailable as e:\n"
             "    print('UNAVAILABLE', e)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MNEMO_MODELS": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=env)
    assert "UNAVAILABLE faster-whisper 'small' cannot be fetched from the hub" in run.stdout, run.stderr[-2000:]

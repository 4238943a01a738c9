"""whisper behind the Transcriber interface, with the tiny random model of the `test` profile."""

import importlib.util
import os
import time

import numpy as np
import pytest
import torch

from perception.encoders.clip_weights import file_digest
from perception.errors import BadCheckpoint, UnknownComponent, WeightsUnavailable
from perception.speech.asr import (
    StreamingTranscriber,
    Transcriber,
    Transcript,
    attribute_voices,
    create_transcriber,
    list_transcribers,
)
from perception.speech.diarize import SpeakerTurn
from perception.speech.vad import SpeechSegment, create_vad
from perception.speech.whisper_backend import WhisperTranscriber, split_on_timestamps
from perception.speech.whisper_weights import TINY_TEST_MODEL, default_download_root, save_checkpoint

TINY = dict(allow_random=True, device="cpu", temperatures=(0.0,), sample_len=32,
            no_speech_threshold=None, logprob_threshold=None)  # a random model is never "sure"


@pytest.fixture(scope="module")
def whisper_tiny() -> WhisperTranscriber:
    return WhisperTranscriber(model=TINY_TEST_MODEL, **TINY)


@pytest.fixture(scope="module")
def jfk_segments(jfk):
    from streams import AudioChunk, SamplingPolicy, open_source

    detector = create_vad("energy")
    segments = []
    policy = SamplingPolicy(video=False, audio=True, text=False)
    with open_source(str(jfk), policy, require_video=False) as source:
        duration = source.info.duration
        for packet in source.packets():
            if isinstance(packet, AudioChunk):
                segments += detector.push(packet)
    return segments + detector.flush(), duration


def _check_transcripts(transcripts: list[Transcript], duration: float) -> None:
    assert transcripts
    starts = [t.start for t in transcripts]
    assert starts == sorted(starts)
    for t in transcripts:
        assert 0.0 <= t.start <= t.end <= duration + 1e-6
        assert t.text and t.language and t.stream
        assert t.words, "word timestamps"
        for word in t.words:
            assert t.start - 1e-6 <= word.start <= word.end <= t.end + 1e-6
            assert 0.0 <= word.probability <= 1.0


def test_jfk_through_vad_and_streaming_whisper(jfk_segments, whisper_tiny):
    segments, duration = jfk_segments
    assert 2 <= len(segments) <= 6 and segments[0].start < 0.6 and segments[-1].end > 10.0
    streaming = StreamingTranscriber(whisper_tiny, batch_size=2, max_wait_s=5.0)
    transcripts = []
    for segment in segments:
        transcripts += streaming.push(segment)
    transcripts += streaming.flush()
    _check_transcripts(transcripts, duration)
    assert {t.language for t in transcripts} <= set(whisper_tiny.detect_language(segments[0].samples))


def test_batches_give_what_single_segments_give(jfk_segments, whisper_tiny):
    segments, _ = jfk_segments
    batched = whisper_tiny.transcribe(segments)
    single = [t for s in segments for t in whisper_tiny.transcribe([s])]
    assert [t.text for t in batched] == [t.text for t in single]
    np.testing.assert_allclose([(t.start, t.end) for t in batched], [(t.start, t.end) for t in single], atol=0.02)


def test_times_are_media_times(whisper_tiny, audio, rng):
    samples = audio.synth_voice(2.0, 120.0, (700.0, 1200.0, 2500.0), rng)
    late = SpeechSegment("cam", 3600.0, 3602.0, samples)
    transcripts = whisper_tiny.transcribe([late])
    _check_transcripts(transcripts, 3602.0)
    assert all(t.start >= 3600.0 and t.stream == "cam" for t in transcripts)


def test_language_detection_is_a_distribution(whisper_tiny, audio, rng):
    probabilities = whisper_tiny.detect_language(audio.synth_voice(1.0, 120.0, (700.0, 1200.0), rng))
    assert "en" in probabilities and sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    fixed = WhisperTranscriber(model=TINY_TEST_MODEL, language="French", **TINY)
    assert fixed.options.language == "fr"
    assert fixed.detect_language(np.zeros(8000, np.float32)).keys() == probabilities.keys()  # still detects
    out = fixed.transcribe([SpeechSegment("s", 0.0, 1.0, audio.synth_voice(1.0, 120.0, (700.0,), rng))])
    assert {t.language for t in out} <= {"fr"} and all(np.isnan(t.language_probability) for t in out)


def test_nothing_in_nothing_out(whisper_tiny):
    assert whisper_tiny.transcribe([]) == []
    assert whisper_tiny.transcribe([SpeechSegment("s", 0.0, 0.05, np.zeros(800, np.float32))]) == []


def test_silence_is_dropped_by_the_no_speech_check(audio, rng):
    strict = WhisperTranscriber(model=TINY_TEST_MODEL, allow_random=True, device="cpu", temperatures=(0.0,),
                                sample_len=8, no_speech_threshold=-1.0, logprob_threshold=0.0)
    silent = SpeechSegment("s", 0.0, 1.0, np.zeros(16_000, np.float32))
    assert strict.transcribe([silent]) == []  # every segment counts as silent at these thresholds


def test_checkpoint_saved_in_whisper_format_loads_by_path(whisper_tiny, audio, rng, tmp_path):
    import whisper

    path = tmp_path / "tiny-test.pt"
    save_checkpoint(whisper_tiny.model, path)
    segment = SpeechSegment("s", 0.0, 1.5, audio.synth_voice(1.5, 150.0, (700.0, 1200.0), rng))
    expected = whisper_tiny.transcribe([segment])
    for loaded in (WhisperTranscriber(model=str(path), **{**TINY, "allow_random": False}),
                   WhisperTranscriber(model=TINY_TEST_MODEL, checkpoint=str(path), seed=5, **TINY)):
        assert loaded.name.endswith(":" + file_digest(path)[:8])  # the weights are named by their digest
        assert [t.text for t in loaded.transcribe([segment])] == [t.text for t in expected]
    assert isinstance(whisper.load_model(str(path), device="cpu"), whisper.model.Whisper)  # whisper's own format


class _Payload:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_bad_checkpoints_are_refused(whisper_tiny, tmp_path):
    evil, marker = tmp_path / "evil.pt", tmp_path / "code-ran"
    torch.save({"dims": {}, "model_state_dict": {}, "extra": _Payload(str(marker))}, evil)
    with pytest.raises(BadCheckpoint, match="refusing"):
        WhisperTranscriber(model=str(evil))
    assert not marker.exists()
    plain = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(3)}, plain)
    with pytest.raises(BadCheckpoint, match="not a whisper checkpoint"):
        WhisperTranscriber(checkpoint=str(plain))
    wrong = tmp_path / "wrong.pt"
    save_checkpoint(whisper_tiny.model, wrong)
    state = torch.load(wrong, weights_only=True)
    state["dims"]["n_text_state"] = 64
    torch.save(state, wrong)
    with pytest.raises(BadCheckpoint, match="does not fit"):
        WhisperTranscriber(checkpoint=str(wrong))
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        WhisperTranscriber(checkpoint=str(tmp_path / "missing.pt"))


def test_missing_official_weights_fail_fast_with_the_fix(tmp_path):
    started = time.perf_counter()
    with pytest.raises(WeightsUnavailable) as caught:
        WhisperTranscriber(model="tiny", download_root=str(tmp_path))
    assert time.perf_counter() - started < 2.0
    message = str(caught.value)
    assert "'tiny'" in message and str(tmp_path / "tiny.pt") in message and "allow_download=True" in message
    with pytest.raises(WeightsUnavailable, match="allow_random=True"):
        WhisperTranscriber(model=TINY_TEST_MODEL)


def test_unknown_names_list_the_known():
    with pytest.raises(UnknownComponent, match="large-v3.*turbo"):
        WhisperTranscriber(model="huge")
    with pytest.raises(UnknownComponent, match="known: "):
        WhisperTranscriber(model=TINY_TEST_MODEL, language="klingon", **TINY)
    with pytest.raises(UnknownComponent, match="available: faster-whisper, whisper"):
        create_transcriber("wav2vec")
    assert list_transcribers() == ["faster-whisper", "whisper"]
    with pytest.raises(TypeError, match="unknown option.*beam"):
        create_transcriber("whisper", beam=3)


def test_split_on_timestamps():
    tb = 1000  # timestamp tokens from here, 0.02 s each
    assert split_on_timestamps([], tb, 3.0) == []
    one = split_on_timestamps([tb, 1, 2, tb + 50], tb, 3.0)
    assert one == [{"start": 0.0, "end": 1.0, "tokens": [tb, 1, 2, tb + 50]}]
    assert split_on_timestamps([1, 2], tb, 3.0)[0]["end"] == 3.0  # no timestamps: the whole segment
    two = split_on_timestamps([tb, 1, tb + 50, tb + 50, 2, 3, tb + 100], tb, 3.0)
    assert [(p["start"], p["end"]) for p in two] == [(0.0, 1.0), (1.0, 2.0)]
    open_end = split_on_timestamps([tb, 1, tb + 50, tb + 60, 2, 3], tb, 3.0)
    assert [(p["start"], p["end"]) for p in open_end] == [(0.0, 1.0), (1.2, 3.0)]


class _Recording(Transcriber):
    """The tiny model, remembering each call (for the streaming policy)."""

    def __init__(self, inner: Transcriber) -> None:
        self.inner, self.calls, self.name = inner, [], "recording"

    def transcribe(self, segments, prompt=None):
        self.calls.append(([s.start for s in segments], prompt))
        return self.inner.transcribe(segments, prompt)

    def detect_language(self, samples):
        return self.inner.detect_language(samples)


def test_streaming_latency_is_bounded(whisper_tiny, audio, rng):
    def segment(start):
        return SpeechSegment("s", start, start + 1.0, audio.synth_voice(1.0, 150.0, (700.0, 1200.0), rng))

    recording = _Recording(whisper_tiny)
    streaming = StreamingTranscriber(recording, batch_size=3, max_wait_s=2.0)
    assert streaming.push(segment(0.0)) == []
    assert streaming.poll(2.5) == []  # 1.5 s after the first segment closed: still waiting
    assert streaming.poll(3.0)  # 2 s: due
    assert streaming.push(segment(10.0)) == [] and streaming.push(segment(11.5)) == []
    assert streaming.push(segment(12.5))  # a full batch goes at once
    assert [starts for starts, _ in recording.calls] == [[0.0], [10.0, 11.5, 12.5]]
    assert recording.calls[0][1] is None and recording.calls[1][1]  # the next batch is prompted
    assert streaming.flush() == []
    streaming.push(segment(20.0))
    assert streaming.flush() and len(recording.calls) == 3
    immediate = StreamingTranscriber(recording, max_wait_s=0.0, condition_on_previous=False)
    assert immediate.push(segment(30.0)) and recording.calls[-1] == ([30.0], None)


def test_voices_attributed_and_cues():
    transcripts = [Transcript("s", 0.0, 2.0, "hello", "en"), Transcript("s", 2.0, 4.0, "bye", "en"),
                   Transcript("s", 9.0, 9.5, "?", "en")]
    turns = [SpeakerTurn("s", 0.0, 1.6, 3), SpeakerTurn("s", 1.6, 4.0, 5), SpeakerTurn("other", 9.0, 9.5, 1)]
    attributed = attribute_voices(transcripts, turns)
    assert [t.voice for t in attributed] == [3, 5, None]
    cue = attributed[0].to_cue()
    assert (cue.time, cue.end, cue.text, cue.speaker, cue.origin) == (0.0, 2.0, "hello", "voice:3", "asr")


def _cached_official_model() -> str | None:
    import whisper

    for name in ("tiny.en", "tiny", "base.en", "base", "small.en", "small", "turbo", "medium", "large-v3"):
        if (default_download_root() / os.path.basename(whisper._MODELS[name])).is_file():
            return name
    return None


@pytest.mark.slow
@pytest.mark.skipif(_cached_official_model() is None,
                    reason=f"no official whisper weights in {default_download_root()} (no network to fetch them)")
def test_real_whisper_hears_my_fellow_americans(jfk_segments):
    segments, _ = jfk_segments
    transcriber = WhisperTranscriber(model=_cached_official_model(), device="cpu")
    text = " ".join(t.text for t in transcriber.transcribe(segments)).lower()
    assert "my fellow americans" in text.replace(",", "")


def test_architecture_table_fits_whisper_alignment_heads():
    """The dims used for random official architectures agree with whisper's own head tables."""
    import base64
    import gzip

    import whisper

    from perception.speech.whisper_weights import MODEL_DIMS

    for name, dump in whisper._ALIGNMENT_HEADS.items():
        dims = MODEL_DIMS[name]
        heads = np.frombuffer(gzip.decompress(base64.b85decode(dump)), dtype=bool)
        assert heads.size == dims["n_text_layer"] * dims["n_text_head"], name
    assert set(MODEL_DIMS) == set(whisper.available_models()) | {TINY_TEST_MODEL}

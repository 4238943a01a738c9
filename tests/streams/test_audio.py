"""AudioChunker: 16 kHz mono chunks on an absolute grid, whatever the input rate and start."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from streams.audio import AudioChunker


def frames(start_sample: int, total: int, rate: int = 48_000, block: int = 1024, channels: int = 2):
    """Stereo frames of a 440 Hz sine at amplitude 0.25 starting at an absolute sample index."""
    layout = "stereo" if channels == 2 else "mono"
    for first in range(start_sample, start_sample + total, block):
        n = min(block, start_sample + total - first)
        tone = (0.25 * np.sin(2 * np.pi * 440 * np.arange(first, first + n) / rate)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([tone] * channels), format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.time_base = Fraction(1, rate)
        frame.pts = first
        yield frame


def chunk_all(chunker: AudioChunker, source) -> list:
    out = [c for frame in source for c in chunker.push(frame)]
    return out + list(chunker.flush())


@pytest.mark.parametrize("rate", [48_000, 44_100, 22_050, 16_000, 8_000])
def test_chunks_lie_on_the_grid_and_cover_the_input(rate):
    chunks = chunk_all(AudioChunker("s", 1.0), frames(0, int(3.5 * rate), rate=rate))
    assert [c.time for c in chunks] == [0.0, 1.0, 2.0, 3.0]
    assert [len(c.samples) for c in chunks[:3]] == [16_000] * 3
    assert sum(len(c.samples) for c in chunks) == pytest.approx(56_000, abs=40)
    assert all(c.samples.dtype == np.float32 and c.sample_rate == 16_000 and c.stream == "s" for c in chunks)
    # identical channels mix down to their mean: a 0.25 sine
    assert np.abs(chunks[1].samples).max() == pytest.approx(0.25, abs=0.01)


def test_a_late_start_gives_a_partial_first_chunk_then_the_grid():
    chunks = chunk_all(AudioChunker("s", 1.0), frames(int(1.3 * 48_000), 2 * 48_000))
    assert [c.time for c in chunks] == pytest.approx([1.3, 2.0, 3.0])
    assert len(chunks[0].samples) == pytest.approx(0.7 * 16_000, abs=2)


def test_resumed_chunks_equal_the_full_run():
    full = {c.time: c.samples for c in chunk_all(AudioChunker("s", 1.0), frames(0, 4 * 44_100, rate=44_100))}
    resumed = chunk_all(AudioChunker("s", 1.0), frames(1_000_003 % 44_100 + 30_000, 4 * 44_100 - 70_000, rate=44_100))
    for chunk in resumed[1:-1]:
        np.testing.assert_allclose(chunk.samples, full[chunk.time], atol=1e-4)


def test_a_gap_in_timestamps_restarts_the_grid_count():
    rate = 16_000
    first = list(frames(0, int(1.5 * rate), rate=rate, channels=1))
    after_gap = list(frames(int(5.25 * rate), rate, rate=rate, channels=1))
    chunks = chunk_all(AudioChunker("s", 1.0), first + after_gap)
    assert [c.time for c in chunks] == pytest.approx([0.0, 1.0, 5.25, 6.0])
    assert [len(c.samples) for c in chunks] == pytest.approx([16_000, 8_000, 12_000, 4_000], abs=2)


def test_a_change_of_input_format_is_resampled_on():
    chunks = chunk_all(AudioChunker("s", 1.0), list(frames(0, 48_000)) + list(frames(44_100, 44_100, rate=44_100)))
    assert [c.time for c in chunks] == pytest.approx([0.0, 1.0])
    assert sum(len(c.samples) for c in chunks) == pytest.approx(32_000, abs=40)

import time

import cv2
import numpy as np
import pytest

from perception.encoders.descriptor import DescriptorEncoder


def shot_frame(rng: np.random.Generator, scene: np.ndarray) -> np.ndarray:
    """One frame of a shot of ``scene``: a few pixels of camera motion, exposure drift and noise."""
    dy, dx = (int(v) for v in rng.integers(0, 12, 2))
    crop = scene[dy : dy + 224, dx : dx + 380]
    frame = cv2.resize(crop, (398, 224), interpolation=cv2.INTER_AREA).astype(np.float32)
    frame = frame * rng.uniform(0.9, 1.1) + rng.normal(0.0, 8.0, frame.shape)
    return np.clip(frame, 0, 255).astype(np.uint8)


def test_shape_norm_and_space(rng, smooth_image):
    encoder = DescriptorEncoder()
    vectors = encoder.encode_frames([smooth_image(rng, 96, 170) for _ in range(5)])
    assert vectors.shape == (5, encoder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.space == "descriptor:v1"
    assert not encoder.supports_text
    with pytest.raises(TypeError, match="no text tower"):
        encoder.encode_text(["a dog"])


def test_deterministic_and_independent_of_the_batch(rng, smooth_image):
    frames = [smooth_image(rng, 120, 160) for _ in range(6)]
    together = DescriptorEncoder().encode_frames(frames)
    alone = np.concatenate([DescriptorEncoder().encode_frames([f]) for f in frames])
    np.testing.assert_array_equal(together, alone)


def test_any_frame_size_and_uniform_frames(rng, smooth_image):
    encoder = DescriptorEncoder()
    frames = [
        smooth_image(rng, 30, 50),  # smaller than the working size
        smooth_image(rng, 720, 1280),
        np.zeros((64, 64, 3), np.uint8),
        np.full((64, 64, 3), 128, np.uint8),
    ]
    vectors = encoder.encode_frames(frames)
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_same_shot_is_closer_than_another_shot(rng, smooth_image):
    """Frames of one shot (noise, small camera motion) must stay far above frames of other shots."""
    scenes = [smooth_image(rng, 240, 400) for _ in range(10)]
    frames, labels = [], []
    for label, scene in enumerate(scenes):
        for _ in range(5):
            frames.append(shot_frame(rng, scene))
            labels.append(label)
    vectors = DescriptorEncoder().encode_frames(frames)
    similarity = vectors @ vectors.T
    labels = np.array(labels)
    same = (labels[:, None] == labels[None, :]) & ~np.eye(len(labels), dtype=bool)
    other = labels[:, None] != labels[None, :]
    assert similarity[same].min() > 0.85
    assert similarity[same].min() > similarity[other].max() + 0.1
    assert similarity[same].mean() > similarity[other].mean() + 0.3


def test_empty_batch():
    encoder = DescriptorEncoder()
    assert encoder.encode_frames([]).shape == (0, encoder.dim)


@pytest.mark.parametrize(
    "frame",
    [np.zeros((32, 32), np.uint8), np.zeros((32, 32, 4), np.uint8), np.zeros((32, 32, 3), np.float32)],
)
def test_bad_frame_is_named(frame):
    with pytest.raises(ValueError, match="frame 1: expected an H x W x 3 uint8"):
        DescriptorEncoder().encode_frames([np.zeros((32, 32, 3), np.uint8), frame])


def test_options_validate_and_change_the_space():
    assert DescriptorEncoder(frame_size=128).space == "descriptor:v1"  # input size only
    changed = DescriptorEncoder(grid=2, work_size=32)
    assert changed.space.startswith("descriptor:v1:") and changed.dim == 128 + 2 * 2 * (3 + 8)
    with pytest.raises(ValueError, match="work_size=30"):
        DescriptorEncoder(work_size=30)
    with pytest.raises(ValueError, match="weights="):
        DescriptorEncoder(weights=(0, 0, 0))


def test_speed_sanity(rng, smooth_image, record_property):
    """Not a timed assertion (shared CPUs are noisy): record frames/s at 224 px for the report."""
    frames = [shot_frame(rng, smooth_image(rng, 240, 400)) for _ in range(16)] * 16
    encoder = DescriptorEncoder()
    start = time.perf_counter()
    encoder.encode_frames(frames)
    record_property("descriptor_frames_per_s_224px", len(frames) / (time.perf_counter() - start))


# stable stretches of nature-cuts.mp4 (seconds), read off a contact sheet; black, fades and
# dissolves lie between them
NATURE_SHOTS = {"leaf": (1.5, 5.5), "deer": (8.0, 11.0), "rock": (14.0, 17.5), "texture": (19.0, 22.0)}


def _decode(path, every: int = 3) -> tuple[np.ndarray, list[np.ndarray]]:
    av = pytest.importorskip("av", reason="PyAV is not installed")
    times, frames = [], []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            if i % every == 0:
                times.append(float(frame.time))
                frames.append(frame.to_ndarray(format="rgb24", width=170, height=96))
    return np.array(times), frames


def test_real_video_shots_and_cuts(shared_data):
    times, frames = _decode(shared_data / "video" / "nature-cuts.mp4")
    vectors = DescriptorEncoder().encode_frames(frames)
    labels = np.full(len(times), -1)
    for label, (start, end) in enumerate(NATURE_SHOTS.values()):
        labels[(times >= start) & (times <= end)] = label
    inside = labels >= 0
    similarity = vectors[inside] @ vectors[inside].T
    shot = labels[inside]
    same = (shot[:, None] == shot[None, :]) & ~np.eye(len(shot), dtype=bool)
    assert similarity[same].min() > similarity[shot[:, None] != shot[None, :]].max() + 0.1
    # the two hard cuts (black -> leaf at 1.0 s, leaf -> black at 6.0 s) are the sharpest drops
    step = (vectors[1:] * vectors[:-1]).sum(axis=1)
    sharpest = sorted(times[1:][np.argsort(step)[:2]])
    assert sharpest == pytest.approx([1.0, 6.0], abs=0.15)

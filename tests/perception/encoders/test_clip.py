import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from perception.encoders.clip import TINY_MODEL, OpenClipEncoder
from perception.encoders.registry import create_frame_encoder
from perception.errors import UnknownComponent, WeightsUnavailable


def test_tiny_model_encodes_frames_and_text(tiny_clip, rng, smooth_image):
    frames = [smooth_image(rng, 72, 128) for _ in range(5)]
    vectors = tiny_clip.encode_frames(frames)
    texts = tiny_clip.encode_text(["a red mug on a table", "someone opens the fridge"])
    assert vectors.shape == (5, 32) and texts.shape == (2, 32)
    assert vectors.dtype == texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert tiny_clip.space == f"openclip:{TINY_MODEL}:random"
    assert (tiny_clip.dim, tiny_clip.frame_size, tiny_clip.supports_text) == (32, 64, True)


def test_batches_give_the_same_vectors(rng, smooth_image):
    frames = [smooth_image(rng, 64, 64) for _ in range(5)]
    one_batch = OpenClipEncoder(model=TINY_MODEL, allow_random=True).encode_frames(frames)
    small_batches = OpenClipEncoder(model=TINY_MODEL, allow_random=True, batch_size=2).encode_frames(frames)
    np.testing.assert_allclose(one_batch, small_batches, atol=1e-5)


def test_random_weights_follow_the_seed(rng, smooth_image):
    frame = [smooth_image(rng, 64, 64)]
    state = torch.random.get_rng_state()
    a = OpenClipEncoder(model=TINY_MODEL, allow_random=True, seed=7).encode_frames(frame)
    b = OpenClipEncoder(model=TINY_MODEL, allow_random=True, seed=7).encode_frames(frame)
    c = OpenClipEncoder(model=TINY_MODEL, allow_random=True, seed=8).encode_frames(frame)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert torch.equal(state, torch.random.get_rng_state())  # the caller's random state is untouched


@pytest.mark.parametrize("shape", [(72, 128), (64, 64), (48, 90), (300, 200), (65, 64)])
def test_preprocessing_matches_open_clip(tiny_clip, rng, smooth_image, shape):
    """cv2 preprocessing vs open_clip's own PIL transform: same pixels, within interpolation."""
    _, _, reference = open_clip.create_model_and_transforms(TINY_MODEL)
    image = smooth_image(rng, *shape)
    ours = tiny_clip._preprocess([image])
    theirs = reference(Image.fromarray(image)).unsqueeze(0)
    assert ours.shape == theirs.shape == (1, 3, 64, 64)
    assert (ours - theirs).abs().mean() < 0.05  # normalised units (about 3 grey levels)
    with torch.inference_mode():
        a, b = tiny_clip.model.encode_image(ours), tiny_clip.model.encode_image(theirs)
    assert torch.nn.functional.cosine_similarity(a, b).item() > 0.99


@pytest.mark.parametrize("mode", ["squash", "longest"])
def test_other_resize_modes_match_open_clip(rng, smooth_image, mode):
    encoder = OpenClipEncoder(model=TINY_MODEL, allow_random=True)
    encoder._preprocess.resize_mode = mode
    reference = open_clip.image_transform(64, is_train=False, resize_mode=mode)
    image = smooth_image(rng, 80, 130)
    diff = (encoder._preprocess([image]) - reference(Image.fromarray(image)).unsqueeze(0)).abs()
    assert diff.mean() < 0.05


def test_created_through_the_registry():
    encoder = create_frame_encoder("openclip", model=TINY_MODEL, allow_random=True, precision="bf16")
    assert encoder.space == f"openclip:{TINY_MODEL}:random"  # bf16 falls back to fp32 on cpu


def test_no_weights_is_an_error_not_a_random_model():
    with pytest.raises(WeightsUnavailable, match="no weights asked for"):
        OpenClipEncoder(model=TINY_MODEL)


def test_unknown_model_lists_some():
    with pytest.raises(UnknownComponent, match=r"unknown open_clip model 'ViT-X-99'; available: ViT-B-32"):
        OpenClipEncoder(model="ViT-X-99", allow_random=True)


def test_unknown_tag_lists_the_model_tags():
    with pytest.raises(UnknownComponent, match=r"unknown pretrained tag 'nope'.*available: openai"):
        OpenClipEncoder(model="ViT-B-32", pretrained="nope")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"precision": "fp8"}, "precision='fp8'"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"device": "tpu"}, "device='tpu'"),
    ],
)
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        OpenClipEncoder(model=TINY_MODEL, allow_random=True, **options)


def test_unknown_option():
    with pytest.raises(TypeError, match="unknown option.*pretrain\\b"):
        OpenClipEncoder(model=TINY_MODEL, pretrain="openai")


def test_empty_and_bad_input(tiny_clip):
    assert tiny_clip.encode_frames([]).shape == (0, 32)
    assert tiny_clip.encode_text([]).shape == (0, 32)
    with pytest.raises(ValueError, match="frame 0: expected an H x W x 3 uint8"):
        tiny_clip.encode_frames([np.zeros((64, 64), np.uint8)])


@pytest.mark.slow
def test_vit_b_32_architecture_builds_and_encodes(rng, smooth_image):
    encoder = OpenClipEncoder(model="ViT-B-32", allow_random=True)
    assert (encoder.dim, encoder.frame_size) == (512, 224)
    assert encoder.encode_frames([smooth_image(rng, 224, 398)]).shape == (1, 512)
    assert encoder.encode_text(["a dog"]).shape == (1, 512)

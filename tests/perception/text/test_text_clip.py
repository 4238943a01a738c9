import numpy as np
import pytest

from perception.encoders.clip import TINY_MODEL
from perception.encoders.descriptor import DescriptorEncoder
from perception.text.registry import create_text_embedder


def test_wraps_an_encoder_in_its_space(tiny_clip):
    embedder = create_text_embedder("openclip", encoder=tiny_clip)
    assert (embedder.space, embedder.dim) == (tiny_clip.space, tiny_clip.dim)
    texts = ["where is the red mug", "a person opens the fridge"]
    np.testing.assert_array_equal(embedder.embed(texts), tiny_clip.encode_text(texts))


def test_builds_its_encoder_from_options(tiny_clip):
    embedder = create_text_embedder("openclip", model=TINY_MODEL, allow_random=True)
    assert embedder.space == tiny_clip.space
    np.testing.assert_allclose(embedder.embed(["a dog"]), tiny_clip.encode_text(["a dog"]), atol=1e-6)


def test_encoder_and_options_together_are_refused(tiny_clip):
    with pytest.raises(TypeError, match="either encoder= or encoder options"):
        create_text_embedder("openclip", encoder=tiny_clip, model=TINY_MODEL)


def test_encoder_without_text_tower_is_refused():
    with pytest.raises(TypeError, match="has no text tower"):
        create_text_embedder("openclip", encoder=DescriptorEncoder())

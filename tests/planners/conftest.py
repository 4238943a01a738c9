"""Fixtures of the planners' tests (the suite runs with ``--import-mode=importlib``, so helper
modules are loaded by path)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def load_helper(stem: str) -> ModuleType:
    name = f"mnemo_tests_planners_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{stem}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def minilm_exemplars():
    """``exemplars_for(texts)``: exemplars compared by the bundled MiniLM, ``texts`` embedded ahead in one batch
    (as mnemo's reasoner embeds questions), any other text embedded when first compared. One model a session."""
    from mnemo.models import torch_threads
    from perception.text.minilm import MiniLMEmbedder
    from planners.question import Exemplars

    model = MiniLMEmbedder(device="cpu")
    vectors: dict[str, object] = {}

    def embed(text: str):
        if text not in vectors:
            with torch_threads(1):  # a pool of threads only spins on a busy machine
                vectors[text] = model.embed([text])[0]
        return vectors[text]

    def exemplars_for(texts) -> Exemplars:
        new = sorted({t for t in texts if t and t not in vectors})
        if new:
            with torch_threads(1):
                vectors.update(zip(new, model.embed(new)))
        return Exemplars(embed, "text/test-minilm")  # the exemplars' vectors shared with test_question.py's

    return exemplars_for


@pytest.fixture
def world_store(tmp_path):
    """The hand-built perceived world of perceived_world.py, open for writing."""
    store = load_helper("perceived_world").build_world_memory(tmp_path / "world")
    yield store
    store.close()

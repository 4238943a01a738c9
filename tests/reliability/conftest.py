"""Fixtures of the reliability tests: a small memory that bad input must leave intact."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parent


def helper(name: str) -> ModuleType:
    """``tests/reliability/NAME.py``, loaded once (test folders are not on sys.path: importlib mode)."""
    key = f"mnemo_tests_reliability_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


@pytest.fixture(scope="session")
def base_memory(tmp_path_factory) -> Path:
    """A memory of one short clip, ingested by the CLI with the lite profile (no model files)."""
    corpus, harness = helper("corpus"), helper("harness")
    folder = tmp_path_factory.mktemp("base")
    clip = corpus.video(folder / "base.mp4", seconds=4.0)
    memory = folder / "memory"
    run = harness.mnemo("ingest", str(clip), "-m", str(memory), "-p", "lite", "-q")
    assert run.code == 0, run.describe()
    assert harness.count(memory, "events") >= 1
    return memory

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


@pytest.fixture
def world_store(tmp_path):
    """The hand-built perceived world of perceived_world.py, open for writing."""
    store = load_helper("perceived_world").build_world_memory(tmp_path / "world")
    yield store
    store.close()

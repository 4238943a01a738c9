"""open_source picks the right source for each kind of URI; the resume rule."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from streams import AudioChunk, SamplingPolicy, SourceError, TextCue, VideoFrame, open_source
from streams.av_source import AVSource
from streams.image_folder import ImageFolderSource
from streams.source import keep_after, parse_device


def test_a_directory_opens_as_an_image_folder(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((20, 20, 3), np.uint8))
    with open_source(str(tmp_path), SamplingPolicy()) as source:
        assert isinstance(source, ImageFolderSource)


def test_a_file_opens_as_an_av_source(clip):
    with open_source(str(clip), SamplingPolicy()) as source:
        assert isinstance(source, AVSource) and source.kind == "file"
    with open_source(f"file://{clip}", SamplingPolicy()) as source:
        assert isinstance(source, AVSource) and source.kind == "file"


def test_stream_id_can_be_given(clip):
    with open_source(str(clip), SamplingPolicy(fps=1), stream="s-custom") as source:
        assert source.info.stream == "s-custom"
        assert {p.stream for p in source.packets()} == {"s-custom"}


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("/dev/video0", ("v4l2", "/dev/video0")),
        ("device:/dev/video2", ("v4l2", "/dev/video2")),
        ("device:avfoundation:0", ("avfoundation", "0")),
        ("device:dshow:video=USB Camera", ("dshow", "video=USB Camera")),
        ("/videos/a.mp4", None),
        ("rtsp://127.0.0.1/x", None),
    ],
)
def test_parse_device(uri, expected):
    assert parse_device(uri) == expected


def test_a_missing_device_fails_clearly():
    with pytest.raises(SourceError) as caught:
        open_source("device:/dev/video-that-does-not-exist", SamplingPolicy())
    assert str(caught.value).startswith("device:/dev/video-that-does-not-exist")


def test_keep_after():
    frame = VideoFrame("s", 2.0, np.zeros((2, 2, 3), np.uint8))
    chunk = AudioChunk("s", 1.5, np.zeros(16_000, np.float32))
    assert keep_after(frame, 2.0) and not keep_after(frame, 2.01)
    assert not keep_after(chunk, 2.0)
    assert keep_after(TextCue("s", 1.0, 2.5, "still showing"), 2.0)
    assert not keep_after(TextCue("s", 1.0, 2.0, "gone"), 2.0)

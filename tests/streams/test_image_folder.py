"""ImageFolderSource: order, timing, colour and size of the frames read from a folder of images."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from streams import SamplingPolicy, SourceError, VideoFrame, open_source
from streams.image_folder import ImageFolderSource

RGB = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]


def write_images(folder: Path, names: list[str], size: tuple[int, int] = (120, 160)) -> None:
    folder.mkdir(exist_ok=True)
    for i, name in enumerate(names):
        rgb = np.full((*size, 3), RGB[i % len(RGB)], np.uint8)
        assert cv2.imwrite(str(folder / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def read(folder: Path, start: float = 0.0, **kwargs) -> list[VideoFrame]:
    policy = SamplingPolicy(**{"fps": None, **kwargs.pop("policy", {})})
    with ImageFolderSource(folder, policy, **kwargs) as source:
        return list(source.packets(start))


def test_natural_order_rgb_and_index_times(tmp_path):
    write_images(tmp_path / "f", ["img10.png", "img2.png", "img1.png", "img3.bmp"])
    frames = read(tmp_path / "f", fps_hint=2.0)
    assert [f.time for f in frames] == [0.0, 0.5, 1.0, 1.5]
    # img1, img2, img3, img10 were written with colours 2, 1, 3, 0
    assert [tuple(f.image[0, 0]) for f in frames] == [RGB[2], RGB[1], RGB[3], RGB[0]]
    assert all(f.keyframe and f.image.dtype == np.uint8 for f in frames)


def test_info(tmp_path):
    write_images(tmp_path / "f", ["a.png", "b.png", "c.png"])
    with ImageFolderSource(tmp_path / "f", SamplingPolicy(), fps_hint=1.0) as source:
        info = source.info
    assert (info.kind, info.width, info.height, info.fps, info.duration) == ("images", 160, 120, 1.0, 2.0)
    assert info.has_video and not info.has_audio and info.stream.startswith("s-")


def test_timestamps_file_sets_media_time(tmp_path, caplog):
    write_images(tmp_path / "f", ["a.png", "b.png", "c.png", "d.png"])
    (tmp_path / "f" / "timestamps.txt").write_text("filename,seconds\n# shot log\na.png, 0.0\nc.png,2.5\n\nb.png,1.25\n")
    with caplog.at_level(logging.WARNING, logger="streams"):
        frames = read(tmp_path / "f")
    assert any("d.png" in r.getMessage() for r in caplog.records)  # no timestamp: skipped
    assert [f.time for f in frames] == [0.0, 1.25, 2.5]
    assert [tuple(f.image[0, 0]) for f in frames] == [RGB[0], RGB[1], RGB[2]]


def test_bad_timestamps_line_names_the_file_and_line(tmp_path):
    write_images(tmp_path / "f", ["a.png"])
    (tmp_path / "f" / "times.csv").write_text("a.png,0\nb.png,soon\n")
    with pytest.raises(SourceError, match=r"times\.csv: line 2"):
        ImageFolderSource(tmp_path / "f", SamplingPolicy())


def test_sampling_fps_and_resume(tmp_path):
    write_images(tmp_path / "f", [f"{i:03d}.png" for i in range(12)])
    times = [f.time for f in read(tmp_path / "f", fps_hint=4.0, policy={"fps": 1.0})]
    assert times == [0.0, 1.0, 2.0]
    assert [f.time for f in read(tmp_path / "f", start=1.5, fps_hint=4.0)] == [1.5, 1.75, 2.0, 2.25, 2.5, 2.75]


def test_frame_size_shrinks_with_inter_area(tmp_path):
    write_images(tmp_path / "f", ["a.png"], size=(300, 400))
    (frame,) = read(tmp_path / "f", policy={"frame_size": 64})
    assert frame.image.shape == (64, 86, 3)
    (frame,) = read(tmp_path / "f", policy={"frame_size": 1000})
    assert frame.image.shape == (300, 400, 3)


def test_unreadable_images_are_skipped_with_a_warning(tmp_path, caplog):
    write_images(tmp_path / "f", ["a.jpg", "c.jpg"])
    (tmp_path / "f" / "b.jpg").write_bytes(b"not an image")
    with caplog.at_level(logging.WARNING, logger="streams"):
        frames = read(tmp_path / "f")
    assert [f.time for f in frames] == [0.0, 2.0]
    assert any("b.jpg" in r.getMessage() for r in caplog.records)


def test_folder_without_images_fails_clearly(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("no pictures here")
    with pytest.raises(SourceError) as caught:
        open_source(str(tmp_path / "empty"), SamplingPolicy())
    assert str(caught.value).startswith(str(tmp_path / "empty")) and "no images" in str(caught.value)


def test_folder_of_only_broken_images_fails_clearly(tmp_path):
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "a.png").write_bytes(b"garbage")
    with pytest.raises(SourceError, match="none of its images can be decoded"):
        ImageFolderSource(tmp_path / "f", SamplingPolicy())

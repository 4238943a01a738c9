"""Stream ids: content-addressed for files, address-based for URLs and devices."""

from __future__ import annotations

import pytest

from streams import SourceError, stream_id
from streams.identity import display_uri, normalize_uri

MIB = 1 << 20


def test_file_id_survives_renames_and_follows_content(tmp_path):
    a = tmp_path / "a.mp4"
    a.write_bytes(b"x" * 1000)
    sid = stream_id(str(a))
    assert sid.startswith("s-") and len(sid) == 14 and int(sid[2:], 16) >= 0
    moved = tmp_path / "sub" / "renamed.mkv"
    moved.parent.mkdir()
    a.rename(moved)
    assert stream_id(str(moved)) == sid
    moved.write_bytes(b"x" * 999 + b"y")
    assert stream_id(str(moved)) != sid


def test_large_file_id_hashes_size_head_and_tail(tmp_path):
    path = tmp_path / "big.bin"
    data = bytearray(3 * MIB)
    path.write_bytes(bytes(data))
    sid = stream_id(str(path))
    data[-1] = 1  # tail changes the id
    path.write_bytes(bytes(data))
    assert stream_id(str(path)) != sid
    data[-1] = 0
    data[0] = 1  # head changes the id
    path.write_bytes(bytes(data))
    assert stream_id(str(path)) != sid
    path.write_bytes(bytes(3 * MIB + 1))  # so does the size
    assert stream_id(str(path)) != sid


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        stream_id(str(tmp_path / "nope.mp4"))


def test_image_folder_id_follows_its_images(tmp_path):
    (tmp_path / "a.png").write_bytes(b"1")
    (tmp_path / "notes.txt").write_text("ignored")
    sid = stream_id(str(tmp_path))
    (tmp_path / "other.txt").write_text("still ignored")
    assert stream_id(str(tmp_path)) == sid
    (tmp_path / "b.jpg").write_bytes(b"2")
    assert stream_id(str(tmp_path)) != sid


def test_url_ids_ignore_case_of_scheme_and_host_and_credentials():
    sid = stream_id("rtsp://cam.local:554/stream1")
    assert stream_id("RTSP://Cam.LOCAL:554/stream1") == sid
    assert stream_id("rtsp://admin:secret@cam.local:554/stream1") == sid
    assert stream_id("rtsp://cam.local:554/stream2") != sid
    assert stream_id("http://example.org") == stream_id("http://example.org/")


def test_device_spellings_share_an_id():
    assert stream_id("/dev/video0") == stream_id("device:/dev/video0") == stream_id("device:v4l2:/dev/video0")
    assert normalize_uri("/dev/video0") == "device:v4l2:/dev/video0"
    assert stream_id("device:avfoundation:0") != stream_id("/dev/video0")


def test_display_uri_hides_passwords():
    assert display_uri("rtsp://admin:secret@cam.local:554/s?x=1") == "rtsp://admin:***@cam.local:554/s?x=1"
    assert display_uri("rtsp://cam.local/s") == "rtsp://cam.local/s"
    assert display_uri("/videos/a.mp4") == "/videos/a.mp4"

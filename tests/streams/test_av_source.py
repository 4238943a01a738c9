"""AVSource against synthetic clips whose every frame, sample and cue is known."""

from __future__ import annotations

import itertools
import logging
import math
import socket
import threading
import time
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from streams import AudioChunk, SamplingPolicy, SourceError, TextCue, VideoFrame, open_source
from streams.av_source import AVSource
from streams.source import keep_after

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "video"


def read(path: Path | str, start: float = 0.0, **policy) -> list:
    with AVSource(str(path), SamplingPolicy(**policy)) as source:
        return list(source.packets(start))


def frames(packets: list) -> list[VideoFrame]:
    return [p for p in packets if isinstance(p, VideoFrame)]


def chunks(packets: list) -> list[AudioChunk]:
    return [p for p in packets if isinstance(p, AudioChunk)]


def cues(packets: list) -> list[TextCue]:
    return [p for p in packets if isinstance(p, TextCue)]


def mean_colour(frame: VideoFrame) -> np.ndarray:
    return frame.image.reshape(-1, 3).mean(axis=0)


# -- info and video sampling ---------------------------------------------------------------


def test_info_describes_the_clip(clip):
    with AVSource(str(clip), SamplingPolicy()) as source:
        info = source.info
    assert info.kind == "file" and info.uri == str(clip)
    assert info.stream.startswith("s-") and len(info.stream) == 14
    assert info.duration == pytest.approx(5.0, abs=0.05)
    assert (info.width, info.height, info.fps, info.rotation) == (160, 120, 25.0, 0)
    assert info.has_video and info.has_audio and info.has_subtitles


def test_fps_sampling_keeps_the_first_frame_of_each_slot(clip):
    # 25 fps frames sit at multiples of 0.04 s, so slot k (k/2 s) starts with frame ceil(12.5 k)/25.
    times = [f.time for f in frames(read(clip, fps=2))]
    expected = [math.ceil(k * 12.5 - 1e-9) / 25 for k in range(10)]
    assert times == pytest.approx(expected, abs=1e-9)
    assert expected[:4] == pytest.approx([0.0, 0.52, 1.0, 1.52])


def test_fps_sampling_on_a_24_fps_clip_gives_exact_half_seconds(tmp_path, media):
    path = media.make_video(tmp_path / "c24.mp4", seconds=3, fps=24, gop=24, audio=False)
    times = [f.time for f in frames(read(path, fps=2))]
    assert times == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5], abs=1e-9)


def test_every_frame_when_fps_is_none(clip):
    times = [f.time for f in frames(read(clip, fps=None))]
    assert times == pytest.approx([i / 25 for i in range(125)], abs=1e-9)


def test_frames_show_the_colours_written(clip, media):
    sampled = frames(read(clip, fps=2))
    for frame in sampled:
        assert frame.image.dtype == np.uint8 and frame.image.flags.c_contiguous
        np.testing.assert_allclose(mean_colour(frame), media.colour_at(frame.time), atol=12)


def test_keyframes_only_yields_one_frame_per_gop(clip, media):
    sampled = frames(read(clip, fps=None, keyframes_only=True))
    assert [f.time for f in sampled] == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0])
    assert all(f.keyframe for f in sampled)
    for frame in sampled:
        np.testing.assert_allclose(mean_colour(frame), media.colour_at(frame.time), atol=12)


@pytest.mark.parametrize(("frame_size", "shape"), [(64, (64, 86, 3)), (120, (120, 160, 3)), (224, (120, 160, 3)), (None, (120, 160, 3))])
def test_frame_size_bounds_the_shorter_side_and_never_upscales(clip, frame_size, shape):
    sampled = frames(read(clip, fps=1, frame_size=frame_size))
    assert {f.image.shape for f in sampled} == {shape}


def _noise(width: int, height: int):
    """Frames of seeded noise, another each second: downscaling them depends on every filter tap."""
    def image(time: float) -> np.ndarray:
        return np.random.default_rng(int(time)).integers(0, 256, (height, width, 3), dtype=np.uint8)

    return image


def _scaled_alone(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """The oracle: ``frame`` scaled by a scaler of its own, as ``frame.reformat`` does."""
    return frame.reformat(width=width, height=height, format="rgb24", interpolation="AREA").to_ndarray()


def test_frames_share_one_scaler_and_equal_each_frame_scaled_alone(tmp_path, media):
    path = media.make_video(tmp_path / "noise.mp4", seconds=2.0, width=160, height=120, audio=False,
                            pattern=_noise(160, 120))
    sampled = frames(read(path, fps=None, frame_size=64))
    with av.open(str(path)) as container:
        alone = [_scaled_alone(f, 86, 64) for f in container.decode(video=0)]
    assert len(sampled) == len(alone) == 50
    for got, want in zip(sampled, alone):
        np.testing.assert_array_equal(got.image, want)


def test_the_shared_scaler_follows_a_change_of_frame_size():
    """A stream may change resolution midway (adaptive streaming, a camera's new mode)."""
    from streams.av_source import _FrameSampler, _Layout

    sampler = _FrameSampler("s", SamplingPolicy(fps=None, frame_size=32), _Layout())
    shapes = [(120, 160), (64, 64), (120, 160)]
    for i, (height, width) in enumerate(shapes):
        frame = av.VideoFrame.from_ndarray(_noise(width, height)(i), format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i, Fraction(1)
        (got,) = sampler.take(frame, 0.0)
        target = (42, 32) if width > height else (32, 32)
        np.testing.assert_array_equal(got.image, _scaled_alone(frame, *target))


def test_non_square_pixels_display_wider(tmp_path, media):
    # 176x144 with a 16:11 pixel aspect shows as 256x144 (16:9), like PAL 704x576 shows as 1024x576.
    path = media.make_video(tmp_path / "sar.mp4", seconds=1, width=176, height=144, sar=Fraction(16, 11), audio=False)
    with AVSource(str(path), SamplingPolicy(fps=1)) as source:
        assert (source.info.width, source.info.height) == (256, 144)
        assert source.info.extra["sample_aspect_ratio"] == "16/11"
        assert frames(list(source.packets()))[0].image.shape == (144, 256, 3)
    assert frames(read(path, fps=1, frame_size=72))[0].image.shape == (72, 128, 3)


def _top_red_bottom_blue(time: float) -> np.ndarray:
    image = np.zeros((120, 160, 3), np.uint8)
    image[:60] = (255, 0, 0)
    image[60:] = (0, 0, 255)
    return image


@pytest.mark.parametrize(
    ("rotation", "shape", "red_at"),
    [(90, (160, 120, 3), "left"), (-90, (160, 120, 3), "right"), (180, (120, 160, 3), "bottom")],
)
def test_rotated_video_comes_out_upright(tmp_path, rotation, shape, red_at, media):
    # The display matrix says: rotate the coded picture `rotation` degrees counter-clockwise to
    # show it (FFmpeg's convention, which ffmpeg's own autorotate follows). Coded picture: red
    # top half; turned 90 ccw the top goes left, 90 cw it goes right, 180 it goes to the bottom.
    path = media.make_video(tmp_path / "rot.mp4", seconds=1, audio=False, rotation=rotation, pattern=_top_red_bottom_blue)
    with AVSource(str(path), SamplingPolicy(fps=1)) as source:
        assert source.info.rotation == rotation % 360
        assert (source.info.height, source.info.width) == shape[:2]
        image = frames(list(source.packets()))[0].image
    assert image.shape == shape
    h, w = shape[:2]
    halves = {
        "left": (image[:, : w // 2 - 4], image[:, w // 2 + 4 :]),
        "right": (image[:, w // 2 + 4 :], image[:, : w // 2 - 4]),
        "bottom": (image[h // 2 + 4 :], image[: h // 2 - 4]),
    }
    red, blue = halves[red_at]
    np.testing.assert_allclose(red.reshape(-1, 3).mean(0), (255, 0, 0), atol=15)
    np.testing.assert_allclose(blue.reshape(-1, 3).mean(0), (0, 0, 255), atol=15)


def test_variable_frame_rate_keeps_the_real_frame_times(tmp_path, media):
    times = [0.0, 0.1, 0.14, 0.5, 0.52, 1.3, 1.32, 2.0, 2.9]
    path = media.make_video(tmp_path / "vfr.mp4", times=times, audio=False)
    every = frames(read(path, fps=None))
    assert [f.time for f in every] == pytest.approx(times, abs=1e-6)
    sampled = frames(read(path, fps=2))
    assert [f.time for f in sampled] == pytest.approx([0.0, 0.5, 1.3, 2.0, 2.9], abs=1e-6)
    for frame in sampled:
        np.testing.assert_allclose(mean_colour(frame), media.colour_at(frame.time), atol=12)


# -- audio ---------------------------------------------------------------------------------


def test_audio_chunks_cover_the_clip_on_the_grid(clip):
    audio = chunks(read(clip, video=False, audio=True, text=False))
    assert [c.time for c in audio[:5]] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert all(c.sample_rate == 16_000 and c.samples.dtype == np.float32 and c.samples.ndim == 1 for c in audio)
    assert all(len(c.samples) == 16_000 for c in audio[:5])
    assert sum(len(c.samples) for c in audio) / 16_000 == pytest.approx(5.0, abs=0.05)
    tone = audio[2].samples
    peak_hz = np.argmax(np.abs(np.fft.rfft(tone))) * 16_000 / len(tone)
    assert peak_hz == pytest.approx(220, abs=2)
    # Two identical channels downmix to their mean (as whisper's ffmpeg loader does): RMS of a 0.5 sine.
    assert np.sqrt(np.mean(tone**2)) == pytest.approx(0.5 / math.sqrt(2), rel=0.05)
    assert max(np.abs(c.samples).max() for c in audio) <= 1.0


def test_audio_chunks_follow_a_half_second_grid(clip):
    audio = chunks(read(clip, video=False, audio=True, audio_chunk=0.5, text=False))
    assert [c.time for c in audio[:10]] == pytest.approx([k / 2 for k in range(10)])
    assert all(len(c.samples) == 8_000 for c in audio[:10])


def test_audio_of_a_transport_stream_starts_with_its_video(tmp_path, media):
    """MPEG-TS starts its clock at 1.4 s: audio times subtract the container start as video times do."""
    ts = media.make_video(tmp_path / "clip.ts", seconds=3.0)
    packets = read(ts, fps=2, audio=True)
    audio, video = chunks(packets), frames(packets)
    assert video[0].time == pytest.approx(0.0, abs=0.05) and audio[0].time == pytest.approx(0.0, abs=0.05)
    assert audio[-1].end == pytest.approx(3.0, abs=0.1)


def test_packets_come_in_time_order(clip):
    packets = read(clip, fps=2, audio=True)
    assert {type(p) for p in packets} == {VideoFrame, AudioChunk, TextCue}
    times = [p.time for p in packets]
    assert times == sorted(times)


# -- resume --------------------------------------------------------------------------------


def _same_packets(full: list, resumed: list, audio_atol: float, tail_samples: int = 0) -> None:
    assert [(type(p).__name__, round(p.time, 6)) for p in full] == [(type(p).__name__, round(p.time, 6)) for p in resumed]
    for a, b in zip(full, resumed):
        if isinstance(a, VideoFrame):
            assert a.keyframe == b.keyframe
            np.testing.assert_array_equal(a.image, b.image)
        elif isinstance(a, AudioChunk):
            assert abs(len(a.samples) - len(b.samples)) <= tail_samples
            n = min(len(a.samples), len(b.samples))
            np.testing.assert_allclose(a.samples[:n], b.samples[:n], atol=audio_atol)
        else:
            assert (a.text, a.end) == (b.text, b.end)


@pytest.mark.parametrize("start", [2.0, 2.3, 3.7])
def test_resume_yields_exactly_the_tail_of_a_full_read(clip, start):
    policy = SamplingPolicy(fps=2, audio=True)
    with AVSource(str(clip), policy) as source:
        full = [p for p in source.packets() if keep_after(p, start)]
        resumed = list(source.packets(start))
    assert resumed and resumed[0].time >= start - 1.0
    # Samples match to 16-bit precision except in the last few ms before the end of the stream,
    # where the resampler's flush pads differently (differences below 2e-3).
    _same_packets(full, resumed, audio_atol=2e-3)


def test_resume_in_matroska_matches_up_to_millisecond_audio_timestamps(mkv_clip):
    # Matroska stores audio timestamps in whole milliseconds, so the last (partial) chunk may
    # differ by a few samples; frames, chunk times and samples match.
    with AVSource(str(mkv_clip), SamplingPolicy(fps=2, audio=True)) as source:
        full = [p for p in source.packets() if keep_after(p, 2.0)]
        resumed = list(source.packets(2.0))
    _same_packets(full, resumed, audio_atol=0.05, tail_samples=25)


# -- subtitles -----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["clip", "mkv_clip"])
def test_embedded_text_subtitles_become_cues(fixture, request):
    path = request.getfixturevalue(fixture)
    found = cues(read(path, fps=1))
    assert [(c.time, c.end, c.text, c.origin) for c in found] == [
        (0.5, 1.5, "Hello world", "subtitle"),
        (2.5, 3.5, "Alice: where are the keys?", "subtitle"),
    ]
    assert all(c.speaker is None for c in found)


def test_ass_markup_is_stripped_from_embedded_cues(tmp_path, media):
    path = media.make_video(tmp_path / "tags.mkv", seconds=2, audio=False, subtitles=[(0.2, 1.0, r"{\i1}Hi{\i0}\Nthere")])
    assert [c.text for c in cues(read(path, fps=1))] == ["Hi\nthere"]


def test_text_off_reads_no_cues(clip):
    assert cues(read(clip, fps=1, text=False)) == []


SRT = "\ufeff1\r\n00:00:00,200 --> 00:00:00,900\r\n<i>Kitchen</i>\r\n\r\n2\r\n00:00:01,800 --> 00:00:02,400\r\nBob: over here\r\n"


def test_sidecar_srt_is_merged_in_time_order(tmp_path, media):
    path = media.make_video(tmp_path / "talk.mp4", seconds=3, audio=False)
    (tmp_path / "talk.srt").write_bytes(SRT.encode("utf-8"))
    packets = read(path, fps=1)
    assert [(c.time, c.end, c.text, c.origin) for c in cues(packets)] == [
        (0.2, 0.9, "Kitchen", "sidecar"),
        (1.8, 2.4, "Bob: over here", "sidecar"),
    ]
    assert [p.time for p in packets] == sorted(p.time for p in packets)
    with AVSource(str(path), SamplingPolicy(fps=1)) as source:
        assert source.info.has_subtitles and source.info.extra["sidecar"].endswith("talk.srt")
        resumed = list(source.packets(2.0))
    assert [(type(p).__name__, p.time) for p in resumed] == [("TextCue", 1.8), ("VideoFrame", 2.0)]


def test_sidecar_vtt_with_a_language_suffix(tmp_path, media):
    path = media.make_video(tmp_path / "walk.mp4", seconds=2, audio=False)
    (tmp_path / "walk.en.vtt").write_text("WEBVTT\n\n00:00.500 --> 00:01.250\n<v Alice>The mug is red</v>\n")
    (found,) = cues(read(path, fps=1))
    assert (found.time, found.end, found.text, found.speaker, found.origin) == (0.5, 1.25, "The mug is red", "Alice", "sidecar")


# -- bad input -----------------------------------------------------------------------------


def _fails(uri: str, *words: str, **kwargs) -> SourceError:
    with pytest.raises(SourceError) as caught:
        with open_source(uri, SamplingPolicy(audio=True), **kwargs) as source:
            list(source.packets())
    message = str(caught.value)
    assert message.startswith(uri) and message.count("\n") == 0
    for word in words:
        assert word in message
    return caught.value


def test_missing_file(tmp_path):
    _fails(str(tmp_path / "missing.mp4"), "no such file")


def test_text_file_named_mp4(tmp_path, media):
    _fails(str(media.write_text_as(tmp_path / "notes.mp4")), "not a media file PyAV/FFmpeg can read (invalid data)")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    _fails(str(tmp_path / "empty.mp4"), "empty")


def test_mp4_cut_before_its_index(clip, tmp_path):
    data = clip.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")  # the index is written last, then cut off
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    _fails(str(cut), "truncated", "'moov' atom")


def test_mp4_cut_mid_data_decodes_what_is_there(tmp_path, caplog, media):
    path = media.make_video(tmp_path / "fast.mp4", seconds=4, container_options={"movflags": "+faststart"})
    cut = tmp_path / "fast_cut.mp4"
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # index first: the cut keeps it
    cut.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="streams"):
        packets = read(cut, fps=2, audio=True)
    assert 1.0 < frames(packets)[-1].time < 3.5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(cut) in warnings[0].getMessage() and "truncated" in warnings[0].getMessage()


def test_audio_only_file_needs_require_video_off(tmp_path, media):
    path = media.make_video(tmp_path / "voice.m4a", video=False)
    _fails(str(path), "has no video stream (audio only)")
    with open_source(str(path), SamplingPolicy(audio=True), require_video=False) as source:
        assert not source.info.has_video and source.info.has_audio
        audio = chunks(list(source.packets()))
    assert sum(len(c.samples) for c in audio) / 16_000 == pytest.approx(5.0, abs=0.05)


def test_unknown_codec(tmp_path, media):
    path = media.make_video(tmp_path / "ok.mkv", seconds=1, audio=False)
    data = path.read_bytes()
    assert data.count(b"V_MPEG4/ISO/AVC") == 1
    odd = tmp_path / "odd.mkv"
    odd.write_bytes(data.replace(b"V_MPEG4/ISO/AVC", b"V_QQQQQ/ISO/XYZ"))
    _fails(str(odd), "unknown codec")


def test_reading_a_closed_source_fails_clearly(clip):
    source = AVSource(str(clip), SamplingPolicy())
    source.close()
    with pytest.raises(SourceError, match="closed"):
        list(source.packets())


@pytest.mark.parametrize("uri", ["rtsp://127.0.0.1:9/none", "http://127.0.0.1:9/x.mp4"])
def test_unreachable_url_fails_fast(uri):
    began = time.monotonic()
    _fails(uri, "cannot connect", "connection refused")
    assert time.monotonic() - began < 15


@pytest.fixture
def silent_server():
    """A loopback TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


@pytest.mark.parametrize("scheme", ["http", "rtsp"])
def test_a_stream_that_never_answers_times_out(silent_server, scheme):
    uri = f"{scheme}://127.0.0.1:{silent_server}/live"
    began = time.monotonic()
    with pytest.raises(SourceError, match="timed out") as caught:
        AVSource(uri, SamplingPolicy(), open_timeout=1.0)
    assert str(caught.value).startswith(uri)
    assert time.monotonic() - began < 8


def test_an_open_that_blocks_past_its_timeout_is_abandoned(tmp_path, caplog):
    """A named pipe with no writer: FFmpeg's open waits in the kernel, where no timeout of its reaches."""
    import os

    from streams.av_source import WATCHDOG_MARGIN

    fifo = tmp_path / "feed.ts"
    os.mkfifo(fifo)
    uri = f"device:mpegts:{fifo}"
    began = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="streams.av_source"):
        with pytest.raises(SourceError, match=r"cannot open device \(the open hung past 4 s\)") as caught:
            AVSource(uri, SamplingPolicy(), open_timeout=1.0, read_timeout=1.0)
    waited = time.monotonic() - began
    assert str(caught.value).startswith(uri)
    assert 2 * 1.0 + WATCHDOG_MARGIN <= waited < 2 * 1.0 + WATCHDOG_MARGIN + 1.0
    assert any(uri in r.getMessage() and "did not return within 4 s" in r.getMessage() for r in caplog.records)
    writer = os.open(fifo, os.O_WRONLY)  # lets the abandoned open return (and its thread end)
    os.close(writer)


# -- real media ----------------------------------------------------------------------------

needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"real media not found at {DATA}")


@needs_data
def test_pal_documentary_with_non_square_pixels():
    with open_source(str(DATA / "seed-archive-documentary.mp4"), SamplingPolicy(fps=1, audio=True)) as source:
        info = source.info
        head = list(itertools.islice(source.packets(), 12))
    assert (info.width, info.height) == (1024, 576)  # 704x576 coded, 16:11 pixels
    assert info.extra["sample_aspect_ratio"] == "16/11"
    assert info.fps == 25.0 and info.has_audio and info.duration == pytest.approx(25.1, abs=0.2)
    image = frames(head)[0].image
    assert image.shape[0] == 224 and image.shape[1] / image.shape[0] == pytest.approx(16 / 9, rel=0.01)
    assert chunks(head) and chunks(head)[0].samples.dtype == np.float32


@needs_data
def test_hd_nature_clip():
    with open_source(str(DATA / "nature-cuts.mp4"), SamplingPolicy(fps=None, keyframes_only=True)) as source:
        info = source.info
        sampled = frames(list(source.packets()))
    assert (info.width, info.height) == (1280, 720)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.wall_clock is not None  # creation_time metadata
    assert sampled and all(f.keyframe and f.image.shape == (224, 398, 3) for f in sampled)


# -- timestamps and metadata ---------------------------------------------------------------


def test_frames_without_timestamps_are_timed_at_the_nominal_rate(tmp_path):
    # A raw H.264 bitstream carries no timestamps at all: frames are counted at 25 fps.
    path = tmp_path / "raw.h264"
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
    for i in range(50):
        frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), 4 * i, np.uint8), format="rgb24")
        frame.pts = i
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
    out.close()
    assert [f.time for f in frames(read(path, fps=None))] == pytest.approx([i / 25 for i in range(50)], abs=1e-9)
    assert [f.time for f in frames(read(path, fps=2))] == pytest.approx([0.0, 0.52, 1.0, 1.52], abs=1e-9)


def test_creation_time_anchors_wall_clock(tmp_path, media):
    path = media.make_video(tmp_path / "dated.mp4", seconds=1, audio=False, metadata={"creation_time": "2024-04-11T01:11:32Z"})
    with AVSource(str(path), SamplingPolicy()) as source:
        assert source.info.wall_clock == datetime(2024, 4, 11, 1, 11, 32, tzinfo=timezone.utc).timestamp()


def test_sparse_sampling_skips_non_reference_frames_but_keeps_the_rate(media, tmp_path):
    path = media.make_video(tmp_path / "bframes.mp4", seconds=4.0, fps=25, gop=50, audio=False)
    every = frames(read(path, fps=2, skip_nonref=False))
    sparse = frames(read(path, fps=2, skip_nonref=True))
    assert len(sparse) == len(every) == 8
    for a, b in zip(sparse, every):  # the slot's first reference frame: at most a few frames later
        assert 0.0 <= a.time - b.time <= 4 / 25 + 1e-9
    tail = frames(read(path, start=sparse[3].time, fps=2, skip_nonref=True))
    assert [f.time for f in tail] == [f.time for f in sparse[3:]]

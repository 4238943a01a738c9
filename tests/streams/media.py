"""Tiny synthetic media written with PyAV, with contents known exactly (the test oracles).

Video frames are solid colours that change every second (``COLOURS[int(t)]``) unless a
``pattern`` is given; audio is a 220 Hz tone; subtitles are text cues muxed as mov_text (MP4)
or subrip (Matroska).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255)]
AUDIO_IN_RATE = 44_100
TONE_HZ = 220.0

# FFmpeg's text-subtitle encoders need an ASS header to open.
ASS_HEADER = (
    b"[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\n"
    b"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
    b"Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
    b"Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
    b"Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0\n\n"
    b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
)


def colour_at(time: float) -> tuple[int, int, int]:
    return COLOURS[int(time + 1e-9) % len(COLOURS)]


def solid(width: int, height: int) -> Callable[[float], np.ndarray]:
    def image(time: float) -> np.ndarray:
        return np.full((height, width, 3), colour_at(time), np.uint8)

    return image


def make_video(
    path: Path,
    *,
    seconds: float = 5.0,
    fps: int = 25,
    width: int = 160,
    height: int = 120,
    gop: int = 25,
    audio: bool = True,
    video: bool = True,
    subtitles: Sequence[tuple[float, float, str]] = (),
    rotation: int = 0,
    sar: Fraction | None = None,
    times: Sequence[float] | None = None,
    pattern: Callable[[float], np.ndarray] | None = None,
    container_options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write a clip: H.264 video (libx264), AAC audio, and text subtitles when given.

    ``times`` gives explicit frame times (variable frame rate, millisecond precision);
    ``rotation`` writes a display matrix (counter-clockwise degrees); ``sar`` a pixel aspect.
    """
    path = Path(path)
    sub_codec = "mov_text" if path.suffix == ".mp4" else "subrip"
    out = av.open(str(path), "w", options=container_options or {})
    out.metadata.update(metadata or {})
    try:
        v = _add_video(out, fps, width, height, gop, rotation, sar, vfr=times is not None) if video else None
        a = _add_audio(out) if audio else None
        s = _add_subtitles(out, sub_codec) if subtitles else None
        if v is not None:
            frame_times = list(times) if times is not None else [i / fps for i in range(round(seconds * fps))]
            _write_video(out, v, frame_times, fps, pattern or solid(width, height), vfr=times is not None)
        if a is not None:
            _write_audio(out, a, seconds)
        if s is not None:
            _write_subtitles(out, s, subtitles)
        for stream in (v, a):
            if stream is not None:
                out.mux(stream.encode(None))
    finally:
        out.close()
    return path


def write_text_as(path: Path, text: str = "this is not a video\n") -> Path:
    path.write_text(text)
    return path


def _add_video(out, fps, width, height, gop, rotation, sar, vfr):
    v = out.add_stream("libx264", rate=fps)
    v.width, v.height, v.pix_fmt = width, height, "yuv420p"
    v.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "preset": "ultrafast", "bf": "2"}
    if vfr:
        v.time_base = Fraction(1, 1000)
        v.codec_context.time_base = Fraction(1, 1000)
    if sar is not None:
        v.sample_aspect_ratio = sar
    if rotation:
        v.set_display_rotation(rotation)
    return v


def _add_audio(out):
    a = out.add_stream("aac", rate=AUDIO_IN_RATE)
    a.layout = "stereo"
    return a


def _add_subtitles(out, codec):
    s = out.add_stream(codec)
    s.codec_context.subtitle_header = ASS_HEADER
    s.time_base = Fraction(1, 1000)
    return s


def _write_video(out, stream, frame_times, fps, pattern, vfr):
    for i, time in enumerate(frame_times):
        frame = av.VideoFrame.from_ndarray(pattern(time), format="rgb24")
        if vfr:
            frame.pts = round(time * 1000)
            frame.time_base = Fraction(1, 1000)
        else:
            frame.pts = i
        out.mux(stream.encode(frame))


def _write_audio(out, stream, seconds):
    block = 1024
    total = round(seconds * AUDIO_IN_RATE)
    for first in range(0, total, block):
        n = min(block, total - first)
        t = np.arange(first, first + n) / AUDIO_IN_RATE
        tone = (0.5 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_IN_RATE
        frame.pts = first
        out.mux(stream.encode(frame))


def _write_subtitles(out, stream, cues):
    from av.subtitles.subtitle import SubtitleSet

    tb = stream.time_base
    for start, end, text in cues:
        pts, length = round(start / tb), round((end - start) / tb)
        packet = stream.codec_context.encode_subtitle(SubtitleSet.create(f"0,0,Default,,0,0,0,,{text}".encode(), 0, length, pts))
        packet.stream = stream
        packet.pts = packet.dts = pts
        packet.duration = length
        out.mux(packet)

"""Make a sample video offline: rooms with distinct looks, hard cuts at known times, audio, subtitles.

The main job (``mnemo demo``), the end-to-end tests and the benchmark all ingest it, so it needs
nothing downloaded. Scenes are drawn with OpenCV and encoded with PyAV (H.264 + AAC); the lines
spoken in each room go to a sidecar ``.srt`` beside the video (and, optionally, into the file as a
mov_text subtitle stream).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import wave
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scene:
    name: str  # what the room is
    wall: tuple[int, int, int]  # RGB
    floor: tuple[int, int, int]
    line: str  # what is said there (subtitle)
    seconds: float


SCENES = (
    Scene("kitchen", (230, 220, 180), (120, 90, 60), "Here is the kitchen. The red mug is next to the kettle.", 6.0),
    Scene("living room", (90, 120, 170), (70, 60, 50), "In the living room Alice left her keys on the sofa.", 7.0),
    Scene("bedroom", (200, 150, 190), (150, 140, 130), "This is the bedroom; the lamp by the bed is broken.", 5.0),
    Scene("garden", (120, 190, 230), (60, 150, 60), "Out in the garden Bob is watering the tomato plants.", 6.0),
    Scene("garage", (110, 110, 110), (50, 50, 55), "The garage holds the bicycle and a box of tools.", 6.0),
    Scene("kitchen", (230, 220, 180), (120, 90, 60), "Back in the kitchen, someone is making coffee.", 5.0),
)


@dataclass(frozen=True)
class Sample:
    video: Path
    subtitles: Path
    cuts: tuple[float, ...]  # media times of the hard cuts between scenes
    scenes: tuple[Scene, ...]
    spoken: bool = False  # the lines are spoken in the audio (espeak-ng), not only subtitled


def can_speak() -> bool:
    """Whether lines can be spoken into the audio (espeak-ng is installed)."""
    return shutil.which("espeak-ng") is not None


def make_sample(out_dir: str | Path, *, width: int = 640, height: int = 360, fps: int = 25,
                scenes: tuple[Scene, ...] = SCENES, seed: int = 0, audio: bool = True,
                bitrate: int = 800_000, gop: int | None = None, name: str = "sample", speech: bool = False,
                subtitles: bool = True) -> Sample:
    """Write ``<name>.mp4`` (and ``<name>.srt`` with ``subtitles``) into ``out_dir``; return what is in them.

    ``speech``: each scene's line is spoken (espeak-ng, where installed) from half a second into the
    scene, over quiet room tone; otherwise the audio is a tone per scene.
    """
    import av

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    video_path, srt_path = out / f"{name}.mp4", out / f"{name}.srt"
    rng = np.random.default_rng(seed)
    with av.open(str(video_path), "w") as container:
        vstream = container.add_stream("libx264", rate=fps)
        vstream.width, vstream.height, vstream.pix_fmt = width, height, "yuv420p"
        vstream.bit_rate = bitrate
        vstream.codec_context.options = {"preset": "veryfast", "g": str(gop or 2 * fps)}
        astream = container.add_stream("aac", rate=16000, layout="mono") if audio else None
        _write_video(container, vstream, scenes, width, height, fps, rng)
        spoken = astream is not None and speech and can_speak()
        if astream is not None:
            _write_audio(container, astream, scenes, spoken)
    if subtitles:
        srt_path.write_text(_srt(scenes))
    elif srt_path.exists():
        srt_path.unlink()
    cuts = tuple(np.cumsum([s.seconds for s in scenes])[:-1].round(6).tolist())
    logger.info("sample written: %s (%d scenes)", video_path, len(scenes))
    return Sample(video_path, srt_path, cuts, tuple(scenes), spoken)


def _write_video(container, stream, scenes, width, height, fps, rng) -> None:
    import av

    index = 0
    grain = [rng.integers(-6, 7, size=(height, width, 3)).astype(np.int16) for _ in range(8)]
    for scene in scenes:
        layout = np.random.default_rng(zlib.crc32(scene.name.encode()))  # the same room looks the same
        props = _props(layout, width, height)
        for i in range(int(round(scene.seconds * fps))):
            image = _draw(scene, props, i / fps, width, height, grain[index % len(grain)])
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
            index += 1
    container.mux(stream.encode(None))


def _props(rng: np.random.Generator, width: int, height: int) -> list[tuple]:
    """Furniture of one room: coloured boxes and discs at fixed places."""
    props = []
    for _ in range(5):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        x, y = int(rng.integers(0, width - 80)), int(rng.integers(height // 3, height - 60))
        w, h = int(rng.integers(30, 140)), int(rng.integers(20, 100))
        props.append((rng.choice(["box", "disc"]), colour, x, y, w, h))
    return props


def _draw(scene: Scene, props, t: float, width: int, height: int, grain: np.ndarray) -> np.ndarray:
    import cv2

    image = np.empty((height, width, 3), np.uint8)
    horizon = height // 2 + int(6 * np.sin(t))
    image[:horizon] = scene.wall
    image[horizon:] = scene.floor
    pan = int(20 * t) % 40  # the camera pans slowly
    for kind, colour, x, y, w, h in props:
        x = x - pan
        if kind == "box":
            cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
        else:
            cv2.circle(image, (x + w // 2, y + h // 2), min(w, h) // 2, colour, -1)
    walker = int((t * 60) % (width + 40)) - 20  # someone walks across
    cv2.rectangle(image, (walker, horizon - 60), (walker + 18, horizon + 40), (40, 40, 40), -1)
    return np.clip(image.astype(np.int16) + grain, 0, 255).astype(np.uint8)  # sensor noise


def _write_audio(container, stream, scenes, spoken: bool) -> None:
    import av

    rate, chunk = 16000, 1024
    wave = _spoken(scenes, rate) if spoken else _tones(scenes, rate)
    for start in range(0, len(wave), chunk):
        frame = av.AudioFrame.from_ndarray(wave[None, start:start + chunk], format="flt", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _tones(scenes, rate: int) -> np.ndarray:
    t = np.arange(int(sum(s.seconds for s in scenes) * rate)) / rate
    pitch = np.concatenate([np.full(int(s.seconds * rate), 220.0 * (1 + i % 4)) for i, s in enumerate(scenes)])
    pitch = np.pad(pitch, (0, max(0, len(t) - len(pitch))), mode="edge")[: len(t)]
    return (0.2 * np.sin(2 * np.pi * pitch * t)).astype(np.float32)


def _spoken(scenes, rate: int) -> np.ndarray:
    """Each scene's line spoken half a second into it (cut at the scene's end), over faint noise."""
    total = int(sum(s.seconds for s in scenes) * rate)
    audio = (0.003 * np.random.default_rng(0).standard_normal(total)).astype(np.float32)
    start = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for number, scene in enumerate(scenes):
            voice = _speak(scene.line, ("en-us", "en-gb")[number % 2], Path(tmp) / "line.wav", rate)
            first = int((start + 0.5) * rate)
            room = max(0, int((start + scene.seconds) * rate) - first)
            audio[first:first + min(room, len(voice))] += 0.6 * voice[:room]
            start += scene.seconds
    return audio


def _speak(text: str, voice: str, path: Path, rate: int) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", "170", "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path)) as w:
        raw = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
        source_rate = w.getframerate()
    return np.interp(np.arange(0, len(raw), source_rate / rate), np.arange(len(raw)), raw).astype(np.float32)


def _srt(scenes) -> str:
    blocks, start = [], 0.0
    for number, scene in enumerate(scenes, 1):
        begin, end = start + 0.5, start + scene.seconds - 0.5
        blocks.append(f"{number}\n{_stamp(begin)} --> {_stamp(end)}\n{scene.line}\n")
        start += scene.seconds
    return "\n".join(blocks)


def _stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

"""Render an episode to files: an mp4 (H.264 video, AAC audio, mov_text subtitles), a ROS 2 bag,
``truth.json``, and optionally a top-down map video.

``render_episode(seed, minutes, out_dir)`` is what ``mnemo sim render --seed N --minutes M --out DIR``
calls. Media are written second by second (video frames, then that second's audio and subtitles),
so memory stays flat however long the episode. When this PyAV build cannot mux mov_text, the
subtitles go to a sidecar ``<name>.srt`` instead, and the result says so.
"""

from __future__ import annotations

import io
import logging
import math
import shutil
import time
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np

from sim.audio import RATE, AudioTrack
from sim.bag import BagWriter
from sim.episode import WALL_CLOCK, RenderConfig, observe, plan
from sim.noise import NoiseConfig, drift
from sim.render import Renderer
from sim.topdown import render_map
from sim.scenario import Scenario, ScenarioConfig
from sim.truth import Observation, build_truth
from sim.world import WorldConfig

logger = logging.getLogger(__name__)

ASS_HEADER = b"""[Script Info]
ScriptType: v4.00+
PlayResX: 384
PlayResY: 288

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""


@dataclass(frozen=True)
class EpisodeFiles:
    """What ``render_episode`` wrote."""

    directory: Path
    truth: Path
    video: Path | None  # <name>.mp4
    subtitle_stream: bool  # the mp4 carries a mov_text subtitle stream
    subtitles: Path | None  # sidecar <name>.srt: written when mov_text cannot be muxed, or when asked for
    bag: Path | None  # ROS 2 bag directory <name>_bag
    map_video: Path | None  # <name>_map.mp4
    speech: str  # "espeak" or "tones"
    frames: int
    render_seconds: float  # wall time spent


def render_episode(seed: int, minutes: float, out_dir: str | Path, *, world: WorldConfig | None = None,
                   scenario: ScenarioConfig | None = None, render: RenderConfig | None = None, speech: str = "auto",
                   video: bool = True, bag: bool = True, bag_storage: str = "sqlite3", map_video: bool = False,
                   sidecar_srt: bool = False, pose_rate: float = 20.0, name: str = "episode",
                   overwrite: bool = False) -> EpisodeFiles:
    """Simulate the episode of ``seed`` for ``minutes`` and write its media, bag and truth into ``out_dir``."""
    started = time.perf_counter()
    render = render or RenderConfig()
    out = Path(out_dir)
    paths = _paths(out, name, video, bag, map_video)
    _prepare(out, paths, overwrite)
    home, episode = plan(seed, minutes, world, scenario)
    audio = AudioTrack(episode, speech)
    renderer = Renderer(home, render.width, render.height)
    with _Outputs(episode, render, audio, paths, bag_storage, sidecar_srt, pose_rate) as outputs:
        observations = _render_frames(episode, renderer, render, outputs)
        subtitle_stream = outputs.subtitle_stream
    truth = build_truth(episode, observations, width=render.width, height=render.height, fps=render.fps,
                        observation_rate=render.actual_observation_rate, speech=audio.mode, wall_clock=WALL_CLOCK)
    truth.save(paths["truth"])
    srt = paths["srt"]
    if not subtitle_stream or sidecar_srt:
        srt.write_text(_srt(episode))
        if video and not subtitle_stream:
            logger.warning("this PyAV build cannot mux mov_text subtitles into mp4: wrote them to %s instead", srt)
    else:
        srt = None
    seconds = time.perf_counter() - started
    frames = render.frame_count(episode.duration)
    logger.info("episode %d (%.1f min) rendered in %.1f s: %d frames into %s", seed, episode.duration / 60, seconds,
                frames, out)
    return EpisodeFiles(out, paths["truth"], paths.get("video"), subtitle_stream and video, srt, paths.get("bag"),
                        paths.get("map"), audio.mode, frames, seconds)


def _paths(out: Path, name: str, video: bool, bag: bool, map_video: bool) -> dict[str, Path]:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"name={name!r}: expected a plain file stem such as 'episode'")
    paths = {"truth": out / "truth.json", "srt": out / f"{name}.srt"}
    if video:
        paths["video"] = out / f"{name}.mp4"
    if bag:
        paths["bag"] = out / f"{name}_bag"
    if map_video:
        paths["map"] = out / f"{name}_map.mp4"
    return paths


def _prepare(out: Path, paths: dict[str, Path], overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ValueError(f"output {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    existing = [p for p in paths.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} already exists; choose another output directory or pass overwrite=True")
    for p in existing:
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def _render_frames(episode: Scenario, renderer: Renderer, render: RenderConfig, outputs: "_Outputs") -> list[Observation]:
    observations = []
    n = render.frame_count(episode.duration)
    every = render.observation_every
    report = max(1, n // 10)
    for i in range(n):
        t = i / render.fps
        state = episode.state_at(t)
        frame = renderer.render(state)
        if i % every == 0:
            observations.append(observe(renderer, state, render, frame))
        outputs.frame(i, t, frame.image, state)
        if i and i % report == 0:
            logger.info("rendered %d of %d frames", i, n)
    outputs.finish(n / render.fps)
    return observations


class _Outputs:
    """The open writers (mp4, map mp4, bag), fed frame by frame."""

    def __init__(self, episode: Scenario, render: RenderConfig, audio: AudioTrack, paths: dict[str, Path],
                 bag_storage: str, sidecar_srt: bool, pose_rate: float) -> None:
        self.episode, self.render, self.audio = episode, render, audio
        self.lines = [u for u in episode.utterances if u.heard]
        self.mp4 = _Mp4(paths["video"], render, with_audio=True, subtitles=mov_text_supported()) if "video" in paths else None
        self.map = _Mp4(paths["map"], RenderConfig(480, 320, render.fps, render.observation_rate), with_audio=False,
                        subtitles=False) if "map" in paths else None
        self.bag = (BagWriter(paths["bag"], WALL_CLOCK, episode.world.agent.camera_height, bag_storage)
                    if "bag" in paths else None)
        self.second = 0  # audio and subtitles are written up to here
        self.next_line = 0
        self.poses = _pose_samples(episode, pose_rate)
        self.next_pose = 0

    @property
    def subtitle_stream(self) -> bool:
        return self.mp4 is not None and self.mp4.subtitles

    def __enter__(self) -> "_Outputs":
        return self

    def __exit__(self, *exc) -> None:
        for writer in (self.mp4, self.map, self.bag):
            if writer is not None:
                writer.close()

    def frame(self, index: int, t: float, image: np.ndarray, state) -> None:
        while t >= self.second:
            self._media_second(self.second)
            self.second += 1
        self._poses_until(t)
        if self.mp4 is not None:
            self.mp4.video(index, image)
        if self.map is not None:
            self.map.video(index, render_map(self.episode.world, state, 480, 320))
        if self.bag is not None:
            self.bag.image(t, image)

    def finish(self, end: float) -> None:
        while self.second < math.ceil(end):
            self._media_second(self.second)
            self.second += 1
        self._poses_until(end)

    def _media_second(self, s: int) -> None:
        """Audio of [s, s + 1) and the lines that start in it."""
        end = min(s + 1.0, self.episode.duration)
        if end <= s:
            return
        if self.mp4 is not None:
            self.mp4.audio(int(round(s * RATE)), self.audio.render(float(s), end))
        while self.next_line < len(self.lines) and self.lines[self.next_line].start < s + 1:
            u = self.lines[self.next_line]
            text = f"{self.episode.world.get(u.speaker).name}: {u.text}"
            if self.mp4 is not None and self.mp4.subtitles:
                self.mp4.subtitle(u.start, min(u.end, self.episode.duration), text)
            if self.bag is not None:
                self.bag.subtitle(u.start, text)
            self.next_line += 1

    def _poses_until(self, t: float) -> None:
        if self.bag is None:
            return
        times, odom, true, velocity = self.poses
        while self.next_pose < len(times) and times[self.next_pose] <= t:
            k = self.next_pose
            self.bag.pose(float(times[k]), tuple(odom[k]), tuple(true[k]), tuple(velocity[k]))
            self.next_pose += 1


def _pose_samples(episode: Scenario, rate: float):
    """Times, drifting odometry, true poses and (speed, turn rate) of the agent at ``rate`` Hz.
    The odometry equals ``SimPerception(truth, seed=0).odometry(rate)`` under default noise."""
    if not 1.0 <= rate <= 200.0:
        raise ValueError(f"pose_rate={rate!r}: expected a rate in [1, 200] Hz")
    agent = episode.agent
    times = np.arange(0.0, episode.duration + 1e-9, 1.0 / rate)
    xs, ys, yaws = agent.positions(times)[0], agent.positions(times)[1], agent.yaws_at(times)
    c = NoiseConfig()
    odometry = drift(times, xs, ys, yaws, c.odometry_drift, c.heading_drift,
                     np.random.default_rng([episode.seed, 0, 21]))
    speed = np.concatenate([np.hypot(np.diff(xs), np.diff(ys)) * rate, [0.0]])
    turn = np.concatenate([np.diff(yaws) * rate, [0.0]])
    return (times, np.stack([odometry.xs, odometry.ys, odometry.yaws], 1), np.stack([xs, ys, yaws], 1),
            np.stack([speed, turn], 1))


class _Mp4:
    """An mp4 with H.264 video, and optionally AAC audio and a mov_text subtitle stream."""

    def __init__(self, path: Path, render: RenderConfig, with_audio: bool, subtitles: bool) -> None:
        import av

        self.container = av.open(str(path), "w")
        rate = Fraction(render.fps).limit_denominator(1001)
        self.video_stream = self.container.add_stream("libx264", rate=rate)
        self.video_stream.width, self.video_stream.height = render.width, render.height
        self.video_stream.pix_fmt = "yuv420p"
        self.video_stream.codec_context.options = {"preset": "superfast", "crf": "23",
                                                   "g": str(max(1, int(round(2 * render.fps))))}
        self.time_base = 1 / rate
        self.audio_stream = self.container.add_stream("aac", rate=RATE, layout="mono") if with_audio else None
        self.subtitle_stream = None
        if subtitles:
            self.subtitle_stream = self.container.add_stream("mov_text")
            self.subtitle_stream.codec_context.subtitle_header = ASS_HEADER
            self.subtitle_stream.codec_context.time_base = Fraction(1, 1000)
        self.subtitles = subtitles
        self._lines = 0

    def video(self, index: int, image: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
        frame.pts, frame.time_base = index, self.time_base
        self.container.mux(self.video_stream.encode(frame))

    def audio(self, first_sample: int, samples: np.ndarray) -> None:
        import av

        for start in range(0, len(samples), 1024):
            chunk = samples[start:start + 1024].astype(np.float32)
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate, frame.pts = RATE, first_sample + start
            self.container.mux(self.audio_stream.encode(frame))

    def subtitle(self, start: float, end: float, text: str) -> None:
        from av.subtitles.subtitle import SubtitleSet

        duration = max(1, int(round((end - start) * 1000)))
        line = f"{self._lines},0,Default,,0,0,0,,{text}".encode()
        packet = self.subtitle_stream.codec_context.encode_subtitle(
            SubtitleSet.create(line, start=0, end=duration, pts=int(round(start * 1e6))))
        packet.stream = self.subtitle_stream
        packet.time_base = Fraction(1, 1000)
        packet.pts = packet.dts = int(round(start * 1000))
        packet.duration = duration
        self.container.mux(packet)
        self._lines += 1

    def close(self) -> None:
        if self.container is None:
            return
        self.container.mux(self.video_stream.encode(None))
        if self.audio_stream is not None:
            self.container.mux(self.audio_stream.encode(None))
        self.container.close()
        self.container = None


@lru_cache(maxsize=1)
def mov_text_supported() -> bool:
    """Whether this PyAV build can write a mov_text subtitle stream into an mp4."""
    import av

    try:
        from av.subtitles.subtitle import SubtitleSet

        with av.open(io.BytesIO(), "w", format="mp4") as container:
            stream = container.add_stream("mov_text")
            stream.codec_context.subtitle_header = ASS_HEADER
            stream.codec_context.time_base = Fraction(1, 1000)
            stream.codec_context.open()
            stream.codec_context.encode_subtitle(SubtitleSet.create(b"0,0,Default,,0,0,0,,probe", start=0, end=1, pts=0))
    except (av.error.FFmpegError, ImportError, AttributeError, ValueError, TypeError) as err:
        logger.info("mov_text subtitles are not available in this PyAV build (%s)", err)
        return False
    return True


def _srt(episode: Scenario) -> str:
    blocks = []
    for k, u in enumerate((u for u in episode.utterances if u.heard), 1):
        name = episode.world.get(u.speaker).name
        blocks.append(f"{k}\n{_srt_stamp(u.start)} --> {_srt_stamp(min(u.end, episode.duration))}\n{name}: {u.text}\n")
    return "\n".join(blocks)


def _srt_stamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

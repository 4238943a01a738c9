"""Media files, network streams and capture devices, read with PyAV (FFmpeg).

One interleaved demux loop feeds the video, audio and text-subtitle decoders the policy asks
for. Only sampled frames are converted (straight to the target size, upright, square pixels);
audio becomes 16 kHz mono chunks on an absolute time grid; text subtitles and a sidecar
.srt/.vtt become TextCues. Everything streams: nothing is accumulated beyond a short reorder
buffer.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.subtitles.subtitle import AssSubtitle
from av.video.reformatter import VideoReformatter

from streams.audio import AudioChunker
from streams.av_errors import open_problem, read_problem
from streams.errors import SourceError, StreamInterrupted
from streams.geometry import display_size, pixel_aspect, quarter_turns, scaled_size, upright
from streams.identity import display_uri, is_url, stream_id
from streams.ordering import in_time_order, merge_cues
from streams.packets import Packet, StreamInfo, TextCue, VideoFrame
from streams.sampling import FrameClock, SamplingPolicy
from streams.source import Source, keep_after, parse_device
from streams.subtitles import find_sidecar, parse_ass_dialogue, read_sidecar, strip_markup
from streams.watchdog import Abandoned, Worker, call_within

log = logging.getLogger(__name__)

_PREROLL = 0.5  # seconds decoded before a resume point, so audio decoders settle before it
_PROBE_PACKETS = 300  # video packets tried for a first frame when opening a file
_SHORTFALL = 1.0  # seconds short of the announced duration that count as a truncated file
_DEFAULT_SUB_DURATION = 3.0  # seconds shown when a subtitle packet carries no duration
_LIVE_REORDER = 0.3  # seconds a live stream's packets are held for time order (files: a full audio chunk)
_CLOCK_JUMP_BACK = 1.0  # seconds a live stream's clock may step back before it counts as a restart
_CLOCK_JUMP_AHEAD = 30.0  # seconds it may leap ahead
WATCHDOG_MARGIN = 2.0  # seconds a network open or read may outlast its FFmpeg timeout before it is abandoned


@dataclass(frozen=True)
class _Layout:
    """Which streams of the container are read, and the facts needed to read them."""

    video: int | None = None  # stream index, None when video is off or missing
    audio: int | None = None
    subtitle: int | None = None
    sar: Fraction = Fraction(1)
    rotation: int = 0  # counter-clockwise degrees (0, 90, 180, 270) the first frame asks for
    frame_step: float = 1 / 25  # seconds between frames, for frames without a timestamp
    origin: float = 0.0  # container start time subtracted from every timestamp
    indices: tuple[int, ...] = field(default=())


class _Inspection:
    """What a just-opened container holds: its streams, their layout, the stream's info and duration
    (AVSource's part that reads a container before any packet is taken)."""

    def _inspect(self, container: av.container.InputContainer, sid: str, require_video: bool) -> tuple[_Layout, StreamInfo]:
        video = self._video_stream(container, require_video)
        audio = self._audio_stream(container) if self.policy.audio else None
        subtitle = self._text_subtitle_stream(container) if self.policy.text else None
        frame = self._first_frame(container, video) if video is not None and self.kind == "file" else None
        layout = self._layout_of(container, video, audio, subtitle, frame)
        return layout, self._info(container, sid, video, layout)

    def _video_stream(self, container: av.container.InputContainer, require_video: bool) -> av.VideoStream | None:
        streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        if not streams:
            if require_video:
                kinds = sorted({s.type for s in container.streams})
                what = f"{', '.join(kinds)} only" if kinds else "no streams at all"
                raise SourceError(self._shown, f"has no video stream ({what})")
            return None
        stream = _pick(streams)
        if stream is None:
            if require_video:
                raise SourceError(self._shown, "has a video stream in a codec FFmpeg cannot decode (unknown codec)")
            log.warning("%s: its video stream uses a codec FFmpeg cannot decode; reading it without video", self._shown)
        return stream

    def _audio_stream(self, container: av.container.InputContainer) -> av.AudioStream | None:
        stream = _pick(container.streams.audio)
        if stream is None:
            what = "an audio stream in a codec FFmpeg cannot decode" if container.streams.audio else "no audio stream"
            log.warning("%s: has %s; no audio chunks will be produced", self._shown, what)
        return stream

    def _text_subtitle_stream(self, container: av.container.InputContainer) -> av.stream.Stream | None:
        texts = [s for s in container.streams.subtitles if s.codec_context is not None and s.codec_context.codec.text_sub]
        return _pick(texts)

    def _first_frame(self, container: av.container.InputContainer, stream: av.VideoStream) -> av.VideoFrame | None:
        """The first decodable frame (for rotation and size), or SourceError when none decodes."""
        error: av.error.FFmpegError | None = None
        try:
            for count, packet in enumerate(container.demux(stream)):
                try:
                    for frame in packet.decode():
                        return frame
                except av.error.FFmpegError as err:
                    error = error or err
                if count > _PROBE_PACKETS:
                    break
        except av.error.FFmpegError as err:
            error = error or err
        codec = stream.codec_context.name
        reason = f": {read_problem(error)}" if error else ""
        raise SourceError(self._shown, f"its video stream ({codec}) could not be decoded{reason}")

    def _layout_of(self, container, video, audio, subtitle, frame) -> _Layout:
        chosen = [s for s in (video if self.policy.video else None, audio, subtitle) if s is not None]
        rate = (video.average_rate or video.guessed_rate) if video is not None else None
        start = container.start_time
        return _Layout(
            video=video.index if video is not None and self.policy.video else None,
            audio=audio.index if audio is not None else None,
            subtitle=subtitle.index if subtitle is not None else None,
            sar=_sample_aspect(video),
            rotation=90 * quarter_turns(frame.rotation) if frame is not None else 0,
            frame_step=1 / float(rate) if rate else 1 / 25,
            origin=start / av.time_base if start and start > 0 else 0.0,
            indices=tuple(s.index for s in chosen),
        )

    def _info(self, container, sid: str, video, layout: _Layout) -> StreamInfo:
        width = height = None
        fps = None
        if video is not None:
            cc = video.codec_context
            if cc.width and cc.height:
                width, height = display_size(cc.width, cc.height, layout.sar, layout.rotation)
            rate = video.average_rate or video.guessed_rate
            fps = float(rate) if rate else None
        extra = {
            "format": container.format.name,
            "video_codec": video.codec_context.name if video is not None else None,
            "audio_codec": _codec_name(container.streams.audio),
            "sample_aspect_ratio": str(layout.sar),
            "time_origin": layout.origin,
            "sidecar": str(self._sidecar_path) if self._sidecar else None,
        }
        embedded_text = any(s.codec_context is not None and s.codec_context.codec.text_sub for s in container.streams.subtitles)
        return StreamInfo(
            stream=sid,
            uri=self._shown,
            kind=self.kind,
            duration=self._duration(container),
            width=width,
            height=height,
            fps=fps,
            has_video=video is not None,
            has_audio=any(s.codec_context is not None for s in container.streams.audio),
            has_subtitles=embedded_text or bool(self._sidecar),
            rotation=layout.rotation,
            wall_clock=_creation_time(container, video),
            extra=extra,
        )

    def _duration(self, container) -> float | None:
        if container.duration is not None and container.duration > 0:
            return container.duration / av.time_base
        durations = [float(s.duration * s.time_base) for s in container.streams if s.duration and s.time_base]
        return max(durations) if durations else None


class AVSource(_Inspection, Source):
    """A media file, network URL (rtsp, http, ...) or capture device, read through PyAV."""

    def __init__(
        self,
        uri: str,
        policy: SamplingPolicy,
        stream: str | None = None,
        require_video: bool = True,
        open_timeout: float = 10.0,
        format: str | None = None,
        options: dict[str, str] | None = None,
        read_timeout: float = 30.0,
    ):
        self.uri = uri
        self.policy = policy
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        device = parse_device(uri)
        self._target, self._format = (device[1], device[0]) if device and format is None else (uri, format)
        self.kind = "device" if self._format else ("url" if is_url(uri) else "file")
        if self.kind == "file":  # absolute, so FFmpeg never reads "name:..." as a protocol
            self._target = os.path.abspath(uri)
        self._shown = display_uri(uri)
        self._options = options or {}
        self._readers: set[av.container.InputContainer] = set()  # containers open for reading
        self._closed = False
        self._stop_reading = False  # live: end the read at the next packet, draining the decoders
        self._interruption: StreamInterrupted | None = None  # live: why the current read stopped
        # live: the UNIX time of media time 0 as the packets tell it (the earliest of arrival minus
        # media time: packets buffered while the stream was probed arrive late, those after on time),
        # and (media end time, monotonic time) of the latest packet: where the live edge was and when
        self.anchor: float | None = None
        self.edge: tuple[float, float] | None = None
        self.first_time: float | None = None  # live: media time of the first audio/video packet
        if self.kind == "file" and not Path(uri).exists():
            raise SourceError(uri, "no such file")
        sid = stream or stream_id(uri)
        self._sidecar_path = find_sidecar(uri) if policy.text and self.kind == "file" else None
        self._sidecar = self._read_sidecar(sid)
        container = self._open()
        try:
            self._layout, self.info = self._inspect(container, sid, require_video)
        except BaseException:
            self._release(container)
            raise
        self._live = None if self.kind == "file" else container
        if self._live is None:
            self._release(container)

    def packets(self, start: float = 0.0) -> Iterator[Packet]:
        if self._closed:
            raise SourceError(self._shown, "the source is closed")
        return self._packets(start)

    def stop_reading(self) -> None:
        """End the current read at the next packet; what the decoders hold still comes out."""
        self._stop_reading = True

    def close(self) -> None:
        self._closed = True
        for container in list(self._readers):
            self._release(container)
        self._live = None

    def _release(self, container: av.container.InputContainer) -> None:
        self._readers.discard(container)
        container.close()

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> av.container.InputContainer:
        network = self.kind != "file"
        began = time.monotonic()
        options = {**self._network_options(), **self._options}

        def open_container() -> av.container.InputContainer:
            return av.open(self._target, mode="r", format=self._format, container_options=options,
                           timeout=(self.open_timeout, self.read_timeout) if network else None,
                           metadata_errors="replace")

        try:
            if not network:
                container = open_container()
            else:  # PyAV's open timeout covers the header, then the stream probe: twice, plus a margin
                limit = 2 * self.open_timeout + WATCHDOG_MARGIN
                container = call_within(open_container, limit, f"opening {self._shown}", late=_close_late)
        except Abandoned as err:
            log.warning("%s: opening did not return within %g s (FFmpeg ignored its %g s timeout); "
                        "abandoned", self._shown, err.limit, self.open_timeout)
            verb = "cannot open device" if self.kind == "device" else "cannot connect"
            raise SourceError(self._shown, f"{verb} (the open hung past {err.limit:g} s)") from None
        except av.error.FFmpegError as err:
            if self._refuses_interleaved(err):
                log.info("%s: the server refuses RTP over TCP; trying UDP", self._shown)
                self._options = {**self._options, "rtsp_transport": "udp"}
                return self._open()
            problem = open_problem(err, self.uri, self.kind, self.open_timeout, time.monotonic() - began)
            raise SourceError(self._shown, problem) from err
        self._readers.add(container)
        return container

    def _refuses_interleaved(self, err: av.error.FFmpegError) -> bool:
        """An RTSP server that answers our RTP-over-TCP setup with 400 or 461 (some cameras, simple relays)."""
        rtsp = self.kind == "url" and self.uri.split("://", 1)[0].lower() in ("rtsp", "rtsps")
        return (rtsp and "rtsp_transport" not in self._options
                and isinstance(err, (av.error.HTTPBadRequestError, av.error.HTTPClientError)))

    def _network_options(self) -> dict[str, str]:
        if self.kind != "url":
            return {}
        micros = str(int(self.open_timeout * 1_000_000))
        scheme = self.uri.split("://", 1)[0].lower()
        options = {"rw_timeout": micros}
        if scheme in ("rtsp", "rtsps"):
            options.update(rtsp_transport="tcp", timeout=micros)
        elif scheme in ("http", "https", "tcp", "udp", "srt"):
            options["timeout"] = micros
        return options

    def _read_sidecar(self, sid: str) -> list[TextCue]:
        path = self._sidecar_path
        if path is None:
            return []
        try:
            cues = read_sidecar(path, sid)
        except OSError as err:
            log.warning("%s: cannot read subtitle file %s (%s); ignoring it", self._shown, path, err)
            return []
        log.info("%s: %d subtitle cues from %s", self._shown, len(cues), path.name)
        return cues

    # -- reading ---------------------------------------------------------------------------

    def _packets(self, start: float) -> Iterator[Packet]:
        container = self._reader(start)
        try:
            decoded = (p for p in self._decode(container, start) if keep_after(p, start))
            sidecar = [cue for cue in self._sidecar if cue.end > start]
            lag = 1.0 + (self.policy.audio_chunk if self._layout.audio is not None else 0.0)
            if self.kind != "file":  # live: little delay; audio chunks may trail frames by one chunk
                lag = _LIVE_REORDER
            self._interruption = None
            yield from in_time_order(merge_cues(decoded, sidecar), lag=lag)
            if self._interruption is not None:  # raised once what the decoders held came out
                raise self._interruption
        finally:
            if container is not self._live:
                self._release(container)

    def _reader(self, start: float) -> av.container.InputContainer:
        """A container positioned at most a keyframe (plus preroll) before ``start``."""
        if self._live is not None:
            container = self._live
            if container not in self._readers:  # left to a read that hung
                raise SourceError(self._shown, "a read of it hung; it cannot be read again")
            if start > 0 and self.info.duration is not None:
                self._seek(container, start)
                for index in self._layout.indices:
                    container.streams[index].codec_context.flush_buffers()
            return container
        container = self._open()
        if start > 0:
            self._seek(container, start)
        return container

    def _seek(self, container, start: float) -> None:
        layout = self._layout
        anchor_index = layout.video if layout.video is not None else layout.audio
        target = max(0.0, min(start - _PREROLL, _slot_start(start, self.policy.fps))) + layout.origin
        try:
            if anchor_index is None:
                container.seek(int(target * av.time_base), backward=True)
            else:
                anchor = container.streams[anchor_index]
                container.seek(int(target / anchor.time_base), stream=anchor, backward=True, any_frame=False)
        except av.error.FFmpegError as err:
            log.warning("%s: cannot seek to %.3f s (%s); reading from the start", self._shown, start, read_problem(err))

    def _decode(self, container, start: float) -> Iterator[Packet]:
        layout = self._layout
        streams = [container.streams[i] for i in layout.indices]
        if not streams:
            return
        self._configure(container)
        frames = _FrameSampler(self.info.stream, self.policy, layout)
        chunker = (AudioChunker(self.info.stream, self.policy.audio_chunk, origin=layout.origin)
                   if layout.audio is not None else None)
        health = _Health()
        seen_key = False
        for packet in self._interruptible(self._demux(container, streams, health)):
            index = packet.stream.index
            if index == layout.video:
                seen_key = seen_key or packet.is_keyframe
                if self.policy.keyframes_only and seen_key and packet.size and not packet.is_keyframe:
                    continue
                for frame in self._decoded(packet, health):
                    health.decoded += 1
                    yield from self._converted(frames.take, frame, start, health=health)
            elif index == layout.audio:
                for frame in self._decoded(packet, health):
                    health.decoded += 1
                    yield from self._converted(chunker.push, frame, health=health)
            elif packet.size:
                yield from self._cues(packet, health)
        if chunker is not None:
            yield from self._converted(lambda _: chunker.flush(), None, health=health)
        if self.kind == "file":
            health.report(self._shown, self._read_duration(container))
            if not health.decoded and start <= 0 and not self._stop_reading:
                raise SourceError(self._shown, health.nothing_decoded())

    def _interruptible(self, packets: Iterator[av.Packet]) -> Iterator[av.Packet]:
        """``packets`` until a live stream is interrupted; the interruption is kept to raise after the drain."""
        try:
            yield from packets
        except StreamInterrupted as err:
            self._interruption = err

    def _configure(self, container) -> None:
        layout = self._layout
        if layout.video is not None:
            context = container.streams[layout.video].codec_context
            context.thread_type = "AUTO"
            if self.policy.keyframes_only:
                context.skip_frame = "NONKEY"
            elif self._sparse_sampling(container):
                context.skip_frame = "NONREF"  # nothing refers to them, and most would be dropped

    def _sparse_sampling(self, container) -> bool:
        """Whether the policy analyses so few frames that non-reference frames need no decoding.

        Only where the container times its frames: raw bitstreams are timed by counting frames,
        which needs every frame decoded.
        """
        policy, rate = self.policy, container.streams[self._layout.video].average_rate
        timed = not (container.format.flags & _AVFMT_NOTIMESTAMPS) and container.format.name not in _RAW_FORMATS
        return policy.skip_nonref and policy.fps is not None and bool(rate) and timed and policy.fps * 4 <= float(rate)

    def _demux(self, container, streams, health: _Health) -> Iterator[av.Packet]:
        """Packets of ``streams``; a file that cannot be read on stops with a note, a live stream raises.

        A network or device read runs in a worker thread and is abandoned when it outlasts the read
        timeout (which FFmpeg should have kept) by ``WATCHDOG_MARGIN``: the stream counts as interrupted.
        """
        demuxer = container.demux(*streams)
        worker = Worker(f"reading {self._shown}") if self.kind != "file" else None
        try:
            while not self._stop_reading:
                try:
                    packet = self._next_packet(demuxer, container, worker)
                except StopIteration:
                    return
                except av.error.FFmpegError as err:
                    if self.kind != "file":
                        raise self._interrupted(health, read_problem(err)) from err
                    health.stopped = read_problem(err)
                    return
                except Abandoned as err:
                    log.warning("%s: a read did not return within %g s (FFmpeg ignored its %g s timeout); "
                                "abandoned", self._shown, err.limit, self.read_timeout)
                    problem = f"no data arrived in time (the read hung past {err.limit:g} s)"
                    raise self._interrupted(health, problem) from None
                self._note_time(packet, health)
                yield packet
        finally:
            if worker is not None:
                worker.close()

    def _next_packet(self, demuxer: Iterator[av.Packet], container, worker: Worker | None) -> av.Packet:
        """``next(demuxer)``, in ``worker`` when there is one; a container whose read is abandoned is left to it."""
        if worker is None:
            return next(demuxer)

        def late(_packet, _error) -> None:  # the hung read returned after all: nobody reads this container now
            demuxer.close()
            container.close()

        try:
            return worker.call(lambda: next(demuxer), self.read_timeout + WATCHDOG_MARGIN, "a read", late=late)
        except Abandoned:
            self._readers.discard(container)  # closed by ``late``, never under the hung read
            raise

    def _note_time(self, packet: av.Packet, health: _Health) -> None:
        """Note how far the media has come (and, live, where the edge is)."""
        if packet.pts is not None and packet.stream.type in ("video", "audio"):
            begin = float(packet.pts * packet.time_base) - self._layout.origin
            end = begin + float((packet.duration or 0) * packet.time_base)
            if self.kind != "file":
                self._arrived(packet.stream.index, begin, end, health)
            health.last_time = max(health.last_time, end)

    def _arrived(self, index: int, begin: float, end: float, health: _Health) -> None:
        """Live: note where the edge is; a clock that jumps (a restarted sender) interrupts the read."""
        if self.first_time is None:
            self.first_time = begin
        arrived = time.time() - begin
        self.anchor = arrived if self.anchor is None else min(self.anchor, arrived)
        last = health.last_begin.get(index)
        if last is not None and not last - _CLOCK_JUMP_BACK <= begin <= last + _CLOCK_JUMP_AHEAD:
            raise self._interrupted(health, f"the stream's clock jumped from {last:.1f} s to {begin:.1f} s "
                                            "(the sender restarted)")
        health.last_begin[index] = begin
        self.edge = (max(end, self.edge[0]) if self.edge else end, time.monotonic())

    def _interrupted(self, health: _Health, problem: str) -> StreamInterrupted:
        at = health.last_time if health.last_time > float("-inf") else None
        where = f" at {at:.1f} s" if at is not None else ""
        return StreamInterrupted(self._shown, f"stream interrupted{where}: {problem}", at, problem)

    def _decoded(self, packet: av.Packet, health: _Health) -> list:
        try:
            return packet.decode()
        except av.error.FFmpegError as err:
            health.decode_failed(packet.stream.type, err)
            return []

    def _converted(self, convert, frame, *args, health: _Health) -> list[Packet]:
        """The packets ``convert(frame, *args)`` yields; none, noted, when converting the frame fails."""
        try:
            return list(convert(frame, *args))
        except (av.error.FFmpegError, ValueError) as err:
            health.decode_failed(f"{type(frame).__name__} conversion", err)
            return []

    def _cues(self, packet: av.Packet, health: _Health) -> Iterator[TextCue]:
        if packet.pts is None:
            return
        begin = float(packet.pts * packet.time_base) - self._layout.origin
        length = float(packet.duration * packet.time_base) if packet.duration else _DEFAULT_SUB_DURATION
        for subtitle in self._decoded(packet, health):
            speaker, text = _subtitle_text(subtitle)
            if text:
                yield TextCue(self.info.stream, begin, begin + length, text, speaker=speaker, origin="subtitle")

    def _read_duration(self, container) -> float | None:
        read = [container.streams[i] for i in (self._layout.video, self._layout.audio) if i is not None]
        ends = [float((s.start_time or 0) + s.duration) * float(s.time_base) - self._layout.origin
                for s in read if s.duration and s.time_base]
        return max(ends) if ends else self.info.duration


_AVFMT_NOTIMESTAMPS = 0x0080  # libavformat: the format does not need or have timestamps
_RAW_FORMATS = {"h264", "hevc", "h263", "m4v", "mpegvideo", "rawvideo", "mjpeg", "vc1", "av1", "obu", "ivf"}


class _FrameSampler:
    """Times decoded frames, keeps those on the sampling grid, and converts only those."""

    def __init__(self, sid: str, policy: SamplingPolicy, layout: _Layout):
        self._sid = sid
        self._frame_size = policy.frame_size
        self._layout = layout
        self._clock = FrameClock(policy.fps)
        self._anchor = 0.0  # time of the last frame that had a timestamp
        self._since_anchor = -1  # frames since then
        self._sizes: dict[tuple[int, int], tuple[int, int]] = {}
        # one scaler for every frame: a frame's own reformat() sets up a new swscale context (its
        # filters and its thread pool) each time, ~40% of the conversion's CPU; same pixels out
        self._reformatter = VideoReformatter()

    def take(self, frame: av.VideoFrame, start: float) -> Iterator[VideoFrame]:
        """The frame, converted, if it is sampled and not before ``start``."""
        time = self._time(frame)
        if self._clock.keep(time) and time >= start:  # the clock sees frames before start too
            yield VideoFrame(self._sid, time, self._image(frame), keyframe=bool(frame.key_frame))

    def _time(self, frame: av.VideoFrame) -> float:
        if frame.pts is not None and frame.time_base is not None:
            self._anchor = float(frame.pts * frame.time_base) - self._layout.origin
            self._since_anchor = 0
        else:  # no timestamp (raw bitstreams): count frames at the nominal rate
            self._since_anchor += 1
        return self._anchor + self._since_anchor * self._layout.frame_step

    def _image(self, frame: av.VideoFrame) -> np.ndarray:
        key = (frame.width, frame.height)
        if key not in self._sizes:
            self._sizes[key] = scaled_size(frame.width, frame.height, self._layout.sar, self._frame_size)
        width, height = self._sizes[key]
        rgb = self._reformatter.reformat(frame, width=width, height=height, format="rgb24",
                                         interpolation="AREA").to_ndarray()
        # PyAV >= 18.1.1 returns a view over the padded planes (rows wider than width * 3)
        return np.ascontiguousarray(upright(rgb, frame.rotation))


class _Health:
    """What went wrong while reading a file, reported as one warning at the end."""

    def __init__(self) -> None:
        self.failures = 0
        self.decoded = 0  # video and audio frames decoded
        self.first_failure: str | None = None
        self.stopped: str | None = None
        self.last_time = float("-inf")  # end of the latest video/audio packet demuxed, seconds
        self.last_begin: dict[int, float] = {}  # live: start of the latest packet of each stream

    def decode_failed(self, kind: str, err: Exception) -> None:
        self.failures += 1
        if self.first_failure is None:
            self.first_failure = f"{kind} at {self.last_time:.2f} s: {read_problem(err)}"
        log.debug("decode error in %s packet: %s", kind, err)

    def nothing_decoded(self) -> str:
        """Why a file gave nothing at all: the problem of a file whose every packet failed, or that had none."""
        if self.failures:
            return f"no video frame or audio could be decoded ({self.failures} packet(s) failed, first: {self.first_failure})"
        return "holds no video frame or audio sample (empty or corrupt media)"

    def report(self, shown: str, duration: float | None) -> None:
        problems = []
        if self.failures:
            problems.append(f"{self.failures} packet(s) could not be decoded (first: {self.first_failure})")
        if self.stopped:
            problems.append(f"reading stopped early ({self.stopped})")
        if duration is not None and self.last_time > float("-inf") and self.last_time < duration - _SHORTFALL:
            problems.append(f"the media ends at {self.last_time:.2f} s of the {duration:.2f} s the container announces")
        if problems:
            log.warning("%s: %s; the file looks truncated or corrupt, kept what could be decoded",
                        shown, "; ".join(problems))


def _close_late(container, _error) -> None:
    """An abandoned open returned after all: close what it opened."""
    if container is not None:
        container.close()


def _pick(streams):
    """The first decodable stream of ``streams``, the one marked default first; None if none decodes."""
    ordered = sorted(streams, key=lambda s: not s.disposition & av.stream.Disposition.default)
    return next((s for s in ordered if s.codec_context is not None), None)


def _slot_start(time: float, fps: float | None) -> float:
    """Start of the sampling slot holding ``time``: decoding from there keeps the frames a full read keeps."""
    return math.floor(time * fps + 1e-6) / fps if fps else time


def _subtitle_text(subtitle) -> tuple[str | None, str]:
    if isinstance(subtitle, AssSubtitle):
        return parse_ass_dialogue(subtitle.ass.decode("utf-8", "replace"))
    text = getattr(subtitle, "text", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return None, strip_markup(text or "")


def _sample_aspect(video) -> Fraction:
    if video is None:
        return Fraction(1)
    sar = pixel_aspect(video.sample_aspect_ratio)
    return sar if sar != 1 else pixel_aspect(video.codec_context.sample_aspect_ratio)


def _codec_name(streams) -> str | None:
    for stream in streams:
        if stream.codec_context is not None:
            return stream.codec_context.name
    return None


def _creation_time(container, video) -> float | None:
    """UNIX time of media time 0 from ``creation_time`` metadata, when the file has it."""
    sources = [container.metadata] + ([video.metadata] if video is not None else [])
    for metadata in sources:
        value = metadata.get("creation_time")
        if not value:
            continue
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            log.debug("unparseable creation_time %r", value)
    return None

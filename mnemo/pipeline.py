"""Inline ingestion: source -> frame encoder -> surprise segmenter -> store, one event per commit."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from memory.event import Checkpoint, Event, Keyframe, ScreenText, Utterance
from memory.poses import Pose
from memory.segmenter import Segment, SurpriseSegmenter
from memory.store import MemoryStore
from memory.thumbnails import encode_jpeg
from mnemo.config import profile_ref
from mnemo.models import Encoders, blas_threads, torch_threads
from mnemo.runtime.control import STOPPED, IngestControl
from mnemo.runtime.reader import LiveReadStage, ReadStage
from mnemo.runtime.records import IngestReport, PacketBatch  # noqa: F401  (IngestReport: mnemo.pipeline's API)
from mnemo.entities import EntityLinker, EntityStage
from mnemo.segment_channels import ENTITIES_CHANNEL, ENTRIES_CHANNEL, POSE_CHANNEL, EntitySignal, PoseSignal
from mnemo.segment_channels import ENTRIES_STATE_KEY, PEOPLE_STATE_KEY, PeopleSignal, RoomEntrySignal
from mnemo.segment_channels import STATE_KEY as ENTITY_STATE_KEY
from mnemo.captions import CACHE_FILE, CaptionStage, Captioner
from mnemo.ocr import ORIGIN as OCR_ORIGIN, ScreenTextStage
from mnemo.screen_channel import SCREEN_CHANNEL, RememberedReader, ScreenSignal
from mnemo.screen_channel import STATE_KEY as SCREEN_STATE_KEY
from perception.speech.asr import Transcript
from perception.speech.live import LiveOptions
from mnemo.speech import SPEECH_CHANNEL, STATE_KEY, AudioBuffer, SpeechSignal, SpeechStage
from perception.encoders.audio import AudioDescriptor
from perception.encoders.base import l2_normalize
from streams.packets import AUDIO_RATE, AudioChunk, PoseReading, StreamGap, StreamInfo, TextCue, VideoFrame
from streams.errors import SourceError
from streams.live import LiveStream
import ros_bridge  # noqa: F401 - registers the bag source (rosbag:// URIs, .bag, .mcap, ROS 2 bag folders)
from streams.schemes import open_source
from streams.source import Source

logger = logging.getLogger(__name__)

Progress = Callable[[float, "float | None"], None]  # (media seconds done, media duration or None)


@dataclass
class _Observation:
    time: float
    vector: np.ndarray
    image: np.ndarray | None  # dropped for some observations to bound memory


def decoded_frame_size(encoders: Encoders) -> int:
    """The shorter side frames are decoded at: what the encoders, thumbnails and OCR need (detectors see these)."""
    frame_size = max(encoders.frame.frame_size, encoders.profile.ingest.thumbnail_size)
    if encoders.ocr is not None:  # OCR reads frames at the size they were decoded at
        frame_size = max(frame_size, encoders.profile.ocr.frame_size)
    return frame_size


class Ingestor:
    """Ingests sources into one memory with one set of encoders; a plain class a runtime can wrap."""

    def __init__(self, store: MemoryStore, encoders: Encoders):
        self.store = store
        self.encoders = encoders
        self.profile = encoders.profile
        frame_size = decoded_frame_size(encoders)
        self.speech = self.profile.speech
        self.policy = dataclasses.replace(self.profile.sampling, frame_size=frame_size, video=True,
                                          audio=self.speech.enabled)
        self.linker = EntityLinker(store)
        # keyframe captions from a vision endpoint (profile section captioner), cached in the memory folder
        self.captioner = (Captioner(self.profile.captioner, store.directory / CACHE_FILE)
                          if self.profile.captioner.enabled else None)
        # the segmenter fuses an online speech channel (speaker changes) computed from the audio
        self.speech_surprise = SPEECH_CHANNEL in self.profile.segmenter.channels and self.speech.enabled
        # live recognition (speech.live_asr): called with each transcript as it becomes final, and
        # the media time the audio has reached then; events are stored later, when they close
        self.on_transcript: Callable[[Transcript, float], None] | None = None
        # called with (time, vector, side readings) of every observation the segmenter takes: what it
        # decides from, for benches that replay the segmenter with other settings
        self.on_observation: Callable[[float, np.ndarray, dict[str, float]], None] | None = None

    def ingest(self, uri: str, progress: Progress | None = None,
               trace: list[tuple[float, float]] | None = None, control: IngestControl | None = None) -> IngestReport:
        """Ingest one source, resuming from its checkpoint; a finished stream is skipped.

        ``trace``, when given, receives (media time, surprise z-score) of every observation.
        ``control`` stops it from another thread or a signal handler and sets how live streams
        are read; a live stream (a URL or device without a duration) continues its earlier
        sessions on the wall clock, and everything it showed is committed however it ends.
        """
        report = IngestReport(uri=uri)
        started = time.perf_counter()
        control = control or IngestControl()
        # with speech on, audio-only files are sources too (events are cut on the audio)
        require_video = not self.speech.enabled
        with open_source(uri, self.policy, require_video=require_video, live=control.live) as source, \
                _leave_a_core_for_decoding():
            if not (source.info.has_video or source.info.has_audio):
                raise SourceError(uri, "has no video or audio stream: nothing to remember")
            if isinstance(source, LiveStream):
                self._continue_live(source)
            run = self.begin(uri, source.info, report, progress, trace)
            if run is None:
                return report
            try:
                run.run(source, control)
            except SourceError:  # a file that fails before its first commit leaves no empty stream behind
                self.store.forget_empty_stream(report.stream)
                raise
        report.wall_seconds = time.perf_counter() - started
        return report

    def _continue_live(self, source: LiveStream) -> None:
        """A live stream seen before starts a new session on its first session's clock, after what is stored."""
        checkpoint = self.store.checkpoint(source.info.stream)
        if checkpoint is None:
            return
        stored = next((s["info"] for s in self.store.streams() if s["id"] == source.info.stream), {})
        wall_clock = stored.get("wall_clock")
        source.continue_after(float(wall_clock) if wall_clock is not None else None, checkpoint.position)
        # never resumed mid-event: the time between the sessions is a gap, not part of an event
        self.store.set_checkpoint(Checkpoint(source.info.stream, checkpoint.position, b"", done=False))

    def begin(self, uri: str, info: StreamInfo, report: IngestReport, progress: Progress | None = None,
              trace: list | None = None) -> "_StreamRun | None":
        """Register the stream and return its run (fed batch by batch), None when it is already done."""
        report.stream = info.stream
        checkpoint = self.store.checkpoint(report.stream)
        if checkpoint is not None and checkpoint.done:
            report.skipped = True
            logger.info("%s: already ingested as stream %s; skipped", uri, report.stream)
            return None
        self.store.add_stream(report.stream, uri, _info_dict(info, self.encoders))
        self.linker.reconcile(report.stream)  # a crash between an event and its links
        return _StreamRun(self, info, checkpoint, report, progress, trace)

    def read_start(self, position: float) -> float:
        """Where to start reading to resume at ``position``: audio chunks lie on a grid."""
        if not self.speech.enabled or position <= 0:
            return position
        chunk = self.policy.audio_chunk
        start = position
        if self.speech_surprise:  # speech readings look back one window
            start -= SpeechSignal(self.speech).window_s
        if self.speech.asr is not None and self.speech.live_asr is not None:  # the window holding the position
            start = min(start, LiveOptions(**dict(self.speech.live_asr)).read_from(position))
        return max(0.0, np.floor(start / chunk + 1e-9) * chunk)


class _StreamRun:
    """The state of one stream's ingest: pending observations and cues of the event being formed."""

    def __init__(self, ingestor: Ingestor, info: StreamInfo, checkpoint: Checkpoint | None,
                 report: IngestReport, progress: Progress | None, trace: list | None = None):
        self.ing = ingestor
        self.cfg = ingestor.profile.ingest
        self.info = info
        self.report = report
        self.progress = progress
        self.trace = trace
        seg_cfg = ingestor.profile.segmenter
        if checkpoint is not None and checkpoint.state:
            self.segmenter = SurpriseSegmenter.from_state(seg_cfg, checkpoint.state)
            self.position = checkpoint.position
            report.resumed_from = checkpoint.position
            logger.info("%s: resuming at %.2f s", report.uri, checkpoint.position)
        else:
            self.segmenter = SurpriseSegmenter(seg_cfg)
            self.position = 0.0
        self.pending: deque[_Observation] = deque()
        self.cues: list[TextCue] = []
        self.speech = SpeechStage(ingestor.speech, ingestor.store.state(STATE_KEY)) if ingestor.speech.enabled else None
        self.waiting: deque[Segment] | None = None  # with live recognition: events waiting for their words
        if self.speech is not None and self.speech.live is not None:
            self.speech.live.reset(self.position)
            self.waiting = deque()
        self.audio = AudioBuffer(self.position)
        self.audio_only = not self.info.has_video
        self.audio_encoder = AudioDescriptor() if self.audio_only else None
        self.audio_step = 1.0 / (ingestor.policy.fps or 2.0)  # observation period of audio-only streams
        # the segmenter's speech channel: observations wait for the audio just after them
        self.signal = SpeechSignal(ingestor.speech) if ingestor.speech_surprise and self.info.has_audio else None
        self.held: deque[_Observation] = deque()
        entities = _with_source_detectors(ingestor.profile.entities, info)
        self.entities = (EntityStage(entities, report.stream, ingestor.encoders.frame, ingestor.linker)
                         if entities.enabled and not self.audio_only else None)
        ocr_on = ingestor.encoders.ocr is not None and not self.audio_only
        # one reader for the OCR stage and the screen channel: the stage reuses the channel's reads of a screen
        reader = RememberedReader(ingestor.encoders.ocr, ingestor.profile.ocr.same_frame) if ocr_on else None
        self.screen = _screen_stage(ingestor, report.stream, checkpoint, reader) if ocr_on else None
        self.captions = (CaptionStage(ingestor.captioner, report.stream)
                         if ingestor.captioner is not None and not self.audio_only else None)
        self.entity_signal = self._entity_signal(checkpoint)
        self.screen_signal = self._screen_signal(checkpoint, reader)
        self.pose_signal = self._pose_signal()
        self.entries_signal = self._entries_signal(checkpoint)
        self.people_signal = self._people_signal(checkpoint)
        if self.entities is not None and any(s is not None for s in (self.entity_signal, self.entries_signal,
                                                                     self.people_signal)):
            self.entities.on_detections = self._on_detections
        self.last_time: float | None = None
        self.stages = {"decode": 0.0, "encode": 0.0, "segment": 0.0, "store": 0.0}

    def _entity_signal(self, checkpoint: Checkpoint | None) -> EntitySignal | None:
        """The segmenter's entities channel, fed by the entity stage (None when either is off)."""
        seg = self.ing.profile.segmenter
        if self.entities is None or not seg.channels.get(ENTITIES_CHANNEL):
            return None
        state = self.ing.store.state(self._entity_state_key) if checkpoint is not None and checkpoint.state else None
        return EntitySignal(seg.entity_window_s, 1.0 / self.ing.profile.entities.fps, state,
                            seg.entity_labels, seg.entity_arrivals)

    def _entries_signal(self, checkpoint: Checkpoint | None) -> RoomEntrySignal | None:
        """The segmenter's entries channel (people coming to the camera's room): the entity stage's person boxes
        placed from the stored pose log with its camera model, against the map's areas (None when any is missing)."""
        seg = self.ing.profile.segmenter
        if self.entities is None or not seg.channels.get(ENTRIES_CHANNEL):
            return None
        from memory.perceived import areas

        track, known = self.ing.store.poses(self.report.stream), areas(self.ing.store)
        if self.entities.camera is None or not len(track) or not known:
            logger.info("%s: the entries channel needs a camera model, a stored pose log and map areas: it reads "
                        "nothing", self.report.uri)
            return None
        state = self.ing.store.state(self._entries_state_key) if checkpoint is not None and checkpoint.state else None
        return RoomEntrySignal(track, known, self.entities.camera, seg.entity_window_s,
                               1.0 / self.ing.profile.entities.fps, seg.entry_margin_m, state=state,
                               leaving_m=seg.entry_leaving_m)

    def _people_signal(self, checkpoint: Checkpoint | None) -> PeopleSignal | None:
        """The people reading of the segmenter's still-view rescue: the entity stage's person boxes (None when
        either is off)."""
        seg = self.ing.profile.segmenter
        if self.entities is None or seg.still_spread is None:
            return None
        state = self.ing.store.state(self._people_state_key) if checkpoint is not None and checkpoint.state else None
        return PeopleSignal(seg.entity_window_s, 1.0 / self.ing.profile.entities.fps, state)

    def _on_detections(self, when: float, detections: list) -> None:
        """An analysed frame's detections, to the side channels that read them (entities, entries, people)."""
        if self.people_signal is not None:
            self.people_signal.add(when, detections)
        if self.entity_signal is not None:
            self.entity_signal.add(when, detections)
        if self.entries_signal is not None:
            self.entries_signal.add(when, detections, self.entities.size if self.entities is not None else None)

    def _screen_signal(self, checkpoint: Checkpoint | None, reader: RememberedReader | None) -> ScreenSignal | None:
        """The segmenter's screen-text channel: OCR of sampled frames (None without OCR or the channel)."""
        seg = self.ing.profile.segmenter
        if not seg.channels.get(SCREEN_CHANNEL):
            return None
        if reader is None:
            logger.info("%s: the screen channel needs OCR (a profile ocr section) and video: it reads nothing",
                        self.report.uri)
            return None
        state = self.ing.store.state(self._screen_state_key) if checkpoint is not None and checkpoint.state else None
        return ScreenSignal(reader, self.ing.profile.ocr.same_frame, seg.screen_interval_s, state)

    def _pose_signal(self) -> PoseSignal | None:
        """The segmenter's pose channel (area changes) and turn gate (the camera turning in place), when the
        stream's poses and a map were stored before."""
        seg = self.ing.profile.segmenter
        if not seg.channels.get(POSE_CHANNEL) and seg.turn_gate is None:
            return None
        from memory.perceived import areas

        track, known = self.ing.store.poses(self.report.stream), areas(self.ing.store)
        if not len(track) or not known:
            logger.info("%s: no pose log or map areas stored for the stream: the pose channel reads nothing",
                        self.report.uri)
            return None
        return PoseSignal(track, known)

    @property
    def _entity_state_key(self) -> str:
        return f"{ENTITY_STATE_KEY}:{self.report.stream}"

    @property
    def _entries_state_key(self) -> str:
        return f"{ENTRIES_STATE_KEY}:{self.report.stream}"

    @property
    def _people_state_key(self) -> str:
        return f"{PEOPLE_STATE_KEY}:{self.report.stream}"

    @property
    def _screen_state_key(self) -> str:
        return f"{SCREEN_STATE_KEY}:{self.report.stream}"

    def _signals(self) -> list:
        """The side channels' sources that observations wait for (speech, entities, pose, screen, entries)."""
        return [s for s in (self.signal, self.entity_signal, self.pose_signal, self.screen_signal, self.entries_signal,
                            self.people_signal) if s is not None]

    def run(self, source: Source, control: IngestControl | None = None) -> None:
        """Read, encode and commit the whole source in this process (the inline runtime).

        Stopped through ``control``, a file keeps its checkpoint (a re-run resumes there).
        """
        if isinstance(source, LiveStream):
            self._run_live(source, control or IngestControl())
            return
        reader = ReadStage(source, self.position, self._read_from(), self.cfg.batch_size, self.cfg.prefetch)
        try:
            for batch in reader:
                if control is not None and control.stopping:
                    self.report.ending = STOPPED
                    self.report.end_reason = (f"{control.reason} at {self.position:.1f} s (committed); "
                                              "run the same command again to resume")
                    return
                self.feed(batch, self._encode(batch.frames))
            self._finish()
        finally:
            reader.close()
            self.stages["decode"] = reader.busy
            self._report_stages()

    def _run_live(self, source: LiveStream, control: IngestControl) -> None:
        """A live stream at its own pace: gaps close the open event; however it ends, all is committed."""
        self.report.live = True
        reader = LiveReadStage(source, self.position, self.cfg.batch_size, control.live.max_lag)
        drain_until = None  # once stopping: analyse what was read until then, at most
        try:
            for item in reader:
                if control.stopping and drain_until is None:
                    source.stop(control.reason or "stopped")
                    drain_until = time.monotonic() + _DRAIN_S
                if drain_until is not None and time.monotonic() > drain_until:
                    break
                if isinstance(item, StreamGap):
                    self._bridge_gap(item)
                else:
                    self.feed(item, self._encode(item.frames))
                self._live_status(source, reader, control)
            self._finish()
        finally:
            reader.close()
            self._live_report(source, reader, control)
            self.stages["decode"] = reader.busy
            self._report_stages()

    def _live_status(self, source: LiveStream, reader: LiveReadStage, control: IngestControl) -> None:
        """Tell the caller where the live ingest stands; store the stream's clock once it is known."""
        status = control.status
        status.state, status.lag, status.dropped = source.state, reader.lag, reader.dropped
        status.gaps, status.media_time = len(source.gaps), self.last_time
        if self.info.wall_clock is None and source.info.wall_clock is not None:
            self.info = dataclasses.replace(self.info, wall_clock=source.info.wall_clock)
            self._store_stream_info(source)
        if self.progress is not None:
            self.progress(self.last_time if self.last_time is not None else self.position, None)

    def _store_stream_info(self, source: LiveStream) -> None:
        info = _info_dict(self.info, self.ing.encoders)
        info["extra"]["gaps"] = [[g.time, g.end, g.reason] for g in source.gaps]
        self.ing.store.add_stream(self.report.stream, self.report.uri, info)

    def _bridge_gap(self, gap: StreamGap) -> None:
        """The stream dropped and came back: close the open event where the media stopped, start afresh."""
        if self.held:
            self._release(final=True)
        segments = self.segmenter.flush(gap.time if self.last_time is not None else None)
        if self.waiting is not None:
            for transcript in self.speech.finish_hearing():
                if self.ing.on_transcript is not None:
                    self.ing.on_transcript(transcript, gap.time)
            self._store([*self.waiting, *segments], done=False)
            self.waiting.clear()
            self.speech.live.reset(gap.end)
        else:
            self._store(segments, done=False)
        self.segmenter = SurpriseSegmenter(self.ing.profile.segmenter)
        if self.signal is not None:
            self.signal = SpeechSignal(self.ing.speech)
        if self.entity_signal is not None:
            old = self.entity_signal
            self.entity_signal = EntitySignal(old.window_s, old.frame_s, labels=old.labels, arrivals=old.arrivals)
        if self.entries_signal is not None:
            old = self.entries_signal
            self.entries_signal = RoomEntrySignal(old.track, old.areas, old.camera, old.window_s, old.counts.frame_s,
                                                  old.margin_m, old.labels, against_most=old.counts.against_most,
                                                  leaving_m=old.leaving_m, match_m=old.match_m)
        if self.people_signal is not None:
            self.people_signal = PeopleSignal(self.people_signal.window_s, self.people_signal.counts.frame_s)
        if self.screen_signal is not None:
            self.screen_signal = ScreenSignal(self.screen_signal.reader, self.screen_signal.same_frame,
                                              self.screen_signal.interval_s)
        self.pending.clear()
        self.audio = AudioBuffer(gap.end)
        self.position = gap.end
        if self.audio_only:
            self.last_time = None
        self.report.gaps.append((gap.time, gap.end, gap.reason))

    def _live_report(self, source: LiveStream, reader: LiveReadStage, control: IngestControl) -> None:
        report = self.report
        source.refine_clock()
        if source.info.wall_clock is not None:
            self.info = dataclasses.replace(self.info, wall_clock=source.info.wall_clock)
        report.ending = source.ending or STOPPED
        report.end_reason = source.reason or control.reason
        report.dropped, report.stale = reader.dropped, reader.stale
        if reader.audio_dropped:
            logger.warning("%s: %.1f s of audio left out: the analysis stalled", report.uri, reader.audio_dropped)
        if reader.lags:
            lags = np.asarray(reader.lags)
            report.lag = {"p50": float(np.percentile(lags, 50)), "p99": float(np.percentile(lags, 99)),
                          "max": float(lags.max())}
        if source.gaps or self.info.wall_clock is not None:
            self._store_stream_info(source)

    def feed(self, batch: PacketBatch, vectors: np.ndarray | None) -> None:
        """Take one batch: its audio and cues first, then its frames with their encoded ``vectors``."""
        poses = []
        for packet in batch.others:
            if isinstance(packet, AudioChunk):
                self._add_audio(packet)
            elif isinstance(packet, PoseReading):
                poses.append(Pose(self.report.stream, packet.time, packet.x, packet.y, packet.yaw, packet.frame))
            else:
                self._add_cue(packet)
        if poses:  # the pose log (memory/poses.py), one transaction per batch; re-read poses replace themselves
            self.ing.store.add_poses(poses)
        if batch.frames:
            self._observe_frames(batch.frames, vectors)

    def finish(self) -> None:
        """Flush the event being formed, mark the stream done and fill the report's stage times."""
        try:
            self._finish()
        finally:
            self._report_stages()

    def _report_stages(self) -> None:
        if self.speech is not None:
            self.stages.update({f"speech.{part}": t for part, t in self.speech.timings.items()})
        if self.signal is not None:
            self.stages["speech.surprise"] = self.signal.seconds
        if self.screen_signal is not None:
            self.stages["screen"] = self.screen_signal.seconds
            logger.info("%s: the screen channel read %d frames in %.1f s", self.report.uri,
                        self.screen_signal.read_frames, self.screen_signal.seconds)
        if self.screen is not None:
            self.stages["ocr"] = self.screen.seconds
            logger.info("%s: OCR read %d frames in %.1f s (%d screen changes over ocr.frames_per_event left unread)",
                        self.report.uri, self.screen.read_frames, self.screen.seconds, self.screen.skipped_frames)
        if self.captions is not None:
            self.stages["captions"] = self.captions.seconds
            self.report.captions = self.captions.counts.as_dict()
            logger.info("%s: captions: %d stored, %d from the cache, %d requests, %d keyframes skipped %s",
                        self.report.uri, self.captions.counts.stored, self.captions.counts.cached,
                        self.captions.counts.asked, self.captions.counts.skipped, dict(self.captions.counts.reasons))
        if self.entities is not None:  # detection, then tracking + re-identification + registry
            self.stages["entities"] = self.stages.get("entities.detect", 0.0) + self.stages.get("entities.track", 0.0)
        self.report.stages = dict(self.stages)

    # -- steps -------------------------------------------------------------------------------

    def _read_from(self) -> float:
        """Where to start reading: audio chunks lie on a grid, so from the chunk holding the position."""
        return self.ing.read_start(self.position)

    def _add_audio(self, chunk: AudioChunk) -> None:
        if self.signal is not None:
            self.signal.add(chunk.time, chunk.samples)
        if chunk.end > self.position:
            self.audio.add(chunk.time, chunk.samples)
            if self.audio_only:
                self._observe_audio()
        if self.held:
            self._release()
        if self.waiting is not None:
            self._hear(chunk)

    def _hear(self, chunk: AudioChunk) -> None:
        """Live recognition: pass on the transcripts made final, store the events now complete."""
        for transcript in self.speech.hear(chunk):
            if self.ing.on_transcript is not None:
                self.ing.on_transcript(transcript, chunk.end)
        while self.waiting and self.waiting[0].end <= self.speech.live.final_until:
            self._store([self.waiting.popleft()], done=False)

    def _observe_audio(self) -> None:
        """Audio-only streams: one observation per period of buffered audio, on an absolute grid."""
        held_end = self.audio.start + len(self.audio.samples) / AUDIO_RATE
        next_time = self._next_audio_time()
        while next_time + self.audio_step <= held_end + 1e-9:
            offset = int(round((next_time - self.audio.start) * AUDIO_RATE))
            window = self.audio.samples[offset: offset + int(round(self.audio_step * AUDIO_RATE))]
            t0 = time.perf_counter()
            vector = self.audio_encoder.encode([window])[0]
            self.stages["encode"] += time.perf_counter() - t0
            self._observe_vector(next_time, vector, None)
            self.report.frames += 1
            next_time += self.audio_step
        if self.progress is not None and self.last_time is not None:
            self.progress(self.last_time, self.info.duration)

    def _next_audio_time(self) -> float:
        if self.last_time is None:
            return float(np.ceil(self.position / self.audio_step - 1e-9) * self.audio_step)
        return self.last_time + self.audio_step

    def _add_cue(self, cue: TextCue) -> None:
        if (cue.time + cue.end) / 2 >= self.position and cue.text.strip():
            self.cues.append(cue)

    def _encode(self, frames: list[VideoFrame]) -> np.ndarray | None:
        if not frames:
            return None
        t0 = time.perf_counter()
        vectors = self.ing.encoders.frame.encode_frames([f.image for f in frames])
        self.stages["encode"] += time.perf_counter() - t0
        return vectors

    def _observe_frames(self, frames: list[VideoFrame], vectors: np.ndarray) -> None:
        if self.entities is not None:
            t1 = time.perf_counter()
            self.entities.observe(frames)
            self.stages["entities.detect"] = self.stages.get("entities.detect", 0.0) + time.perf_counter() - t1
        if self.screen_signal is not None:
            self.screen_signal.observe(frames)
        for frame, vector in zip(frames, vectors):
            self._observe(frame, vector)
        self.report.frames += len(frames)
        if self.progress is not None:
            self.progress(frames[-1].time, self.info.duration)

    def _observe(self, frame: VideoFrame, vector: np.ndarray) -> None:
        self._observe_vector(frame.time, vector, frame.image)

    def _observe_vector(self, when: float, vector: np.ndarray, image: np.ndarray | None) -> None:
        self.last_time = when
        if not self._signals():
            self._segment(_Observation(when, vector, image), None)
            return
        self.held.append(_Observation(when, vector, image))
        self._release()

    def _release(self, final: bool = False) -> None:
        """Observations held for the side channels (speech: its audio; entities: the detections after
        it) go to the segmenter once every channel can read them."""
        signals = self._signals()
        while self.held and (final or all(s.ready(self.held[0].time, self.last_time) for s in signals)):
            obs = self.held.popleft()
            readings: dict[str, float] = {}
            for signal in signals:
                readings.update(signal.read(obs.time))
            self._segment(obs, readings)

    def _segment(self, obs: _Observation, signals: dict[str, float] | None) -> None:
        when, vector = obs.time, obs.vector
        self.pending.append(obs)
        self._bound_images()
        t0 = time.perf_counter()
        segments = self.segmenter.push(when, vector, signals)
        self.stages["segment"] += time.perf_counter() - t0
        if self.ing.on_observation is not None:
            self.ing.on_observation(when, vector, dict(signals or {}))
        if self.trace is not None:
            self.trace.append((when, self.segmenter.last_surprise))
        if segments:
            self._commit(segments, done=False)

    def _bound_images(self) -> None:
        """Keep at most max_pending_images frames in RAM by thinning every other held image."""
        held = [o for o in self.pending if o.image is not None]
        if len(held) > self.cfg.max_pending_images:
            for obs in held[1::2]:
                obs.image = None

    def _finish(self) -> None:
        end_time = None
        if self.info.duration and self.last_time is not None and self.info.duration > self.last_time:
            end_time = self.info.duration
        if self.held:
            self._release(final=True)
        t0 = time.perf_counter()
        segments = self.segmenter.flush(end_time)
        self.stages["segment"] += time.perf_counter() - t0
        if self.waiting is not None:
            for transcript in self.speech.finish_hearing():
                if self.ing.on_transcript is not None:
                    self.ing.on_transcript(transcript, self.last_time or self.position)
        self._commit(segments, done=True)

    def _commit(self, segments: Sequence[Segment], done: bool) -> None:
        """Store the segments' events, or with live recognition, hold them until their words are final."""
        if self.waiting is not None:
            if not done:
                self.waiting.extend(segments)
                return
            segments = [*self.waiting, *segments]
            self.waiting.clear()
        self._store(segments, done)

    def _store(self, segments: Sequence[Segment], done: bool) -> None:
        """Store each segment's event with the checkpoint right after it, one transaction each."""
        t0, speech_before, entity_seconds = time.perf_counter(), self.stages.get("speech", 0.0), 0.0
        ocr_before = self._text_seconds()
        for number, seg in enumerate(segments):
            last = done and number == len(segments) - 1
            event = self._event(seg)
            if last and self.speech is not None:  # the diariser's end-of-stream pass relabels the stream
                self.speech.finish_stream(self.ing.store, event)
            checkpoint = Checkpoint(self.report.stream, seg.end, b"" if last else seg.state, done=last)
            state = {STATE_KEY: self.speech.state()} if self.speech is not None and self.speech.diarizer else {}
            if self.entity_signal is not None:
                state[self._entity_state_key] = self.entity_signal.state(seg.end)
            if self.entries_signal is not None:
                state[self._entries_state_key] = self.entries_signal.state(seg.end)
            if self.people_signal is not None:
                state[self._people_state_key] = self.people_signal.state(seg.end)
            if self.screen_signal is not None:
                state[self._screen_state_key] = self.screen_signal.state(seg.end)
            self.ing.store.add_event(event, checkpoint, state or None)
            self.ing.linker.link(event)
            if self.entities is not None:
                t1 = time.perf_counter()
                self.entities.committed(event)
                spent = time.perf_counter() - t1
                self.stages["entities.track"] = self.stages.get("entities.track", 0.0) + spent
                entity_seconds += spent
            self.report.media_seconds += seg.end - self.position
            self.report.events += 1
            self.position = seg.end
        if done and not segments:  # nothing new since the last checkpoint
            self.ing.store.set_checkpoint(Checkpoint(self.report.stream, self.position, b"", done=True))
        ocr_seconds = self._text_seconds() - ocr_before
        self.stages["store"] += (time.perf_counter() - t0 - (self.stages.get("speech", 0.0) - speech_before)
                                 - entity_seconds - ocr_seconds)

    def _text_seconds(self) -> float:
        """Seconds spent reading screen text and waiting for captions (not the store's time)."""
        return ((self.screen.seconds if self.screen is not None else 0.0)
                + (self.captions.seconds if self.captions is not None else 0.0))

    def _event(self, seg: Segment) -> Event:
        count = seg.end_index - seg.start_index
        observations = [self.pending.popleft() for _ in range(count)]
        vectors = np.stack([o.vector for o in observations])
        pooled = l2_normalize(vectors.mean(axis=0))
        event = Event(stream=self.report.stream, start=seg.start, end=seg.end, surprise=float(seg.surprise))
        if self.audio_only:
            event.vectors[f"audio/{self.audio_encoder.space}"] = pooled
        else:
            event.vectors[self.ing.encoders.image_key] = pooled
        chosen = self._keyframe_observations(observations, pooled)
        size = self.cfg.thumbnail_size
        event.keyframes = [Keyframe(o.time, encode_jpeg(_shrink(o.image, size), self.cfg.jpeg_quality)) for o in chosen]
        event.utterances = self._utterances(seg.end)
        event.screen_text = self._screen_text(observations, chosen[0] if chosen else None)
        if self.captions is not None:  # what a vision model saw on the keyframes, after the screen's lines
            event.screen_text += self.captions.describe(event.keyframes)
        event.text = "\n".join([*(u.text for u in event.utterances if u.text), *(s.text for s in event.screen_text)])
        if event.text and self.ing.encoders.text is not None:
            event.vectors[self.ing.encoders.text_key] = self.ing.encoders.text.embed([event.text])[0]
        return event

    def _screen_text(self, observations: list[_Observation], main: _Observation | None) -> list[ScreenText]:
        """Lines first read on screen in the event (OCR on), from its frames at the decoded size."""
        if self.screen is None:
            return []
        shown = [(o.time, o.image) for o in observations if o.image is not None]
        return self.screen.read(shown, None if main is None else (main.time, main.image))

    def _keyframe_observations(self, observations: list[_Observation], pooled: np.ndarray) -> list[_Observation]:
        """The observation nearest the event's mean first, then the most different ones (in time order)."""
        held = [o for o in observations if o.image is not None]
        if not held:
            return []
        vectors = np.stack([o.vector for o in held])
        chosen = [int(np.argmax(vectors @ pooled))]
        while len(chosen) < min(self.cfg.keyframes_per_event, len(held)):
            nearest = (vectors @ vectors[chosen].T).max(axis=1)
            candidate = int(np.argmin(nearest))
            if nearest[candidate] > 0.95:  # the rest look the same
                break
            chosen.append(candidate)
        first, rest = chosen[0], sorted(chosen[1:], key=lambda i: held[i].time)
        return [held[i] for i in [first, *rest]]

    def _take_cues(self, end: float) -> list[TextCue]:
        taken = [c for c in self.cues if (c.time + c.end) / 2 < end]
        self.cues = [c for c in self.cues if (c.time + c.end) / 2 >= end]
        return taken

    def _utterances(self, end: float) -> list[Utterance]:
        """Speech of the span ending at ``end``: subtitles, and with speech on, voices and ASR."""
        cues = self._take_cues(end)
        if self.speech is None:
            return [Utterance(c.stream, c.time, c.end, " ".join(c.text.split()), c.speaker, c.origin) for c in cues]
        t0 = time.perf_counter()
        start, samples = self.audio.take(end)
        utterances = self.speech.process(self.report.stream, samples, start, cues)
        self.stages["speech"] = self.stages.get("speech", 0.0) + time.perf_counter() - t0
        return utterances


_DRAIN_S = 2.0  # seconds a stopped live ingest goes on analysing what was already read


@contextlib.contextmanager
def _leave_a_core_for_decoding() -> Iterator[None]:
    """While decoding runs in its own threads: torch gets one thread fewer than the machine has,
    BLAS one thread (its calls here are small; a pool only spins against the decoder)."""
    with torch_threads((os.cpu_count() or 2) - 1), blas_threads(1):
        yield


def _screen_stage(ingestor: Ingestor, stream: str, checkpoint: Checkpoint | None,
                  reader: RememberedReader) -> ScreenTextStage:
    """The stream's OCR stage; a resumed stream starts with the lines of its last event that had any."""
    on_screen: list[str] = []
    if checkpoint is not None:
        lines = [line for line in ingestor.store.screen_text(stream=stream) if line.origin == OCR_ORIGIN]
        last = max((line.event_id or 0 for line in lines), default=None)
        on_screen = [line.text for line in lines if line.event_id == last]
    return ScreenTextStage(ingestor.profile.ocr, reader, stream, on_screen)


def _with_source_detectors(config, info: StreamInfo):
    """The profile's entities section plus the detectors a source brings (a robot's detection topic:
    ``info.extra["detectors"]``, name -> options), so that its boxes take the one perception path."""
    brought = dict(info.extra.get("detectors") or {})
    if not brought:
        return config
    names = tuple(config.detectors) + tuple(n for n in brought if n not in config.detectors)
    return dataclasses.replace(config, detectors=names, detector_options={**config.detector_options, **brought})


def _shrink(image: np.ndarray, short_side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if min(h, w) <= short_side:
        return image
    scale = short_side / min(h, w)
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def _info_dict(info: StreamInfo, encoders: Encoders) -> dict:
    data = dataclasses.asdict(info)
    data["profile"] = profile_ref(encoders.profile)
    data["spaces"] = encoders.spaces
    return data

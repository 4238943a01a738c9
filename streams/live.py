"""Live streams (network URLs, capture devices) that end, drop and come back.

A live source's media time runs on the wall clock: media time 0 is the UNIX time in
``info.wall_clock`` and every connection is placed where it arrived, so a reconnect leaves a
visible gap (a :class:`StreamGap` between the packets) instead of restarting time at zero. A
connection whose clock carries on from the last one (an HTTP server that came back, an RTSP
server that kept its clock) keeps the old mapping, and packets already delivered are dropped,
so nothing is delivered twice.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from streams.errors import SourceError, StreamInterrupted
from streams.packets import AudioChunk, Packet, StreamGap, TextCue, VideoFrame
from streams.source import Source

log = logging.getLogger(__name__)

_CLOSE_WAIT = 0.5  # seconds close() waits for a read in progress before leaving the reader to close
_SAME_CLOCK_SLACK = 2.0  # seconds a new connection's clock may differ from the old one and still continue it
_MIN_STEP = 1e-3  # seconds between the last packet before a gap and the first after it, at least
_SETTLE_S = 1.0  # seconds a new connection's packets are held while its clock is placed on the wall clock


@dataclass(frozen=True)
class LiveOptions:
    """How a live stream is read: reconnection, stall detection and the lag allowed."""

    reconnect: bool = True  # reconnect when the stream drops or ends (network URLs and devices)
    reconnect_for: float = 60.0  # seconds of failed attempts before giving up (math.inf: never)
    attempts: int | None = None  # failed attempts in a row before giving up (None: only reconnect_for)
    backoff: float = 0.5  # seconds before the first attempt, doubled after each failure ...
    max_backoff: float = 8.0  # ... up to this
    stall: float = 5.0  # seconds without data that count as a drop
    max_lag: float = 2.0  # seconds behind the live edge analysis may fall before frames are thinned

    def __post_init__(self) -> None:
        for name in ("reconnect_for", "backoff", "max_backoff", "stall", "max_lag"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
                raise ValueError(f"LiveOptions.{name} = {value!r}: expected seconds > 0")
        if self.max_backoff < self.backoff:
            raise ValueError(f"LiveOptions.max_backoff = {self.max_backoff!r}: expected >= backoff ({self.backoff})")
        if self.attempts is not None and not (isinstance(self.attempts, int) and self.attempts >= 1):
            raise ValueError(f"LiveOptions.attempts = {self.attempts!r}: expected None or an integer >= 1")


@dataclass
class _Outage:
    """A drop being reconnected: when it began, the wait before the next attempt, the attempts failed."""

    began: float  # monotonic time the stream dropped
    delay: float  # seconds before the next attempt
    failures: int = 0  # attempts that failed: no connection, or a connection that delivered nothing


@dataclass
class _Mapping:
    """How one connection's media time maps onto the stream's: ``out = conn + offset``."""

    offset: float
    origin: float  # the connection's container start time (its raw clock = conn time + origin)
    first: float | None = None  # first mapped time delivered from it


class LiveStream(Source):
    """A source without an end, read by the live ingest path at its own pace (``LiveReadStage``):
    a network stream or device (:class:`LiveSource`), a ROS node's topics (``ros_bridge.live``).

    Its packets carry media time; a :class:`StreamGap` between them closes the open event. ``ending``
    ("ended", "lost", "stopped") and ``reason`` say how reading ended; ``state`` is shown while it runs.
    """

    gaps: list[StreamGap]
    ending: str | None
    reason: str | None
    state: str

    @abc.abstractmethod
    def edge(self) -> float | None:
        """Media time of the live edge now (None before anything arrived)."""

    @abc.abstractmethod
    def stop(self, reason: str = "stopped") -> None:
        """End reading soon (from any thread or a signal handler)."""

    @abc.abstractmethod
    def continue_after(self, wall_clock: float | None, position: float) -> None:
        """Place this session after an earlier session of the stream (media time 0 at ``wall_clock``)."""

    def refine_clock(self) -> None:
        """Update ``info.wall_clock`` once reading is over (a no-op where it is fixed from the start)."""


class LiveSource(LiveStream):
    """A live AVSource that reconnects with backoff and keeps media time on the wall clock.

    ``connect()`` opens a new connection (an AVSource); ``first`` is the one already open.
    ``ending`` says how reading ended ("ended", "lost", "stopped") and ``reason`` why.
    """

    def __init__(self, first, connect: Callable[[], object], options: LiveOptions):
        self.options = options
        self.uri = first.info.uri
        self._connect = connect
        self._conn = first
        self.wall_clock: float | None = None  # UNIX time of media time 0, fixed by the first packet
        self.position = 0.0  # media time already stored for this stream (a new session starts after it)
        self.info = dataclasses.replace(first.info, duration=None,
                                        extra={**first.info.extra, "live": True})
        self.gaps: list[StreamGap] = []
        self.reconnects = 0
        self.ending: str | None = None
        self.reason: str | None = None
        self.state = "connected"  # or "reconnecting (attempt N)", "ended"
        self._mapping: _Mapping | None = None  # the current connection's
        self._mapping_before: _Mapping | None = None  # the last connection's, while reconnecting
        self._last_raw: tuple[float, float] | None = None  # (raw media time, UNIX time) of the last data
        self._gap_reason: str | None = None  # why the last connection dropped
        self._outage: _Outage | None = None  # while reconnecting, until a connection delivers a packet
        self._first = None  # the session's first connection, while its anchor is being refined
        self._last: dict[type, float] = {}  # end of the last packet delivered, per kind
        self._edge: tuple[float, float] | None = None  # (mapped edge time, monotonic) while disconnected
        self._stop = threading.Event()
        self._lock = threading.Lock()  # held while a read is inside the demuxer
        self._closed = False

    def continue_after(self, wall_clock: float | None, position: float) -> None:
        """Place this session on an earlier session's clock: media time 0 at ``wall_clock``, after ``position``
        (an earlier session that never placed itself on the wall clock leaves nothing to continue)."""
        if wall_clock is None:
            return
        self.wall_clock = wall_clock
        self.position = position
        self.info = dataclasses.replace(self.info, wall_clock=wall_clock)

    def packets(self, start: float = 0.0) -> Iterator[Packet | StreamGap]:
        if self._closed:
            raise SourceError(self.uri, "the source is closed")
        return self._packets()

    def edge(self) -> float | None:
        """Media time of the live edge now: the newest data received, advanced by the time since."""
        conn, mapping = self._conn, self._mapping
        if conn is not None and mapping is not None and conn.edge is not None and self._edge is None:
            media, seen = conn.edge
            return media + mapping.offset + (time.monotonic() - seen)
        if self._edge is not None:
            return self._edge[0] + (time.monotonic() - self._edge[1])
        return None

    def stop(self, reason: str = "stopped") -> None:
        """End reading soon (from any thread): the current connection drains, no reconnect follows."""
        if self.ending is not None:
            return
        if not self._stop.is_set():
            self.reason = reason
        self._stop.set()
        conn = self._conn
        if conn is not None:
            conn.stop_reading()

    def refine_clock(self) -> None:
        """Take the first connection's latest estimate of when media time 0 was (it only gets better)."""
        conn = self._conn
        if conn is not None and conn is self._first and conn.anchor is not None:
            self._set_wall_clock(conn.anchor)

    def close(self) -> None:
        self._closed = True
        self._stop.set()
        if self._lock.acquire(timeout=_CLOSE_WAIT):  # else the reader closes it when the demuxer returns
            try:
                self._close_connection()
            finally:
                self._lock.release()

    def _close_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    # -- reading -----------------------------------------------------------------------------

    def _packets(self) -> Iterator[Packet | StreamGap]:
        problem = None
        while True:
            if self._conn is None:
                return
            try:
                yield from self._read(self._conn)
                problem = "the stream ended"
            except StreamInterrupted as err:
                problem = err.cause
            if self._stop.is_set() or self._closed:
                self._end("stopped", f"{self.reason or 'stopped'} at {self._reached():.1f} s")
                return
            self._disconnected()
            if not self.options.reconnect:
                self._end("ended", f"{problem} at {self._reached():.1f} s")
                return
            if not self._reconnect(problem):
                return

    def _read(self, conn) -> Iterator[Packet | StreamGap]:
        """One connection's packets, mapped onto the stream's clock; a gap before the first if needed.

        When the stream's clock is already set (a reconnect, a later session), the first packets
        are held for ``_SETTLE_S`` seconds: those buffered while the stream was probed arrive in a
        burst, and the ones after tell where on the wall clock the connection really is. The very
        first connection starts at once; its anchor is refined while it runs (``_disconnected``).
        """
        packets = conn.packets()
        held: list[Packet] = []
        settle_until = None
        try:
            while True:
                try:
                    packet = self._next(packets)
                except StreamInterrupted:
                    yield from self._release(conn, held)
                    raise
                if packet is None:
                    break
                if self._outage is not None:  # a reconnect counts once its connection delivers
                    self._outage, self._edge = None, None
                    self.reconnects += 1
                held.append(packet)
                if self._mapping is None and self.wall_clock is not None:
                    settle_until = settle_until or time.monotonic() + _SETTLE_S
                    if time.monotonic() < settle_until:
                        continue
                yield from self._release(conn, held)
            yield from self._release(conn, held)
        finally:
            if self._closed and self._lock.acquire(blocking=False):
                try:
                    packets.close()
                    self._close_connection()
                finally:
                    self._lock.release()

    def _next(self, packets: Iterator[Packet]) -> Packet | None:
        """The connection's next packet, None at its end or once the source is closed."""
        with self._lock:
            if self._closed:
                return None
            return next(packets, None)

    def _release(self, conn, held: list[Packet]) -> Iterator[Packet | StreamGap]:
        """``held`` on the stream's clock (placing the connection first), the gap before them if any."""
        if held and self._mapping is None:
            self._mapping = self._place(conn)
        for packet in held:
            mapped = self._mapped(packet)
            if mapped is None:
                continue
            if self._mapping.first is None:
                self._mapping.first = mapped.time
                gap = self._gap_before(mapped.time)
                if gap is not None:
                    yield gap
            self._last[type(mapped)] = max(self._last.get(type(mapped), -math.inf), _end(mapped))
            yield mapped
        held.clear()

    def _mapped(self, packet: Packet) -> Packet | None:
        """``packet`` on the stream's clock; None when it was delivered already (a reconnect overlap)."""
        offset = self._mapping.offset
        if isinstance(packet, VideoFrame):
            time_ = packet.time + offset
            if time_ <= self._last.get(VideoFrame, -math.inf):
                return None
            return dataclasses.replace(packet, time=time_)
        if isinstance(packet, AudioChunk):
            return self._trimmed(dataclasses.replace(packet, time=packet.time + offset))
        if isinstance(packet, TextCue):
            if packet.end + offset <= self._last.get(TextCue, -math.inf):
                return None
            return dataclasses.replace(packet, time=packet.time + offset, end=packet.end + offset)
        return packet

    def _trimmed(self, chunk: AudioChunk) -> AudioChunk | None:
        last = self._last.get(AudioChunk, -math.inf)
        if chunk.end <= last + _MIN_STEP:
            return None
        if chunk.time >= last:
            return chunk
        skip = int(round((last - chunk.time) * chunk.sample_rate))
        return dataclasses.replace(chunk, time=last, samples=chunk.samples[skip:])

    def _place(self, conn) -> _Mapping:
        """The mapping of a new connection: its clock continued, or its first packet placed on the wall clock."""
        origin = float(conn.info.extra.get("time_origin") or 0.0)
        anchor = conn.anchor if conn.anchor is not None else time.time()
        log.info("%s: connected (%s)", self.uri, conn.info.extra.get("format"))
        if self.wall_clock is None:  # the first connection of the first session: media time 0 is now
            self._set_wall_clock(anchor)
            self._first = conn
        previous = self._mapping_before
        first = conn.first_time if conn.first_time is not None else 0.0
        if previous is not None and self._continues(origin, first, anchor):
            log.info("%s: the stream's clock carries on after the reconnect", self.uri)
            return _Mapping(previous.offset + previous.origin - origin, origin)
        offset = anchor - self.wall_clock
        floor = max([self.position, *self._last.values()]) + _MIN_STEP  # never before what came already
        return _Mapping(max(offset, floor - first), origin)

    def _continues(self, origin: float, media: float, anchor: float) -> bool:
        """Whether a new connection's raw clock at ``media`` picks up where the last one stopped."""
        if self._last_raw is None:
            return False
        raw, when = self._last_raw
        elapsed = anchor + media - when
        return raw - _SAME_CLOCK_SLACK <= media + origin <= raw + elapsed + _SAME_CLOCK_SLACK

    def _gap_before(self, first: float) -> StreamGap | None:
        last = max(self._last.values(), default=None)
        if last is None:
            last = self.position if self.position > 0 else None
            reason = "not recording (between sessions)"
        else:
            reason = self._gap_reason
        if last is None or first - last < _MIN_STEP:
            return None
        gap = StreamGap(self.info.stream, last, first, reason or "the stream dropped")
        self.gaps.append(gap)
        log.warning("%s: reconnected; %.1f s missing from %.1f s (%s)", self.uri, gap.seconds, gap.time, gap.reason)
        return gap

    def _set_wall_clock(self, wall_clock: float) -> None:
        self.wall_clock = wall_clock
        self.info = dataclasses.replace(self.info, wall_clock=wall_clock)

    def _disconnected(self) -> None:
        """Remember where the dropped connection was, for the edge and for a clock that carries on."""
        conn, mapping = self._conn, self._mapping
        if conn is not None and conn is self._first and conn.anchor is not None:
            self._set_wall_clock(conn.anchor)  # its packets map with offset 0 whatever the anchor
        if mapping is not None and conn is not None and conn.edge is not None:
            media, seen = conn.edge
            self._edge = (media + mapping.offset, seen)
            self._last_raw = (media + mapping.origin, time.time() - (time.monotonic() - seen))
        self._mapping_before = mapping if mapping is not None else self._mapping_before
        self._mapping = None
        with self._lock:
            self._close_connection()

    def _reconnect(self, problem: str) -> bool:
        """Connect again with backoff; False (and ``ending`` set) when giving up or stopped.

        A connection that opens but delivers nothing before it drops (a server that answers for a
        stream nobody sends any more) is a failed attempt of the same outage, not a reconnect.
        """
        outage = self._outage
        if outage is None:
            problem = f"{problem} at {self._reached():.1f} s"
            log.warning("%s: %s; reconnecting", self.uri, problem)
            self._gap_reason = problem
            outage = self._outage = _Outage(time.monotonic(), self.options.backoff)
        elif self._failed(outage, f"connected, but no data came ({problem})"):
            return False
        while True:
            self.state = f"reconnecting (attempt {outage.failures + 1})"
            if self._stop.wait(outage.delay):
                self._end("stopped", self.reason or "stopped")
                return False
            try:
                conn = self._connect()
            except SourceError as err:
                if self._failed(outage, err.problem):
                    return False
                continue
            if self._stop.is_set() or self._closed:
                conn.close()
                self._end("stopped", self.reason or "stopped")
                return False
            if conn.info.duration is not None:  # e.g. an HLS playlist that got its end mark
                conn.close()
                self._end("ended", f"{self._gap_reason}; it is now a finished recording")
                return False
            with self._lock:
                self._conn = conn
            self.state = "connected"
            return True

    def _failed(self, outage: _Outage, problem: str) -> bool:
        """Count a failed attempt and back off; True (and ``ending`` set) when it is time to give up."""
        outage.failures += 1
        log.info("%s: reconnect attempt %d failed: %s", self.uri, outage.failures, problem)
        spent = time.monotonic() - outage.began
        if (self.options.attempts is not None and outage.failures >= self.options.attempts) \
                or spent + outage.delay >= self.options.reconnect_for:
            self._end("lost", f"{self._gap_reason}; gave up reconnecting after {outage.failures} attempt(s) "
                              f"over {spent:.0f} s (last: {problem})")
            return True
        outage.delay = min(outage.delay * 2, self.options.max_backoff)
        return False

    def _reached(self) -> float:
        """Media time the stream has delivered up to."""
        return max(self._last.values(), default=self.position)

    def _end(self, ending: str, reason: str) -> None:
        self.ending, self.reason, self.state = ending, reason, "ended"
        log.info("%s: %s (%s)", self.uri, ending, reason)


def _end(packet: Packet) -> float:
    if isinstance(packet, (AudioChunk, TextCue)):
        return packet.end
    return packet.time

"""Putting packets from several decoders into media-time order, within a bounded buffer.

Decoders finish packets at different moments (an audio chunk is complete only when its last
sample is decoded; video frames come out after the decoder's delay), so a short reorder
buffer restores time order. It holds at most ``lag`` seconds and ``max_bytes`` of packets:
order is exact when packets arrive less than ``lag`` late, approximate otherwise.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence

from streams.packets import AudioChunk, Packet, TextCue, VideoFrame

DEFAULT_MAX_BYTES = 64 << 20


def in_time_order(packets: Iterable[Packet], lag: float, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Packet]:
    """``packets`` re-ordered by time, holding back each one until ``lag`` seconds of newer media arrived."""
    heap: list[tuple[float, int, Packet]] = []
    held = 0
    newest = float("-inf")
    for seq, packet in enumerate(packets):
        heapq.heappush(heap, (packet.time, seq, packet))
        held += _size(packet)
        newest = max(newest, packet.time)
        while heap and (heap[0][0] <= newest - lag or held > max_bytes):
            _, _, ready = heapq.heappop(heap)
            held -= _size(ready)
            yield ready
    while heap:
        yield heapq.heappop(heap)[2]


def merge_cues(packets: Iterable[Packet], cues: Sequence[TextCue]) -> Iterator[Packet]:
    """``packets`` with the time-sorted ``cues`` slotted in before the first packet that is later."""
    pending = iter(cues)
    cue = next(pending, None)
    for packet in packets:
        while cue is not None and cue.time <= packet.time:
            yield cue
            cue = next(pending, None)
        yield packet
    while cue is not None:
        yield cue
        cue = next(pending, None)


def _size(packet: Packet) -> int:
    if isinstance(packet, VideoFrame):
        return packet.image.nbytes
    if isinstance(packet, AudioChunk):
        return packet.samples.nbytes
    return 0

"""Read sources (files, URLs, cameras, image folders) as timestamped packets.

    from streams import SamplingPolicy, open_source

    with open_source("talk.mp4", SamplingPolicy(fps=2, audio=True)) as source:
        for packet in source.packets():
            ...
"""

from streams.errors import SourceError
from streams.identity import stream_id
from streams.packets import AUDIO_RATE, AudioChunk, Packet, PoseReading, StreamInfo, TextCue, VideoFrame
from streams.sampling import FrameClock, SamplingPolicy
from streams.schemes import list_sources, open_source, register_source
from streams.source import Source
from streams.subtitles import parse_srt, parse_vtt, read_sidecar

__all__ = [
    "AUDIO_RATE",
    "AudioChunk",
    "AVSource",
    "PoseReading",
    "FrameClock",
    "ImageFolderSource",
    "Packet",
    "SamplingPolicy",
    "Source",
    "SourceError",
    "StreamInfo",
    "TextCue",
    "VideoFrame",
    "list_sources",
    "open_source",
    "register_source",
    "parse_srt",
    "parse_vtt",
    "read_sidecar",
    "stream_id",
]


def __getattr__(name: str) -> type:
    # AVSource (PyAV) and ImageFolderSource (OpenCV) load their heavy libraries on first use.
    if name == "AVSource":
        from streams.av_source import AVSource

        return AVSource
    if name == "ImageFolderSource":
        from streams.image_folder import ImageFolderSource

        return ImageFolderSource
    raise AttributeError(f"module 'streams' has no attribute {name!r}")

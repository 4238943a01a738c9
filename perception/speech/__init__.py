"""Speech: voice activity, recognition (whisper), and voices as entities (who speaks when).

    vad = create_vad("energy")                       # or "webrtc", "silero" (Silero VAD, onnxruntime)
    asr = StreamingTranscriber(create_transcriber("whisper", model="small"))
    # or, on a live stream: LiveTranscriber(transcriber, window_s=10, overlap_s=2).push(chunk)
    voices = Diarizer("spectral")                    # or "ge2e"; clusterer state persists voice:N ids
    for chunk in audio_chunks:                       # streams.AudioChunk, 16 kHz mono
        for segment in vad.push(chunk):
            transcripts += asr.push(segment)
            turns += voices.push(segment)
    ...flush(), finish(); attribute_voices(transcripts, turns)
    changes = voices.finish_stream()                 # end of stream: re-cluster, issued ids kept

Importing this package is cheap (numpy only): torch and whisper load with a transcriber.
"""

from __future__ import annotations

import importlib
from typing import Any

from perception.speech.asr import (
    StreamingTranscriber,
    Transcriber,
    Transcript,
    Word,
    attribute_voices,
    create_transcriber,
    list_transcribers,
    register_transcriber,
)
from perception.speech.der import DERResult, Turn, diarization_error, read_rttm, total_error, write_rttm
from perception.speech.diarize import (
    Diarizer,
    SpeakerTurn,
    SpeechEvent,
    VoiceClusterer,
    cluster_windows,
    diarize_segments,
    relabel_turns,
    speaker_change_scores,
    speech_events,
)
from perception.speech.live import LiveOptions, LiveTranscriber
from perception.speech.recluster import VoiceChange
from perception.speech.surprise import RecentAudio, SpeechSurprise
from perception.speech.vad import (
    SpeechSegment,
    VadOptions,
    VoiceActivityDetector,
    create_vad,
    detect_speech,
    list_vads,
    register_vad,
)
from perception.speech.voice import (
    VoiceEmbedder,
    VoiceWindows,
    create_voice_embedder,
    list_voice_embedders,
    register_voice_embedder,
)

# modules that import torch or whisper, loaded on first attribute access
_LAZY = {
    "WhisperTranscriber": "perception.speech.whisper_backend",
    "WhisperOptions": "perception.speech.whisper_backend",
    "FasterWhisperTranscriber": "perception.speech.faster_whisper_backend",
    "TINY_TEST_MODEL": "perception.speech.whisper_weights",
}

__all__ = [
    "SpeechSegment", "VadOptions", "VoiceActivityDetector", "create_vad", "detect_speech", "list_vads",
    "register_vad",
    "Transcriber", "Transcript", "Word", "StreamingTranscriber", "attribute_voices", "create_transcriber",
    "list_transcribers", "register_transcriber", "LiveOptions", "LiveTranscriber",
    "SpeechSurprise", "RecentAudio",
    "VoiceEmbedder", "VoiceWindows", "create_voice_embedder", "list_voice_embedders", "register_voice_embedder",
    "Diarizer", "SpeakerTurn", "SpeechEvent", "VoiceClusterer", "cluster_windows", "diarize_segments",
    "speaker_change_scores", "speech_events", "relabel_turns", "VoiceChange",
    "DERResult", "Turn", "diarization_error", "read_rttm", "total_error", "write_rttm",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'perception.speech' has no attribute {name!r}")

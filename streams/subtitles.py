"""Subtitle text: SubRip and WebVTT files, ASS dialogue lines, and the markup inside them.

Parsers are tolerant of what real files contain (a byte-order mark, CRLF line ends, a missing
final blank line, cue numbers or none, HTML and ASS styling) and return plain-text cues.
A "Speaker: text" line stays whole: only explicit voice tags (WebVTT ``<v Name>``, the ASS
Name field) set a speaker.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

from streams.packets import TextCue

log = logging.getLogger(__name__)

SIDECAR_SUFFIXES = (".srt", ".vtt")

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<\d+:\d{2}[^<>]*>")  # <i>, <font ...>, <c.x>, <00:01.000>
_ASS_BLOCK = re.compile(r"\{[^{}]*\}")  # {\i1}, {\pos(1,2)}
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")


def parse_srt(text: str, stream: str = "", origin: str = "sidecar") -> list[TextCue]:
    """Cues of a SubRip (.srt) document, in file order."""
    return _parse_blocks(text, stream, origin, vtt=False)


def parse_vtt(text: str, stream: str = "", origin: str = "sidecar") -> list[TextCue]:
    """Cues of a WebVTT (.vtt) document, in file order; NOTE, STYLE and REGION blocks are skipped."""
    return _parse_blocks(text, stream, origin, vtt=True)


def read_sidecar(path: str | Path, stream: str = "") -> list[TextCue]:
    """Cues of an .srt or .vtt file, sorted by start time."""
    path = Path(path)
    text = decode_text(path.read_bytes())
    is_vtt = path.suffix.lower() == ".vtt" or text.lstrip().startswith("WEBVTT")
    cues = parse_vtt(text, stream) if is_vtt else parse_srt(text, stream)
    return sorted(cues, key=lambda cue: (cue.time, cue.end))


def find_sidecar(video: str | Path) -> Path | None:
    """The subtitle file beside ``video``: ``<stem>.srt``, ``<stem>.vtt``, then ``<stem>.<lang>.srt|vtt``."""
    video = Path(video)
    for suffix in SIDECAR_SUFFIXES:
        candidate = video.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    try:
        siblings = sorted(video.parent.glob(f"{_glob_escape(video.stem)}.*"))
    except OSError:
        return None
    for candidate in siblings:
        lang = candidate.name[len(video.stem) + 1 : -len(candidate.suffix)]
        if candidate.suffix.lower() in SIDECAR_SUFFIXES and 0 < len(lang) <= 16 and "." not in lang:
            return candidate
    return None


def decode_text(data: bytes) -> str:
    """Bytes of a text file as str: UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")  # a cut or damaged UTF-16 file keeps what decodes
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def strip_markup(text: str) -> str:
    """Plain text of a cue: HTML/WebVTT tags and ASS override blocks removed, entities unescaped."""
    text = text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
    text = _ASS_BLOCK.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = html.unescape(text).replace("\u00a0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def parse_ass_dialogue(line: str) -> tuple[str | None, str]:
    """``(speaker, text)`` of an ASS event line as FFmpeg decodes it.

    FFmpeg gives ``ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text``; a
    ``Dialogue:`` line from a script has ``Layer,Start,End,Style,Name,...`` (one more field).
    """
    if line.startswith("Dialogue:"):
        fields = line[len("Dialogue:") :].split(",", 9)
        name, text = (fields[4], fields[9]) if len(fields) == 10 else (None, line)
    else:
        fields = line.split(",", 8)
        name, text = (fields[3], fields[8]) if len(fields) == 9 else (None, line)
    speaker = name.strip() if name and name.strip() else None
    return speaker, strip_markup(text)


def _parse_blocks(text: str, stream: str, origin: str, vtt: bool) -> list[TextCue]:
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[TextCue] = []
    i = 0
    while i < len(lines):
        match = _TIMING.match(lines[i])
        if not match:
            i = _skip_block(lines, i) if vtt and lines[i].startswith(("NOTE", "STYLE", "REGION")) else i + 1
            continue
        body, i = _cue_body(lines, i + 1)
        cue = _make_cue(match, body, stream, origin)
        if cue is not None:
            cues.append(cue)
    return cues


def _cue_body(lines: list[str], i: int) -> tuple[list[str], int]:
    """The text lines of a cue: up to a blank line, or up to the next cue's number + timing line."""
    body: list[str] = []
    while i < len(lines) and lines[i].strip():
        if _TIMING.match(lines[i]):
            break
        if i + 1 < len(lines) and _TIMING.match(lines[i + 1]) and lines[i].strip().isdigit():
            break
        body.append(lines[i])
        i += 1
    return body, i


def _skip_block(lines: list[str], i: int) -> int:
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _make_cue(match: re.Match, body: list[str], stream: str, origin: str) -> TextCue | None:
    start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
    raw = "\n".join(body)
    voice = _VOICE.search(raw)
    text = strip_markup(raw)
    if not text:
        return None
    if end < start:
        log.debug("subtitle cue at %.3f s ends before it starts; using its start as end", start)
        end = start
    speaker = voice.group(1).strip() if voice else None
    return TextCue(stream=stream, time=start, end=end, text=text, speaker=speaker, origin=origin)


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = groups
    frac = int(fraction) / 10 ** len(fraction) if fraction else 0.0
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + frac


def _glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)

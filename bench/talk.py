"""A talk-like video for speed measurements: slides that change, a voice speaking ~60% of the time.

    python bench/talk.py --minutes 10 --out out/bench/talk

Speech is espeak-ng (two voices taking turns per slide), so its words are known; slides are
1280x720 frames with a title and bullet lines drawn with OpenCV, changing every few sentences.
Sentences come from a seeded grammar over a plain vocabulary: the bench measures speed, and the
text only has to be varied, not meaningful. Writes ``talk.mp4`` (H.264 + AAC) and ``talk.json``
(the sentences with their times, the slides with their times and lines).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np

RATE = 16_000
SUBJECTS = ["the team", "our model", "the robot", "this method", "the camera", "a new sensor", "the kitchen map",
            "every memory", "the first test", "the second version", "a small network", "the old system"]
VERBS = ["measures", "finds", "stores", "explains", "compares", "improves", "reduces", "tracks", "records",
         "describes", "predicts", "reads"]
OBJECTS = ["the speed of the stream", "people in the room", "errors in the data", "the red mug on the table",
           "long videos from home", "the time of each event", "voices in a meeting", "the path to the door",
           "words on the slide", "changes in the scene", "the cost of every frame", "places on the map"]
TAILS = ["every day", "in real time", "with little memory", "after the update", "on two cores",
         "without a network", "for the next week", "in most cases", "better than before", "at night"]
COLOURS = [(245, 245, 240), (30, 40, 70), (250, 235, 200), (20, 20, 20), (225, 240, 250)]


def sentences(rng: np.random.Generator, count: int) -> list[str]:
    pick = lambda words: words[int(rng.integers(len(words)))]  # noqa: E731
    return [f"{pick(SUBJECTS).capitalize()} {pick(VERBS)} {pick(OBJECTS)} {pick(TAILS)}." for _ in range(count)]


def speak(text: str, voice: str, folder: Path) -> np.ndarray:
    """16 kHz mono float32 of ``text`` spoken by espeak-ng."""
    path = folder / "line.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "165", "-w", str(path), text], check=True, capture_output=True)
    with wave.open(str(path)) as w:
        raw = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
        rate = w.getframerate()
    if rate != RATE:
        positions = np.arange(0, len(raw), rate / RATE)
        raw = np.interp(positions, np.arange(len(raw)), raw).astype(np.float32)
    return raw


def draw_slide(title: str, lines: list[str], colour: tuple[int, int, int], width: int, height: int) -> np.ndarray:
    import cv2

    image = np.full((height, width, 3), colour, np.uint8)
    ink = (20, 20, 20) if sum(colour) > 380 else (240, 240, 240)
    cv2.putText(image, title, (60, 110), cv2.FONT_HERSHEY_DUPLEX, 1.6, ink, 3, cv2.LINE_AA)
    cv2.line(image, (60, 140), (width - 60, 140), ink, 2)
    for i, line in enumerate(lines):
        cv2.putText(image, "- " + line, (70, 230 + 80 * i), cv2.FONT_HERSHEY_SIMPLEX, 1.05, ink, 2, cv2.LINE_AA)
    return image


def make_talk(out: Path, minutes: float = 10.0, seed: int = 0, speech_share: float = 0.6,
              width: int = 1280, height: int = 720, fps: int = 25) -> Path:
    """Write ``talk.mp4`` and ``talk.json`` into ``out`` (kept when already there); returns the video."""
    import av

    out.mkdir(parents=True, exist_ok=True)
    video, truth = out / "talk.mp4", out / "talk.json"
    if video.exists() and truth.exists():
        return video
    if shutil.which("espeak-ng") is None:
        raise RuntimeError("espeak-ng is needed to speak the talk (apt-get install espeak-ng)")
    rng = np.random.default_rng(seed)
    total = int(minutes * 60 * RATE)
    audio = np.zeros(total, np.float32)
    said, slides, t = [], [], 0.5
    with tempfile.TemporaryDirectory() as tmp:
        while t < minutes * 60 - 5:
            lines = sentences(rng, 4)
            voice = ("en-us", "en-gb")[len(slides) % 2]
            slide_start = t
            for line in lines:
                wav = speak(line, voice, Path(tmp))
                first = int(t * RATE)
                if first + len(wav) >= total:
                    break
                audio[first:first + len(wav)] = 0.5 * wav
                said.append({"start": t, "end": t + len(wav) / RATE, "text": line, "voice": voice})
                t += len(wav) / RATE * (1.0 / speech_share)  # pauses keep speech at ~speech_share
            title = f"Part {len(slides) + 1}: {lines[0].split()[1].capitalize()} {lines[0].split()[2]}"
            bullets = [" ".join(line.rstrip(".").split()[:6]) for line in lines[1:]]
            slides.append({"start": slide_start, "end": t, "title": title, "lines": bullets,
                           "colour": COLOURS[len(slides) % len(COLOURS)]})
    slides[-1]["end"] = minutes * 60
    with av.open(str(video), "w") as container:
        vstream = container.add_stream("libx264", rate=fps)
        vstream.width, vstream.height, vstream.pix_fmt = width, height, "yuv420p"
        vstream.codec_context.options = {"preset": "veryfast", "g": str(2 * fps), "crf": "28"}
        astream = container.add_stream("aac", rate=RATE, layout="mono")
        index = 0
        for slide in slides:
            image = draw_slide(slide["title"], slide["lines"], tuple(slide["colour"]), width, height)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            while index / fps < slide["end"]:
                frame.pts, frame.time_base = index, Fraction(1, fps)
                container.mux(vstream.encode(frame))
                index += 1
        container.mux(vstream.encode(None))
        for start in range(0, total, 1024):
            chunk = av.AudioFrame.from_ndarray(audio[None, start:start + 1024], format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = RATE, start
            container.mux(astream.encode(chunk))
        container.mux(astream.encode(None))
    truth.write_text(json.dumps({"minutes": minutes, "seed": seed, "said": said, "slides": slides}, indent=1))
    return video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out/bench/talk"))
    args = parser.parse_args()
    video = make_talk(args.out, args.minutes, args.seed)
    info = json.loads((args.out / "talk.json").read_text())
    speech = sum(s["end"] - s["start"] for s in info["said"])
    print(f"{video}: {len(info['slides'])} slides, {len(info['said'])} sentences, "
          f"speech {speech / (args.minutes * 60):.0%} of the time")


if __name__ == "__main__":
    sys.exit(main())

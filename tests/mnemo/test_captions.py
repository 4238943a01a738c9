"""Keyframe captions from a vision endpoint: the profile section, the client against a scripted vision server
(a real HTTP process that names the dominant colour of the image it is sent), and ingest end to end."""

from __future__ import annotations

import dataclasses
import io
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import mnemo
from mnemo.captions import CACHE_FILE, ORIGIN, CaptionConfig, CaptionCounts, Captioner
from mnemo.config import load_profile, list_profiles, profile_from_dict
from mnemo.errors import ConfigError
from mnemo.cli import app
from mnemo.commands.app import caption_note
from mnemo.sample import Scene, make_sample

# rooms whose walls and floors share a colour, so the dominant colour of every keyframe is known
ROOMS = (Scene("red room", (200, 40, 40), (170, 35, 35), "", 3.0),
         Scene("yellow room", (220, 200, 40), (190, 170, 30), "", 3.0),
         Scene("blue room", (40, 70, 200), (30, 55, 170), "", 3.0))
COLOUR = {"red room": "red", "yellow room": "yellow", "blue room": "blue"}
PALETTE = {"red": (200, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 200), "yellow": (220, 200, 40)}


def mnemo_cli(*args: str):
    """The mnemo command in this process (the models are loaded once for the module: ``shared_models``)."""
    from typer.testing import CliRunner

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})


def requests_for(log: Path, model: str) -> int:
    if not log.exists():
        return 0
    return sum(json.loads(line)["body"].get("model") == model for line in log.read_text().splitlines())


def colour_at(time: float) -> str:
    """The oracle: the colour of the room shown at a media time."""
    edges = np.cumsum([room.seconds for room in ROOMS])
    return COLOUR[ROOMS[min(int(np.searchsorted(edges, time, side="right")), len(ROOMS) - 1)].name]


def jpeg_of(rgb: tuple[int, int, int]) -> bytes:
    from PIL import Image

    image = np.full((180, 320, 3), rgb, np.uint8)
    image[60:120, 100:160] = (250, 250, 250)  # a prop: the dominant colour is still the wall's
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


# -- the profile section -------------------------------------------------------------------------


def test_captions_are_off_in_every_shipped_profile_and_bad_values_are_named():
    assert list_profiles() and not any(load_profile(name).captioner.enabled for name in list_profiles())
    config = profile_from_dict({"captioner": {"url": "http://127.0.0.1:9/v1", "model": "m", "keyframes": 2}})
    assert config.captioner.enabled and config.captioner.keyframes == 2
    assert config.captioner.key_env == "MNEMO_CAPTION_KEY"
    with pytest.raises(ConfigError, match="unknown key 'modle' in captioner; allowed: .*model"):
        profile_from_dict({"captioner": {"url": "http://x/v1", "modle": "m"}})
    with pytest.raises(ConfigError, match="captioner.url must be an http.s. URL .* got 'ftp://x'"):
        profile_from_dict({"captioner": {"url": "ftp://x", "model": "m"}})
    with pytest.raises(ConfigError, match="captioner.model must name the vision model"):
        profile_from_dict({"captioner": {"url": "http://x/v1"}})
    with pytest.raises(ConfigError, match="captioner.timeout_s must be a number of seconds > 0, got 0"):
        profile_from_dict({"captioner": {"url": "http://x/v1", "model": "m", "timeout_s": 0}})


# -- the client against the scripted vision server ---------------------------------------------


def test_captions_name_the_image_and_a_second_ask_comes_from_the_cache(scripted_llm, tmp_path, monkeypatch):
    url, log = scripted_llm
    monkeypatch.setenv("MNEMO_CAPTION_KEY", "sesame")
    captioner = Captioner(CaptionConfig(url=url, model="vision", concurrency=2), tmp_path / CACHE_FILE)
    names = ["red", "green", "blue", "yellow"]
    jpegs = [jpeg_of(PALETTE[name]) for name in names]
    before, counts = requests_for(log, "vision"), CaptionCounts()
    assert captioner.describe(jpegs, counts) == [f"A room with {name} walls." for name in names]
    assert (counts.asked, counts.cached, counts.skipped) == (4, 0, 0)
    assert requests_for(log, "vision") == before + 4
    sent = [json.loads(line) for line in log.read_text().splitlines()][-1]
    assert sent["auth"] == "Bearer sesame" and sent["body"]["max_tokens"] == 96
    again = Captioner(CaptionConfig(url=url, model="vision"), tmp_path / CACHE_FILE)  # a later run
    counts = CaptionCounts()
    assert again.describe(jpegs[::-1], counts) == [f"A room with {name} walls." for name in names[::-1]]
    assert (counts.asked, counts.cached) == (0, 4) and requests_for(log, "vision") == before + 4
    other_prompt = Captioner(CaptionConfig(url=url, model="vision", prompt="Name the colour."), tmp_path / CACHE_FILE)
    other_prompt.describe(jpegs[:1], counts := CaptionCounts())
    assert (counts.asked, counts.cached) == (1, 0)  # the cache key holds the prompt


@pytest.mark.parametrize("model, reason", [
    ("vision_http500", "http error"), ("vision_empty", "empty"), ("vision_refusal", "refusal"),
    ("vision_sorry", "refusal"), ("vision_overlong", "overlong"), ("vision_nontext", "not text"),
    ("vision_garbled", "not a chat completion")])
def test_bad_answers_are_skipped_with_their_reason(scripted_llm, tmp_path, model, reason):
    captioner = Captioner(CaptionConfig(url=scripted_llm[0], model=model), tmp_path / CACHE_FILE)
    counts = CaptionCounts()
    assert captioner.describe([jpeg_of((200, 40, 40))], counts) == [None]
    assert (counts.asked, counts.skipped, dict(counts.reasons)) == (1, 1, {reason: 1})
    assert captioner.describe([jpeg_of((200, 40, 40))], counts) == [None] and counts.asked == 2  # not cached


def test_a_slow_or_dead_endpoint_is_given_up_after_a_bound(scripted_llm, tmp_path):
    url, log = scripted_llm
    captioner = Captioner(CaptionConfig(url=url, model="vision_slow", timeout_s=0.3, give_up_after=2,
                                        concurrency=2), tmp_path / CACHE_FILE)
    before, counts = requests_for(log, "vision_slow"), CaptionCounts()
    jpegs = [jpeg_of(c) for c in PALETTE.values()]
    assert captioner.describe(jpegs[:2], counts) == [None, None]  # two timeouts at once: given up
    assert captioner.describe(jpegs[2:], counts) == [None, None]  # not asked
    assert requests_for(log, "vision_slow") == before + 2
    assert (counts.asked, counts.skipped, dict(counts.reasons)) == (2, 4, {"timeout": 2, "given up": 2})
    captioner.begin_stream()  # the next stream asks again
    assert captioner.describe(jpegs[:1], counts) == [None] and requests_for(log, "vision_slow") == before + 3
    dead = Captioner(CaptionConfig(url="http://127.0.0.1:9/v1", model="vision", timeout_s=1.0), None)
    assert dead.describe(jpegs[:1], counts := CaptionCounts()) == [None] and dict(counts.reasons) == {"connection": 1}


# -- ingest end to end ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_models():
    """lite's models, loaded once: every memory opened in this module uses them, each with its own profile
    (the profiles here differ from lite in their captioner only)."""
    from mnemo import models

    lite = models.load_encoders(load_profile("lite"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "load_encoders", lambda profile: dataclasses.replace(lite, profile=profile))
        yield lite


@pytest.fixture(scope="module")
def rooms(tmp_path_factory):
    """Three rooms of 3 s, 320x180 at 10 fps, no audio or subtitles (only captions give the events text)."""
    return make_sample(tmp_path_factory.mktemp("rooms"), width=320, height=180, fps=10, scenes=ROOMS, audio=False,
                       subtitles=False, name="rooms")


@pytest.fixture(scope="module")
def profile_file(tmp_path_factory) -> Path:
    """lite with every keyframe of an event described (several requests per event, in flight at once)."""
    import yaml

    from mnemo.config import CONFIG_DIR

    data = yaml.safe_load((CONFIG_DIR / "lite.yaml").read_text())
    data["name"] = "lite-captions-test"
    data["captioner"] = {"keyframes": 3, "timeout_s": 10}
    path = tmp_path_factory.mktemp("profile") / "lite-captions.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def captioned(rooms, profile_file, scripted_llm, shared_models, tmp_path_factory):
    """The rooms ingested by the command with captions from the vision model."""
    url, log = scripted_llm
    memory = tmp_path_factory.mktemp("captioned") / "mem"
    run = mnemo_cli("ingest", str(rooms.video), "--memory", str(memory), "--profile", str(profile_file), "--quiet",
                    "--caption-url", url, "--caption-model", "vision")
    assert run.exit_code == 0, run.output
    return memory, run, requests_for(log, "vision")


def test_captions_are_stored_as_event_text_with_the_keyframes_colour(captioned):
    memory, run, asked = captioned
    with mnemo.open(memory) as mem:
        events, lines = mem.events(), mem.screen_text()
    assert asked >= len(events) >= 3 and "captions" in run.output
    assert {line.origin for line in lines} == {ORIGIN} and {line.model for line in lines} == {"vision"}
    for event in events:
        own = [line for line in lines if line.event_id == event.id]
        assert own, f"event {event.id} has no caption"
        for line in own:
            assert event.start <= line.time < event.end and line.text in event.text
            assert line.text == f"A room with {colour_at(line.time)} walls."


def test_search_finds_and_ask_cites_the_captioned_room(captioned):
    memory, _, _ = captioned
    run = mnemo_cli("search", "yellow walls", "--memory", str(memory), "--k", "1", "--json")
    assert run.exit_code == 0, run.output
    [hit] = json.loads(run.stdout)
    assert "yellow" in hit["text"] and colour_at((hit["start"] + hit["end"]) / 2) == "yellow"
    run = mnemo_cli("ask", "when did I see a room with blue walls?", "--memory", str(memory), "--json")
    assert run.exit_code == 0, run.output
    evidence = json.loads(run.stdout)["evidence"]
    assert evidence and "A room with blue walls." in evidence[0]["text"]


def remux(video: Path, out: Path) -> Path:
    """The same packets in another container: other bytes (another stream), the same frames."""
    import av

    with av.open(str(video)) as src, av.open(str(out), "w") as dst:
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams.video}
        for packet in src.demux(*src.streams.video):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            dst.mux(packet)
    return out


def test_a_reingest_of_the_same_pictures_asks_nothing(captioned, rooms, profile_file, scripted_llm, tmp_path):
    memory, _, asked = captioned
    copy = remux(rooms.video, tmp_path / "rooms.mkv")
    import yaml

    path = tmp_path / "with-url.yaml"  # a file: the memory records the path of the profile it was last given
    path.write_text(yaml.safe_dump({**_profile_dict(profile_file),
                                    "captioner": {"url": scripted_llm[0], "model": "vision", "keyframes": 3}}))
    profile = load_profile(path)
    with mnemo.open(memory, profile=profile) as mem:
        report = mem.ingest(str(copy))
        events = [e for e in mem.events() if e.stream == report.stream]
    assert report.events == len(events) >= 3 and report.captions["asked"] == 0
    assert report.captions["cached"] >= len(events) and requests_for(scripted_llm[1], "vision") == asked
    assert all(e.text == f"A room with {colour_at((e.start + e.end) / 2)} walls." for e in events)


def _profile_dict(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text())


def test_a_failing_endpoint_leaves_the_memory_as_without_captions(rooms, profile_file, scripted_llm, shared_models,
                                                                  tmp_path):
    data = _profile_dict(profile_file)
    plain = profile_from_dict({**data, "captioner": None})
    failing = profile_from_dict({**data, "captioner": {"url": scripted_llm[0], "model": "vision_http500",
                                                      "keyframes": 3, "give_up_after": 0}})
    dumps, reports = [], []
    for name, profile in (("plain", plain), ("failing", failing)):
        with mnemo.open(tmp_path / name, profile=profile, create=True) as mem:
            reports.append(mem.ingest(str(rooms.video)))
        dumps.append(_dump(tmp_path / name))
    assert dumps[0] == dumps[1] and dumps[0][0]  # the same events, text, vectors and keyframes
    assert reports[0].captions == {} and reports[1].events == reports[0].events
    counts = reports[1].captions
    assert counts["skipped"] == counts["asked"] >= reports[1].events
    assert counts["reasons"] == {"http error": counts["asked"]}
    assert (counts["stored"], counts["cached"]) == (0, 0)
    assert caption_note(counts) == f"captions 0 (0 cached, {counts['asked']} asked), {counts['asked']} skipped " \
                                   f"(http error {counts['asked']})"  # the ingest summary's note


def _dump(memory: Path) -> tuple:
    with sqlite3.connect(memory / "memory.db") as db:
        events = db.execute('SELECT stream, start, "end", text, surprise FROM events ORDER BY id').fetchall()
        vectors = db.execute("SELECT * FROM vectors ORDER BY 1, 2").fetchall()
        keyframes = db.execute("SELECT * FROM keyframes ORDER BY 1, 2").fetchall()
        lines = db.execute("SELECT * FROM screen_text").fetchall()
    return events, vectors, keyframes, lines


def test_the_llm_answerer_may_look_at_the_evidence_keyframes(captioned, scripted_llm):
    from planners.llm import LLMAnswerer, LLMConfig

    memory, _, _ = captioned
    url, log = scripted_llm
    question = "What colour were the walls of the room with blue walls?"
    with mnemo.open(memory) as mem:
        answers = []
        for images in (0, 1):
            mem.reasoner.llm = LLMAnswerer(LLMConfig(url=url, model="eyes", images=images))
            answers.append(mem.ask(question, answerer="llm"))
        blue = [e for e in mem.events() if "blue" in e.text]
    blind, seeing = answers
    assert blind.kind == "unknown" and blind.answerer == "llm:eyes"
    assert (seeing.value, seeing.answerer) == ("blue", "llm:eyes")  # the colour of the image it was sent
    [cited] = seeing.evidence  # the blue room (of the video or of its remuxed copy)
    assert cited.event in {e.id for e in blue} and "blue walls" in cited.text
    last = json.loads(log.read_text().splitlines()[-1])["body"]["messages"][-1]
    assert last["role"] == "user" and [p["type"] for p in last["content"]] == ["text", "image_url"]

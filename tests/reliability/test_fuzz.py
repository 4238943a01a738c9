"""Fuzzing (hypothesis) of the parsers that read what users and files give: subtitles, time phrases,
profiles, questions and the service's payloads. Each target is time-boxed (``EXAMPLES``); a crash it
finds is kept below as a regression test (``@example``).

``MNEMO_FUZZ_EXAMPLES=5000 pytest tests/reliability/test_fuzz.py`` fuzzes longer; CI runs a fixed
(derandomised) set so that a failure is reproducible.
"""

from __future__ import annotations

import math
import os
import shutil
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("MNEMO_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="MNEMO_FUZZ_EXAMPLES" not in os.environ,
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------------------------------ subtitles

_stamp = st.builds(lambda h, m, s, ms, sep: f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}",
                   st.integers(0, 120), st.integers(0, 99), st.integers(0, 99), st.integers(0, 1999),
                   st.sampled_from([",", "."]))
_cue_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
_srt_block = st.builds(lambda i, a, b, arrow, text: f"{i}\n{a}{arrow}{b}\n{text}\n",
                       st.integers(-3, 10**6), _stamp, _stamp, st.sampled_from([" --> ", "-->", " -> ", " --> x "]),
                       _cue_text)
_srt_document = st.lists(_srt_block, max_size=8).map("\n".join)


def _check_cues(cues) -> None:
    for cue in cues:
        assert math.isfinite(cue.time) and math.isfinite(cue.end), cue
        assert cue.end >= cue.time >= 0, cue
        assert isinstance(cue.text, str)


@FUZZ
@given(_srt_document | st.text(max_size=300))
@example("1\n00:00:05,000 --> 00:00:01,000\nends before it starts\n")
@example("1\n99:99:99,999 --> 00:00:01,000\nimpossible clock\n")
def test_srt_parsing_never_crashes_and_keeps_sane_cues(text):
    from streams.subtitles import parse_srt

    _check_cues(parse_srt(text))


@FUZZ
@given(_srt_document.map(lambda d: "WEBVTT\n\n" + d.replace(",", ".")) | st.text(max_size=300).map(lambda t: "WEBVTT\n" + t))
@example("WEBVTT\n\nNOTE x\n\n00:01.000 --> 00:00.500\n<v Bob>hi\n")
def test_vtt_parsing_never_crashes_and_keeps_sane_cues(text):
    from streams.subtitles import parse_vtt

    _check_cues(parse_vtt(text))


@FUZZ
@given(st.binary(max_size=400))
@example(b"\xff\xfe\x00")  # a UTF-16 byte-order mark on an odd number of bytes
@example(b"\xfe\xff\xd8\x00")  # big-endian UTF-16 with a lone surrogate
def test_subtitle_bytes_decode_to_text(tmp_path_factory, data):
    from streams.subtitles import read_sidecar

    path = tmp_path_factory.mktemp("srt") / "fuzz.srt"
    path.write_bytes(data)
    _check_cues(read_sidecar(path))


# ------------------------------------------------------------------------------------- time phrases

_clock = st.builds(lambda h, m, s, half: f"{h}:{m:02d}" + (f":{s:02d}" if s is not None else "") + half,
                   st.integers(0, 99), st.integers(0, 99), st.none() | st.integers(0, 99),
                   st.sampled_from(["", "am", "pm", " pm"]))
_phrase = st.one_of(
    st.builds(lambda a, b: f"what happened between {a} and {b}?", _clock, _clock),
    st.builds(lambda a: f"where was the mug at {a}", _clock),
    st.builds(lambda n, u: f"what did I see {n} {u} ago", st.floats(0, 1e12, allow_nan=False).map(str) | st.integers(0, 10**30).map(str),
              st.sampled_from(["seconds", "sec", "minutes", "min", "hours", "hour"])),
    st.sampled_from(["this morning", "before lunch", "after lunch", "the first time", "the last time"]),
    st.text(max_size=120),
)


@FUZZ
@given(_phrase, st.floats(0, 1e7), st.none() | st.floats(-1e9, 1e10))
@example("what happened between 10:75 and 9:00?", 100.0, None)
@example("where was it at 0:00am", 10.0, 0.0)
def test_time_phrases_give_finite_windows(text, now, anchor):
    from planners.time_phrases import parse_time

    window = parse_time(text, now, anchor)
    for value in (window.start, window.end, window.point):
        assert value is None or math.isfinite(value), window
    assert window.order in (None, "first", "last")


# ------------------------------------------------------------------------------------------ profiles

_scalar = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=12)
_value = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=6)
_SECTIONS = {
    "sampling": ["fps", "keyframes_only", "frame_size", "text", "audio", "video", "audio_chunk"],
    "segmenter": ["gamma", "tau", "min_len", "max_len", "channels"],
    "speech": ["vad", "asr", "voices", "asr_options"],
    "ingest": ["batch_size", "keyframes_per_event", "thumbnail_size"],
    "entities": ["detectors"],
    "frame_encoder": ["name", "options"],
    "text_embedder": ["name"],
}
_section = st.sampled_from(sorted(_SECTIONS)).flatmap(
    lambda name: st.tuples(st.just(name), st.dictionaries(st.sampled_from(_SECTIONS[name] + ["nonesuch"]), _value, max_size=4)
                           | _value))
_profile = st.lists(_section, max_size=4).map(dict).flatmap(
    lambda d: st.fixed_dictionaries({}, optional={"name": _scalar, "index": _scalar, "ocr": _value}).map(lambda e: {**d, **e}))


@FUZZ
@given(_profile)
@example({"sampling": {"fps": "fast"}})
@example({"sampling": {"fps": float("nan")}})
@example({"segmenter": {"tau": [1, 2]}})
def test_profiles_load_or_fail_with_a_config_error(data):
    from mnemo.config import profile_from_dict
    from mnemo.errors import ConfigError

    try:
        profile_from_dict(data, where="fuzz.yaml")
    except ConfigError as err:
        assert str(err).startswith("fuzz.yaml") or "fuzz.yaml" in str(err) or "profile" in str(err), err


@FUZZ
@given(st.binary(max_size=300) | st.text(string.printable, max_size=300).map(str.encode))
@example(b"name: x\nsampling: {fps: 2\n")
@example(b"!!python/object/apply:os.system ['true']\n")
@example(b"\xef\xbb\xbfname: bom\n")
def test_profile_files_load_or_fail_with_one_line(tmp_path_factory, data):
    from mnemo.config import load_profile
    from mnemo.errors import ConfigError

    path = tmp_path_factory.mktemp("profile") / "fuzz.yaml"
    path.write_bytes(data)
    try:
        load_profile(path)
    except ConfigError as err:
        assert str(path) in str(err) and "\n" not in str(err).strip(), err


# ----------------------------------------------------------------------------------------- questions


@pytest.fixture(scope="module")
def opened_memory(base_memory):
    import mnemo

    with mnemo.open(base_memory, readonly=True) as memory:
        yield memory


@settings(FUZZ, max_examples=max(EXAMPLES // 3, 10))
@given(st.one_of(_phrase, st.text(max_size=200),
                 st.builds(lambda w, x: f"{w} {x}?", st.sampled_from(["where is", "who said", "how many times did",
                                                                     "when did", "what did", "who is"]),
                           st.text(string.ascii_letters + " '", max_size=40))),
       st.none() | st.floats(0, 1e6))
@example("where is the ", None)
@example("how many times did ?", 0.0)
def test_questions_get_an_answer_or_a_clear_error(opened_memory, question, at):
    try:
        answer = opened_memory.ask(question, at=at)
    except ValueError as err:  # e.g. an empty question: the CLI shows it as one line
        assert str(err)
        return
    assert isinstance(answer.text, str) and 0.0 <= answer.confidence <= 1.0


# -------------------------------------------------------------------------------------- API payloads

TOKEN = "fuzz-token-0123456789abcdef"
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                     | st.text(max_size=30),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
                     max_leaves=8)


@pytest.fixture(scope="module")
def client(base_memory, tmp_path_factory):
    from fastapi.testclient import TestClient

    from mnemo.service import ServiceOptions, create_app

    root, media = tmp_path_factory.mktemp("fuzz-root"), tmp_path_factory.mktemp("fuzz-media")
    shutil.copytree(base_memory, root / "base")
    app = create_app(ServiceOptions(root=root, token=TOKEN, media_roots=(media,)), background=False)
    with TestClient(app, headers={"authorization": f"Bearer {TOKEN}"}) as c:
        yield c


def _no_bug(reply) -> None:
    assert reply.status_code < 500, reply.text
    if reply.status_code >= 400:
        assert reply.json()["error"]["message"], reply.text


@FUZZ
@given(_json | st.fixed_dictionaries({"path": _json}) | st.fixed_dictionaries({"path": st.text(max_size=80)}))
@example({"path": "/etc/passwd"})
@example({"path": "/" + "a" * 5000})
@example({"path": "/tmp/\x00evil"})
def test_video_payloads(client, body):
    _no_bug(client.post("/v1/memories/base/videos", json=body))


@FUZZ
@given(_json | st.fixed_dictionaries({"question": _json}, optional={"at": _json}))
@example({"question": "where?", "at": 1e308})
@example({"question": "where?", "at": -1})
def test_ask_payloads(client, body):
    _no_bug(client.post("/v1/memories/base/ask", json=body))


@FUZZ
@given(st.dictionaries(st.sampled_from(["q", "k", "stream", "at", "start", "end", "x"]), st.text(max_size=20), max_size=4),
       st.sampled_from(["search", "events", "transcript", "episodes", "places", "graph"]))
@example({"q": "red", "k": "-1"}, "search")
@example({"q": "red", "k": "99999999999999999999999"}, "search")
def test_query_parameters(client, params, route):
    _no_bug(client.get(f"/v1/memories/base/{route}", params=params))

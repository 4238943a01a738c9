"""The default profile end to end on a real video with speech: words become searchable memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def mnemo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnemo", *args], capture_output=True, text=True, timeout=timeout,
                          env=ENV)


@pytest.fixture(scope="module")
def documentary(shared_data, tmp_path_factory):
    """seed-archive-documentary.mp4 (25 s, two people talking about jars and cups) ingested with no --profile."""
    video = shared_data / "video" / "seed-archive-documentary.mp4"
    memory = tmp_path_factory.mktemp("standard") / "mem"
    run = mnemo("ingest", str(video), "--memory", str(memory), "-q")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "falling back" not in run.stderr, run.stderr  # the standard profile's models are all there
    return memory


@pytest.mark.slow
def test_speech_of_a_real_video_is_transcribed_with_voices_words_and_language(documentary):
    lines = json.loads(mnemo("transcript", "--memory", str(documentary), "--json").stdout)
    recognised = [u for u in lines if u["origin"] == "asr"]
    text = " ".join(u["text"] for u in recognised).lower()
    # what is said in it (checked by listening): the drinking cup at ~12 s, oils and creams at ~7-11 s
    for words in ("drinking cup", "oils and creams", "dice"):
        assert words in text, text
    for u in recognised:
        assert u["speaker"].startswith("voice:") and u["language"] == "en" and u["words"]
        assert all(u["start"] - 0.01 <= w["start"] <= w["end"] <= u["end"] + 0.01 for w in u["words"])
    cup = next(u for u in recognised if "drinking cup" in u["text"].lower())
    said = next(w for w in cup["words"] if w["word"].strip(" .,").lower() == "cup")
    assert 11.5 <= said["start"] <= 14.0  # the word itself, whatever sentence it was recognised in


@pytest.mark.slow
def test_what_was_said_is_searched_and_cited(documentary):
    hits = json.loads(mnemo("search", "a drinking cup", "--memory", str(documentary), "--json", "--k", "3").stdout)
    said = (11.5, 14.0)  # the line, give or take the VAD's padding; an event boundary may fall inside it
    assert hits and hits[0]["start"] < said[1] and hits[0]["end"] > said[0], hits[0]
    assert "drinking cup" in hits[0]["text"].lower()
    answer = json.loads(mnemo("ask", "What did they say about the drinking cup?", "--memory", str(documentary),
                              "--json").stdout)
    assert "drinking cup" in answer["answer"].lower()
    assert answer["evidence"][0]["start"] < said[1] and answer["evidence"][0]["end"] > said[0]


# Where people are in view in the documentary (checked frame by frame): the two women in the archive
# from 6.8 s to the cut after the frame at 12.00 s; elsewhere hands, jars and a cup in close-up.
PEOPLE_IN_VIEW = (6.8, 12.02)


@pytest.mark.slow
def test_when_a_person_was_last_seen_is_answered_with_the_moment(documentary):
    answer = json.loads(mnemo("ask", "When did you last see a person?", "--memory", str(documentary),
                              "--json").stdout)
    assert answer["kind"] == "time" and PEOPLE_IN_VIEW[0] <= answer["value"] <= PEOPLE_IN_VIEW[1], answer
    cited = answer["evidence"][0]
    assert cited["start"] <= answer["value"] <= cited["end"] and cited["entities"], cited
    # the sighting behind it is stored once, with its track, entity and box, and no made-up position
    import sqlite3

    with sqlite3.connect(documentary / "memory.db") as db:
        rows = db.execute("SELECT kind, entity, box, x FROM sightings WHERE time = ?", (answer["value"],)).fetchall()
    assert rows and all(k in ("person", "face") and e is not None and b and x is None for k, e, b, x in rows)


@pytest.mark.slow
def test_a_video_without_people_answers_that_it_does_not_know(shared_data, tmp_path):
    video = shared_data / "video" / "home-walkthrough.mp4"  # an empty furnished home, no audio
    run = mnemo("ingest", str(video), "--memory", str(tmp_path / "home"), "-q")
    assert run.returncode == 0, run.stderr[-3000:]
    answer = json.loads(mnemo("ask", "When did you last see someone?", "--memory", str(tmp_path / "home"),
                              "--json").stdout)
    assert answer["value"] is None and answer["answer"] == "I don't know", answer


@pytest.mark.slow
def test_what_was_said_reaches_the_world_under_the_voice_and_then_its_name(documentary, tmp_path):
    import shutil
    import sqlite3

    lines = json.loads(mnemo("transcript", "--memory", str(documentary), "--json").stdout)
    line = next(u for u in lines if u["origin"] == "asr" and "drinking cup" in u["text"].lower())
    question = f'Who said "{line["text"].strip()}"?'
    answer = json.loads(mnemo("ask", question, "--memory", str(documentary), "--json").stdout)
    assert answer["kind"] == "person" and answer["value"] == line["speaker"], answer  # the transcript is the oracle
    memory = tmp_path / "named"
    shutil.copytree(documentary, memory)  # the module's memory stays unnamed for the other tests
    with sqlite3.connect(memory / "memory.db") as db:
        entity = db.execute("SELECT entity_id FROM entity_keys WHERE key = ?", (line["speaker"],)).fetchone()[0]
    assert mnemo("name", f"entity:{entity}", "Ruth", "--memory", str(memory)).returncode == 0
    answer = json.loads(mnemo("ask", question, "--memory", str(memory), "--json").stdout)
    assert answer["value"] == "Ruth", answer

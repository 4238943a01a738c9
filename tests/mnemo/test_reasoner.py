"""The long-lived reasoner, memory.ask() and `mnemo ask`: one answer structure, live updates."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import mnemo
from memory.event import Checkpoint, Event
from memory.perceived import Sighting, add_sightings
from mnemo.cli import app
from mnemo.reasoner import Reasoner

HELPER = Path(__file__).parents[1] / "planners" / "perceived_world.py"


@pytest.fixture
def world_dir(tmp_path):
    spec = importlib.util.spec_from_file_location("mnemo_tests_reasoner_world", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    directory = tmp_path / "world"
    module.build_world_memory(directory).close()
    return directory


def test_memory_ask_and_cli_give_the_same_structure(world_dir):
    with mnemo.open(world_dir) as memory:
        answer = memory.ask("Where is the red mug now?", at=100.0)
        assert answer.value == "office" and answer.kind == "room" and answer.evidence
        expected = answer.to_dict()
        assert memory.ask("Where is the red mug now?", at=50.0).value == "kitchen"
    result = CliRunner().invoke(app, ["ask", "Where is the red mug now?", "--memory", str(world_dir), "--at", "100",
                                      "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(json.dumps(expected))
    result = CliRunner().invoke(app, ["ask", "Where is the red mug now?", "--memory", str(world_dir), "--at",
                                      "01:40"])
    assert result.exit_code == 0 and "office" in result.output and "evidence" in result.output


def test_cli_rejects_bad_input(world_dir, tmp_path):
    bad_time = CliRunner().invoke(app, ["ask", "Where is it?", "--memory", str(world_dir), "--at", "soon"])
    assert bad_time.exit_code != 0 and "--at" in str(bad_time.exception)  # mnemo.cli.main prints UserErrors
    no_llm = CliRunner().invoke(app, ["ask", "Where is it?", "--memory", str(world_dir), "--answerer", "llm"])
    assert no_llm.exit_code != 0 and "--llm-url" in str(no_llm.exception)
    missing = CliRunner().invoke(app, ["ask", "Where is it?", "--memory", str(tmp_path / "nothing")])
    assert missing.exit_code != 0


def test_reasoner_sees_new_events_while_ingestion_goes_on(world_dir):
    writer = mnemo.open(world_dir).store
    with Reasoner(world_dir, refresh_s=0.2) as reasoner:
        assert reasoner.ask("Where is the blue box now?", at=260.0).value is None
        writer.add_event(Event("s1", 200.0, 260.0, {"text/test": np.ones(16, np.float32)}, text="later"),
                         Checkpoint("s1", 260.0))
        add_sightings(writer, [Sighting("s1", float(t), 50, "object", "box", 0.9, 7.0, 1.0, "blue")
                               for t in np.arange(240.0, 250.0, 0.2)])
        deadline = time.monotonic() + 5.0
        while True:
            answer = reasoner.ask("Where is the blue box now?", at=260.0)
            if answer.value is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert answer.value == "office"
        assert answer.evidence[0].start == 200.0  # the new event is the evidence
    writer.close()


def test_reasoner_validates_questions(world_dir):
    with Reasoner(world_dir) as reasoner:
        with pytest.raises(ValueError, match="non-empty"):
            reasoner.ask("  ")
        with pytest.raises(ValueError, match="unknown"):
            reasoner.ask("Where?", answerer="oracle")
        with pytest.raises(ValueError, match="LLM endpoint"):
            reasoner.ask("Where?", answerer="llm")


def test_time_window_and_position_questions(world_dir):
    with Reasoner(world_dir) as reasoner:
        between = reasoner.ask("What happened between 00:00:15 and 00:00:35?", at=150.0)
        assert between.kind == "events" and between.value == [2, 3, 4]
        assert [e.start for e in between.evidence] == [10.0, 20.0, 30.0] and between.text.startswith("3 events")
        near = reasoner.ask("What was seen near (8.0, 2.0)?", at=150.0)
        assert near.kind == "events" and 7 in near.value  # the mug rests there from 60 s (event 7)
        assert reasoner.ask("What was seen near (40, 40)?", at=150.0).kind == "unknown"

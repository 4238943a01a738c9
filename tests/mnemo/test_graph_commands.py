"""mnemo consolidate / episodes / places / name-place / path / facts / states / graph / budget, in process."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from memory import scene_graph
from memory.event import Checkpoint, Event, Keyframe
from memory.poses import Pose
from memory.store import MemoryStore
from mnemo.cli import UserError, app

runner = CliRunner()


@pytest.fixture(scope="module")
def memory(tmp_path_factory):
    """A robot walking up and down a 12 m corridor (poses), one event every 4 s with a 30 kB keyframe."""
    directory = tmp_path_factory.mktemp("cmds") / "mem"
    rng = np.random.default_rng(0)
    with MemoryStore(directory) as store:
        store.add_stream("robot", "synthetic://robot")
        times = np.arange(0, 240, 0.5)
        xs = 6 + 6 * np.sin(times / 240 * 4 * np.pi)
        store.add_poses([Pose("robot", float(t), float(x), 1.0) for t, x in zip(times, xs)])
        for start in range(0, 240, 4):
            vector = rng.standard_normal(8).astype(np.float32)
            event = Event("robot", float(start), float(start + 4), vectors={"image/test": vector / np.linalg.norm(vector)},
                          keyframes=[Keyframe(float(start), rng.bytes(30_000))], text=f"at {start}")
            store.add_event(event, Checkpoint("robot", start + 4.0, b""))
    return directory


def run(*args: str):
    result = runner.invoke(app, list(args), catch_exceptions=True)
    return result


def test_the_commands_read_what_consolidation_made(memory, tmp_path):
    m = str(memory)
    assert run("consolidate", "-m", m).exit_code == 0
    episodes = json.loads(run("episodes", "-m", m, "--json").stdout)
    assert sum(e["events"] for e in episodes) == 60 and all(e["event_ids"] for e in episodes)
    assert json.loads(run("episodes", "-m", m, "--sessions", "--json").stdout)[0]["episodes"] == len(episodes)
    places = json.loads(run("places", "-m", m, "--json").stdout)
    assert len(places) >= 4 and all(p["kind"] == "pose" for p in places)
    named = run("name-place", places[0]["ref"], "dock", "-m", m)
    assert named.exit_code == 0 and "dock" in named.stdout
    route = json.loads(run("path", places[0]["ref"], places[-1]["ref"], "-m", m, "--json").stdout)
    assert route["path"][0] == places[0]["ref"] and route["length"] > 0
    assert run("states", "-m", m, "--json").exit_code == 0 and run("facts", "-m", m, "--json").exit_code == 0
    out = tmp_path / "g.json"
    assert run("graph", "-m", m, "--out", str(out)).exit_code == 0
    with MemoryStore(memory, create=False, readonly=True) as store:
        assert scene_graph.graphs_equal(scene_graph.from_json(out.read_text()), scene_graph.build_graph(store))
    early = tmp_path / "early.graphml"
    assert run("graph", "-m", m, "--out", str(early), "--format", "graphml", "--at", "100").exit_code == 0
    assert early.read_text().count('"event:') < out.read_text().count('"event:')


def test_budget_command_fits_the_memory(memory):
    result = run("budget", "-m", str(memory), "--max-mb", "1.0", "--keep-recent", "5", "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["after"] <= 2**20 and report["compacted"] > 0 and not report["over_budget"]


@pytest.mark.parametrize("args, message", [
    (("graph", "--format", "xml", "--out", "x"), "--format must be one of json, graphml, got 'xml'"),
    (("path", "place:1", "place:999"), "no place:999"),
    (("name-place", "kitchen", "x"), "expected place:N"),
])
def test_bad_input_gets_one_clear_message(memory, args, message):
    result = run(*args, "-m", str(memory))
    assert result.exit_code != 0 and isinstance(result.exception, (UserError, ValueError))
    assert message in str(result.exception)


def test_a_missing_memory_is_named(tmp_path):
    result = run("episodes", "-m", str(tmp_path / "none"))
    assert isinstance(result.exception, UserError) and str(tmp_path / "none") in str(result.exception)

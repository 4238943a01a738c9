"""One set of stages, two runtimes: inline and Ray (a real two-node cluster) give the same events."""

from __future__ import annotations

import json
import os
import types
from pathlib import Path

import numpy as np
import pytest

import mnemo
from mnemo.runtime.inline import InlineRuntime
from mnemo.runtime.records import PacketBatch, batch_packets
from streams.packets import AudioChunk, TextCue, VideoFrame


def make_clips(folder: Path, count: int) -> list[Path]:
    from mnemo.sample import SCENES, Scene, make_sample

    clips = []
    for n in range(count):
        scenes = tuple(Scene(s.name, s.wall, s.floor, s.line, 3.0) for s in SCENES[n: n + 4])
        clips.append(make_sample(folder, scenes=scenes, seed=10 + n, name=f"clip{n}", width=320, height=180).video)
    return clips


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """Two clips, a truncated file between them, and a copy of the first at the end."""
    folder = tmp_path_factory.mktemp("clips")
    a, b = make_clips(folder, 2)
    broken = folder / "broken.mp4"
    broken.write_bytes(b.read_bytes()[:20_000])
    copy = folder / "copy.mp4"
    copy.write_bytes(a.read_bytes())
    return [str(a), str(broken), str(b), str(copy)]


@pytest.fixture(scope="module")
def inline_memory(inputs, tmp_path_factory):
    directory = tmp_path_factory.mktemp("inline") / "mem"
    runtime = InlineRuntime(directory, "lite")
    try:
        outcomes = runtime.run(inputs)
    finally:
        runtime.close()
    return directory, outcomes


def assert_same_memory(got: Path, want: Path) -> None:
    with mnemo.open(got) as a, mnemo.open(want) as b:
        mine, theirs = a.events(), b.events()
    assert [(e.id, e.stream, e.start, e.end, e.text) for e in mine] == \
        [(e.id, e.stream, e.start, e.end, e.text) for e in theirs]
    assert [[k.time for k in e.keyframes] for e in mine] == [[k.time for k in e.keyframes] for e in theirs]
    for x, y in zip(mine, theirs):
        assert x.vectors.keys() == y.vectors.keys()
        for key in x.vectors:  # stored as float16
            np.testing.assert_allclose(x.vectors[key], y.vectors[key], atol=2e-3)


# -- stages without a cluster --------------------------------------------------------------------


def test_batches_keep_audio_and_cues_before_the_frames_they_preceded():
    image = np.zeros((4, 4, 3), np.uint8)
    packets = [VideoFrame("s", 0.0, image), AudioChunk("s", 0.0, np.zeros(800, np.float32)),
               VideoFrame("s", 0.5, image), TextCue("s", 0.4, 0.9, "hi"), VideoFrame("s", 1.0, image),
               AudioChunk("s", 0.05, np.zeros(800, np.float32))]
    batches = list(batch_packets(packets, "s", position=0.5, batch_size=1))
    assert [[f.time for f in b.frames] for b in batches] == [[0.5], [1.0], []]
    assert [len(b.others) for b in batches] == [1, 1, 1] and [b.last for b in batches] == [False, False, True]
    assert batches[0].header.frames == 1 and batches[-1].header.last


def test_one_encoder_call_for_two_streams_equals_two_calls():
    from mnemo.config import load_profile
    from mnemo.runtime.stages import EncodeStage

    rng = np.random.default_rng(0)
    frames = [VideoFrame(s, t, rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)) for s in "ab" for t in range(3)]
    first, second = PacketBatch("a", 0, frames[:3]), PacketBatch("b", 0, frames[3:])
    stage = EncodeStage(load_profile("lite"))
    together = stage(first, second)
    np.testing.assert_allclose(together[0], stage(first)[0], atol=1e-6)
    np.testing.assert_allclose(together[1], stage.encode_one(second), atol=1e-6)


# -- a real cluster: a head node and a worker node that holds the perception workers ------------


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    store = 150 * 2**20
    head = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "object_store_memory": store,
                                                         "include_dashboard": False})
    head.add_node(num_cpus=1, resources={"perception": 2}, object_store_memory=store)
    head.wait_for_nodes()
    ray.init(address=head.address, include_dashboard=False, configure_logging=False)
    try:
        yield head
    finally:
        ray.shutdown()
        head.shutdown()


@pytest.mark.ray
def test_ray_on_two_nodes_gives_the_inline_events(cluster, inputs, inline_memory, tmp_path):
    import ray

    from mnemo.runtime.ray_actors import RayRuntime

    assert len([n for n in ray.nodes() if n["Alive"]]) == 2
    directory, inline_outcomes = inline_memory
    # the encoders need the worker node's "perception" resource: they run there, the writer here
    runtime = RayRuntime(tmp_path / "mem", "lite", workers=2, encoder_resources={"perception": 1})
    try:
        outcomes = runtime.run(inputs)
    finally:
        runtime.close()
    assert [o.uri for o in outcomes] == inputs
    assert [o.ok for o in outcomes] == [o.ok for o in inline_outcomes] == [True, False, True, True]
    assert outcomes[1].error == inline_outcomes[1].error and "broken.mp4" in outcomes[1].error
    assert outcomes[3].report.skipped  # the copy: same content, already ingested
    assert [o.report.events for o in outcomes if o.ok] == [o.report.events for o in inline_outcomes if o.ok]
    assert_same_memory(tmp_path / "mem", directory)


@pytest.mark.ray
def test_a_hosted_object_answers_through_an_actor(cluster):
    import ray

    from mnemo.runtime.ray_actors import host

    reasoner = host(types.SimpleNamespace, ask=len, name="counter")
    try:
        assert ray.get(reasoner.ask.remote("four")) == 4
        assert ray.get(reasoner.call.remote("__getattribute__", "name")) == "counter"
    finally:
        ray.kill(reasoner)


@pytest.mark.ray
def test_cli_job_on_the_cluster_equals_the_inline_job(cluster, inputs, inline_memory, tmp_path):
    from typer.testing import CliRunner

    from mnemo.cli import app

    directory, _ = inline_memory
    folder = Path(inputs[0]).parent
    memory = tmp_path / "job"
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    result = CliRunner().invoke(app, ["job", str(folder), "--memory", str(memory), "--ray", "--address",
                                      cluster.address, "--workers", "2", "--json", "-q"], env=env)
    assert result.exit_code == 1, result.output  # 1: the broken file failed
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert (summary["ingested"], summary["failed"], summary["skipped"], summary["runtime"]) == (2, 1, 1, "ray")
    with mnemo.open(memory) as a, mnemo.open(directory) as b:
        # the job orders files by path (broken, clip0, clip1, copy): compare per stream
        for stream in {e.stream for e in b.events()}:
            got = [(e.start, e.end, e.text) for e in a.events(stream=stream)]
            assert got == [(e.start, e.end, e.text) for e in b.events(stream=stream)]
    assert os.path.isfile(memory / "job-summary.json")


@pytest.mark.ray
def test_cli_ingest_on_ray_equals_inline(cluster, inputs, inline_memory, tmp_path):
    from typer.testing import CliRunner

    from mnemo.cli import app

    directory, _ = inline_memory
    memory = tmp_path / "ingest"
    result = CliRunner().invoke(app, ["ingest", inputs[0], inputs[1], "--memory", str(memory), "--ray",
                                      "--address", cluster.address, "-q"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 1, result.output  # 1: one of two sources failed
    assert "broken.mp4" in result.output and "ingest summary" in result.output
    with mnemo.open(memory) as a, mnemo.open(directory) as b:
        stream = a.events()[0].stream
        assert [(e.id, e.start, e.end, e.text) for e in a.events()] == \
            [(e.id, e.start, e.end, e.text) for e in b.events(stream=stream)]

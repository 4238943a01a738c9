"""The written episode: the mp4 and the bag decode and carry the stated streams, and agree with truth."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.episode import RenderConfig
from sim.export import mov_text_supported, render_episode
from sim.render import entity_code
from sim.truth import load_truth


def test_files_are_written(rendered):
    assert rendered.video.is_file() and rendered.truth.is_file() and rendered.bag.is_dir()
    assert rendered.map_video.is_file()
    assert rendered.frames == 12 * 60  # 1.5 minutes at 8 fps
    assert rendered.subtitle_stream == mov_text_supported()
    assert (rendered.subtitles is None) == rendered.subtitle_stream  # a sidecar only when mov_text is missing


def test_mp4_carries_video_audio_and_subtitles(rendered):
    import av

    truth = load_truth(rendered.truth)
    with av.open(str(rendered.video)) as container:
        kinds = {s.type: s for s in container.streams}
        assert set(kinds) >= {"video", "audio"}
        video = container.streams.video[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 160, 120)
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == rendered.frames
    heard = [u for u in truth.utterances if u.heard]
    if rendered.subtitle_stream:
        cues = []
        with av.open(str(rendered.video)) as container:
            assert container.streams.subtitles[0].codec_context.name == "mov_text"
            for packet in container.demux(subtitles=0):
                for sub in packet.decode():
                    cues.append((float(packet.pts * packet.time_base), sub.ass.decode().split(",", 8)[-1]))
        assert len(cues) == len(heard)
        for (start, text), u in zip(cues, heard):
            assert start == pytest.approx(u.start, abs=0.002)
            assert text == f"{truth.name(u.speaker)}: {u.text}"
    else:
        assert rendered.subtitles.read_text().count(" --> ") == len(heard)


def test_audio_decodes_with_sound_where_lines_are_heard(rendered):
    import av

    truth = load_truth(rendered.truth)
    with av.open(str(rendered.video)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=16000)
        chunks = [f.to_ndarray().ravel() for frame in container.decode(audio=0) for f in resampler.resample(frame)]
    samples = np.concatenate(chunks)
    assert len(samples) == pytest.approx(truth.duration * 16000, rel=0.01)
    heard = [u for u in truth.utterances if u.heard]
    assert heard, "the episode has lines the agent hears"
    for u in heard:
        speech = samples[int(u.start * 16000):int(u.end * 16000)]
        assert np.sqrt(np.mean(speech ** 2)) > 0.01  # far above the room tone (0.002)


def test_bag_reads_back_with_the_stated_topics(rendered):
    from rosbags.highlevel import AnyReader

    truth = load_truth(rendered.truth)
    with AnyReader([rendered.bag]) as reader:
        counts = {c.topic: (c.msgtype, c.msgcount) for c in reader.connections}
        assert counts["/camera/image/compressed"] == ("sensor_msgs/msg/CompressedImage", rendered.frames)
        assert counts["/odom"][0] == "nav_msgs/msg/Odometry" and counts["/odom"][1] == int(truth.duration * 20) + 1
        assert counts["/tf"][0] == "tf2_msgs/msg/TFMessage" and counts["/tf_static"][1] == 1
        assert counts["/subtitles"][1] == sum(u.heard for u in truth.utterances)
        image_conn = [c for c in reader.connections if c.topic == "/camera/image/compressed"]
        import cv2

        for conn, stamp, raw in reader.messages(connections=image_conn):
            msg = reader.deserialize(raw, conn.msgtype)
            image = cv2.imdecode(np.asarray(msg.data), cv2.IMREAD_COLOR)
            assert image.shape == (120, 160, 3) and msg.format == "jpeg"
            assert stamp == msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            break
        agent = next(p for p in truth.paths if p.entity == "agent")
        truth_conn = [c for c in reader.connections if c.topic in ("/ground_truth/odom", "/odom")]
        errors = {"/odom": [], "/ground_truth/odom": []}
        for conn, stamp, raw in reader.messages(connections=truth_conn):
            msg = reader.deserialize(raw, conn.msgtype)
            t = (stamp - int(truth.wall_clock * 1e9)) / 1e9
            x, y = np.interp(t, agent.times, agent.xs), np.interp(t, agent.times, agent.ys)
            errors[conn.topic].append(np.hypot(msg.pose.pose.position.x - x, msg.pose.pose.position.y - y))
    assert max(errors["/ground_truth/odom"]) < 1e-6
    assert 0 < max(errors["/odom"]) < 0.05 * 60  # drift, but bounded


def test_truth_agrees_with_the_decoded_video(rendered):
    """Objects truth lists as visible show their colour at their box in the decoded frames."""
    import av

    truth = load_truth(rendered.truth)
    colours = {o.id: np.array(o.rgb, float) for o in truth.objects}
    wanted = {round(o.time * truth.fps): o for o in truth.observations if any(s.entity in colours for s in o.entities)}
    checked = 0
    with av.open(str(rendered.video)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            obs = wanted.get(index)
            if obs is None:
                continue
            image = frame.to_ndarray(format="rgb24").astype(float)
            for seen in obs.entities:
                if seen.entity not in colours or seen.pixels < 12:
                    continue
                x0, y0, x1, y1 = seen.box
                patch = image[y0:y1, x0:x1].reshape(-1, 3)
                c = colours[seen.entity]
                scale = np.clip((patch @ c) / (c @ c), 0.2, 1.5)
                # some pixel in the box is the object's colour under its room's light (after H.264)
                assert np.min(np.abs(patch - scale[:, None] * c).max(axis=1)) < 40, seen.entity
                checked += 1
    assert checked >= 5


def test_same_seed_same_truth(tmp_path, rendered):
    again = render_episode(3, 1.5, tmp_path / "again", render=RenderConfig(160, 120, fps=8.0, observation_rate=4.0),
                           speech="tones", video=False, bag=False)
    assert again.truth.read_bytes() == rendered.truth.read_bytes()
    assert load_truth(again.truth) == load_truth(rendered.truth)


def test_existing_output_is_not_overwritten(rendered):
    with pytest.raises(FileExistsError, match="already exists"):
        render_episode(3, 1.5, rendered.directory)


def test_truth_json_top_level_keys(rendered):
    data = json.loads(rendered.truth.read_text())
    assert data["schema"] == "mnemo.sim.truth/1"
    assert {"events", "boundaries", "tracks", "observations", "utterances", "object_locations", "agent_rooms",
            "person_rooms", "paths"} <= set(data)


def test_sidecar_srt_when_asked(tmp_path):
    files = render_episode(2, 0.5, tmp_path, render=RenderConfig(64, 48, fps=2.0, observation_rate=1.0),
                           speech="tones", bag=False, sidecar_srt=True)
    assert files.subtitles == tmp_path / "episode.srt" and files.subtitles.is_file()


def test_mcap_bag(tmp_path):
    from rosbags.highlevel import AnyReader

    files = render_episode(2, 0.25, tmp_path, render=RenderConfig(64, 48, fps=2.0, observation_rate=1.0),
                           speech="tones", video=False, bag_storage="mcap")
    with AnyReader([files.bag]) as reader:
        assert {c.topic for c in reader.connections} >= {"/camera/image/compressed", "/odom", "/tf"}
    assert entity_code("furniture:0") == 1000


def test_sidecar_srt_when_mov_text_cannot_be_muxed(tmp_path, monkeypatch, caplog):
    import av

    import sim.export

    monkeypatch.setattr(sim.export, "mov_text_supported", lambda: False)
    files = render_episode(3, 0.75, tmp_path, render=RenderConfig(64, 48, fps=2.0, observation_rate=1.0),
                           speech="tones", bag=False)
    assert not files.subtitle_stream and files.subtitles == tmp_path / "episode.srt"
    assert "cannot mux mov_text" in caplog.text
    with av.open(str(files.video)) as container:
        assert not container.streams.subtitles
    heard = [u for u in load_truth(files.truth).utterances if u.heard]
    assert files.subtitles.read_text().count(" --> ") == len(heard)


def test_mp4_is_deterministic(tmp_path):
    config = RenderConfig(64, 48, fps=4.0, observation_rate=2.0)
    a = render_episode(4, 0.5, tmp_path / "a", render=config, speech="tones", bag=False)
    b = render_episode(4, 0.5, tmp_path / "b", render=config, speech="tones", bag=False)
    assert a.video.read_bytes() == b.video.read_bytes()

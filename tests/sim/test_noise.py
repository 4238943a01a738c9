"""The sim perception backend: defaults look like EVAL.md, and every knob changes what it says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.noise import NoiseConfig, SimPerception, misspell, recognise, word_error_rate


def _true(dets):
    return [d for d in dets if d.true_id is not None]


def _miss_rate(truth, dets):
    return 1 - len(_true(dets)) / sum(len(o.entities) for o in truth.observations)


def _labels(truth):
    labels = {f.id: f.category for f in truth.furniture}
    labels.update({o.id: o.category for o in truth.objects})
    labels.update({p.id: "person" for p in truth.people})
    return labels


def test_defaults_follow_eval_md(short_episode):
    truth = short_episode.truth
    perception = SimPerception(truth)
    dets = perception.detections()
    assert _miss_rate(truth, dets) == pytest.approx(0.15, abs=0.03)
    # false boxes stand for seconds, so one run's share swings with few of them: the mean of five runs
    shares = [1 - len(_true(d)) / len(d) for d in (SimPerception(truth, seed=s).detections() for s in range(5))]
    assert np.mean(shares) == pytest.approx(0.05, abs=0.015)
    labels = _labels(truth)
    confused = [d.label != labels[d.true_id] for d in _true(dets) if labels[d.true_id] != "person"]
    assert np.mean(confused) == pytest.approx(0.05, abs=0.02)
    assert NoiseConfig() != NoiseConfig.clean()


def test_false_detections_stand_at_one_place_for_seconds(short_episode):
    truth = short_episode.truth
    false = [d for d in SimPerception(truth, NoiseConfig(false_rate=0.2)).detections() if d.true_id is None]
    tracks: dict[int, list] = {}
    for d in false:
        tracks.setdefault(d.track_id, []).append(d)
    spans = [ds[-1].time - ds[0].time for ds in tracks.values()]
    assert np.mean(spans) == pytest.approx(3.0, rel=0.4)  # false_persist_s
    for ds in tracks.values():  # one label, one place (within position noise) for the track's life
        assert len({d.label for d in ds}) == 1
        assert max(math.dist(d.position, ds[0].position) for d in ds) < 0.5


def test_a_confused_label_lasts_as_long_as_its_track(short_episode):
    truth = short_episode.truth
    labels = _labels(truth)
    tracks: dict[int, set] = {}
    for d in _true(SimPerception(truth, NoiseConfig(confusion_rate=0.3, swap_rate=0.0)).detections()):
        tracks.setdefault(d.track_id, set()).add(d.label == labels[d.true_id])
    assert all(len(right) == 1 for right in tracks.values())  # never right and wrong within one track
    assert any(right == {False} for right in tracks.values())


def test_small_things_are_missed_more(short_episode):
    truth = short_episode.truth
    dets = SimPerception(truth, NoiseConfig(miss_rate=0.3)).detections()
    kept = {(d.time, d.true_id) for d in _true(dets)}
    small = [(o.time, s.entity) in kept for o in truth.observations for s in o.entities if s.pixels < 60]
    large = [(o.time, s.entity) in kept for o in truth.observations for s in o.entities if s.pixels > 600]
    assert 1 - np.mean(small) > 1 - np.mean(large) + 0.1


@pytest.mark.parametrize("rate", [0.05, 0.3, 0.6])
def test_missed_detection_knob(short_episode, rate):
    truth = short_episode.truth
    measured = _miss_rate(truth, SimPerception(truth, NoiseConfig(miss_rate=rate)).detections())
    assert measured == pytest.approx(rate, abs=0.04)


@pytest.mark.parametrize("rate", [0.0, 0.2])
def test_false_detection_and_confusion_knobs(short_episode, rate):
    truth = short_episode.truth
    # false detections stand for seconds and labels are confused per track: few independent draws in
    # five minutes, so the shares are measured over four perception seeds
    dets = [d for seed in range(4)
            for d in SimPerception(truth, NoiseConfig(false_rate=rate, confusion_rate=rate), seed=seed).detections()]
    assert 1 - len(_true(dets)) / len(dets) == pytest.approx(rate, abs=0.03)
    labels = _labels(truth)
    confused = [d.label != labels[d.true_id] for d in _true(dets) if labels[d.true_id] != "person"]
    assert np.mean(confused) == pytest.approx(rate, abs=0.05)
    plausible = set(labels.values())
    assert all(d.label in plausible for d in dets if d.true_id is None)


def test_identity_swap_knob(short_episode):
    truth = short_episode.truth
    for rate in (2.0, 6.0):  # high rates, so that a five-minute episode holds enough swaps to measure
        perception = SimPerception(truth, NoiseConfig(swap_rate=rate))
        track_minutes = len(_true(perception.detections())) / truth.observation_rate / 60
        assert perception.swaps / track_minutes == pytest.approx(rate, rel=0.25)
    quiet = SimPerception(truth, NoiseConfig(swap_rate=0.0))
    quiet.detections()
    assert quiet.swaps == 0


def test_appearance_vectors_are_ambiguous_but_informative(short_episode):
    dets = _true(SimPerception(short_episode.truth).detections())
    by = {}
    for d in dets:
        by.setdefault(d.true_id, []).append(d.appearance)
    rng = np.random.default_rng(0)
    keys = sorted(by)
    same, different = [], []
    for _ in range(3000):
        a, b = keys[rng.integers(len(keys))], keys[rng.integers(len(keys))]
        if len(by[a]) > 1:
            i, j = rng.choice(len(by[a]), 2, replace=False)
            same.append(float(by[a][i] @ by[a][j]))
        if a != b:
            different.append(float(by[a][rng.integers(len(by[a]))] @ by[b][rng.integers(len(by[b]))]))
    assert 0.7 <= np.mean(same) <= 0.9
    assert 0.2 <= np.mean(different) <= 0.6
    assert np.percentile(same, 5) < np.percentile(different, 95)  # the tails overlap
    assert all(abs(np.linalg.norm(d.appearance) - 1) < 1e-5 for d in dets[:50])


def test_position_noise_and_odometry_drift(short_episode):
    truth = short_episode.truth
    perception = SimPerception(truth, NoiseConfig(odometry_drift=0.0, heading_drift=0.0))
    errors, expected, near, far = [], [], [], []
    agent = next(p for p in truth.paths if p.entity == "agent")
    for obs in truth.observations:
        where = {s.entity: s.position for s in obs.entities}
        camera = (np.interp(obs.time, agent.times, agent.xs), np.interp(obs.time, agent.times, agent.ys))
        for d in perception.detections_at(obs.time):
            if d.true_id:
                error, distance = math.dist(d.position, where[d.true_id]), math.dist(camera, where[d.true_id])
                errors.append(error)
                # 2-D error of two N(0, s) coordinates, s = 0.05 m + 5% of the distance: mean s * sqrt(pi / 2)
                expected.append((0.05 + 0.05 * distance) * math.sqrt(math.pi / 2))
                (near if distance < 2.0 else far if distance > 4.0 else []).append(error)
    assert np.mean(errors) == pytest.approx(np.mean(expected), rel=0.15)
    assert np.mean(far) > 1.5 * np.mean(near)  # the error grows with range
    odometry = SimPerception(truth).odometry(rate=10)
    agent = next(p for p in truth.paths if p.entity == "agent")
    x, y = np.interp(odometry.times, agent.times, agent.xs), np.interp(odometry.times, agent.times, agent.ys)
    walked = np.concatenate([[0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    error = np.hypot(odometry.xs - x, odometry.ys - y)
    far = walked > 10
    assert 0.004 < np.median(error[far] / walked[far]) < 0.025  # about 1-2 % of the distance


def test_asr_word_errors_and_speaker_attribution(short_episode, long_truth):
    truth = long_truth
    segments = SimPerception(truth).transcripts()
    assert len(segments) == sum(u.heard for u in truth.utterances) > 20
    wer = np.mean([word_error_rate(s.true_text, s.text) for s in segments])
    assert 0.05 < wer < 0.2
    voices = SimPerception(truth).voices()
    assert sorted(voices.values()) == sorted(f"voice:{k + 1}" for k in range(len(truth.people)))
    wrong = [s.speaker != voices[s.true_speaker] for seed in range(5)
             for s in SimPerception(truth, NoiseConfig(misattribution=0.4), seed=seed).transcripts()]
    assert np.mean(wrong) == pytest.approx(0.4, abs=0.08)
    right = SimPerception(truth, NoiseConfig(misattribution=0.0)).transcripts()
    assert all(s.speaker == voices[s.true_speaker] for s in right)
    assert right[0].speaker == "voice:1"  # numbered as first heard, never named


def test_wer_knob_on_many_lines():
    rng = np.random.default_rng(3)
    lines = ["Alice, could you bring the red mug to the kitchen?", "I put the blue keys on the shelf in the bedroom.",
             "Let's meet in the living room at 10:30.", "Don't forget to water the plants at 9:15."] * 200
    vocabulary = sorted({w.strip(",.?") for line in lines for w in line.split()})
    for wer in (0.05, 0.12, 0.3):
        measured = np.mean([word_error_rate(t, recognise(t, wer, rng, vocabulary, {"Alice"})) for t in lines])
        assert measured == pytest.approx(wer, abs=0.025)


def test_names_are_misspelt_not_replaced():
    rng = np.random.default_rng(0)
    out = {misspell("Alice", rng) for _ in range(30)}
    assert "Alice" not in out or len(out) > 1
    assert all(abs(len(o) - 5) <= 1 for o in out)


def test_clean_setting_reports_the_truth(short_episode):
    truth = short_episode.truth
    perception = SimPerception(truth, NoiseConfig.clean())
    dets = perception.detections()
    assert len(dets) == sum(len(o.entities) for o in truth.observations)
    labels = _labels(truth)
    assert all(d.label == labels[d.true_id] for d in dets)
    assert all(s.text == s.true_text for s in perception.transcripts())


def test_deterministic_by_seed(short_episode):
    truth = short_episode.truth
    a = SimPerception(truth, seed=1).detections()
    b = SimPerception(truth, seed=1).detections()
    c = SimPerception(truth, seed=2).detections()
    assert [(d.time, d.label, d.track_id, d.box) for d in a] == [(d.time, d.label, d.track_id, d.box) for d in b]
    assert [(d.time, d.label) for d in a] != [(d.time, d.label) for d in c]


@pytest.mark.parametrize("kwargs, field", [({"miss_rate": 1.0}, "miss_rate"), ({"asr_wer": -0.1}, "asr_wer"),
                                           ({"appearance_dim": 4}, "appearance_dim")])
def test_bad_noise_config_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=f"NoiseConfig.{field}="):
        NoiseConfig(**kwargs)


def _open_at(truth, furniture: str, t: float) -> bool:
    return any(s.furniture == furniture and s.start <= t < s.end for s in truth.open_spans)


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3])
def test_container_states_are_read_with_the_state_error(long_truth, rate):
    """Containers get open/closed as the truth's open spans say, wrong on ``state_error`` of readings;
    other things get no state, and the rest of what perception says is the same with or without errors."""
    containers = {f.id for f in long_truth.furniture if f.container}
    dets = SimPerception(long_truth, NoiseConfig(state_error=rate)).detections()
    read = [d for d in dets if d.state]
    assert read and {d.true_id for d in read} <= containers
    assert all(d.state in ("open", "closed") for d in read)
    assert all(not d.state for d in dets if d.true_id not in containers)
    wrong = [(d.state == "open") != _open_at(long_truth, d.true_id, d.time) for d in read]
    assert np.mean(wrong) == pytest.approx(rate, abs=0.03)
    assert any(_open_at(long_truth, d.true_id, d.time) for d in read)  # some readings fall in open spans
    clean_states = SimPerception(long_truth, NoiseConfig(state_error=0.0)).detections()
    assert [(d.time, d.label, d.position) for d in dets] == [(d.time, d.label, d.position) for d in clean_states]

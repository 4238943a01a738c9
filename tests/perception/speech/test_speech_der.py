"""DER against hand-computed cases: misses, false alarms, confusion, collars, overlap, mapping."""

import io

import numpy as np
import pytest

from perception.speech.der import Turn, diarization_error, read_rttm, total_error, write_rttm


def T(start, end, who):  # noqa: N802 - a short constructor reads best in the tables below
    return Turn(start, end, who)


def check(result, total, missed=0.0, false_alarm=0.0, confusion=0.0):
    assert result.total == pytest.approx(total)
    assert result.missed == pytest.approx(missed)
    assert result.false_alarm == pytest.approx(false_alarm)
    assert result.confusion == pytest.approx(confusion)
    errors = missed + false_alarm + confusion
    assert result.der == pytest.approx(errors / total if total else 0.0)


def test_perfect_up_to_renaming():
    ref = [T(0, 10, "A"), T(10, 20, "B")]
    check(diarization_error(ref, [T(0, 10, "x"), T(10, 20, "y")], collar=0), 20)
    assert diarization_error(ref, [T(0, 10, "x"), T(10, 20, "y")], collar=0).mapping == {"x": "A", "y": "B"}


def test_one_speaker_for_two_is_confusion():
    ref = [T(0, 10, "A"), T(10, 20, "B")]
    check(diarization_error(ref, [T(0, 20, "x")], collar=0), 20, confusion=10)


def test_miss_and_false_alarm():
    check(diarization_error([T(0, 10, "A")], [T(0, 5, "x")], collar=0), 10, missed=5)
    check(diarization_error([T(0, 10, "A")], [T(0, 10, "x"), T(20, 22, "y")], collar=0), 10, false_alarm=2)
    check(diarization_error([T(0, 10, "A")], [], collar=0), 10, missed=10)
    check(diarization_error([], [], collar=0), 0)
    assert diarization_error([], [T(0, 1, "x")], collar=0).der == float("inf")


def test_collar_excludes_both_sides_of_every_reference_boundary():
    # boundaries at 0 and 10: [-0.25, 0.25) and [9.75, 10.25) are not scored
    check(diarization_error([T(0, 10, "A")], [T(0, 5, "x")], collar=0.25), 9.5, missed=4.75)
    # an error entirely inside a collar is free
    check(diarization_error([T(0, 10, "A")], [T(0.2, 10.2, "x")], collar=0.25), 9.5)
    check(diarization_error([T(0, 10, "A")], [T(0.2, 10.2, "x")], collar=0.0), 10, missed=0.2, false_alarm=0.2)


def test_overlap_counts_once_per_speaker():
    ref = [T(0, 10, "A"), T(5, 10, "B")]  # 15 s of reference speech
    check(diarization_error(ref, [T(0, 10, "x")], collar=0), 15, missed=5)
    check(diarization_error(ref, [T(0, 10, "x"), T(5, 10, "y")], collar=0), 15)
    # x -> A (5 s) and y -> B (5 s) beat y -> A: [5, 10) has one of its two speakers right
    check(diarization_error(ref, [T(0, 5, "x"), T(5, 10, "y")], collar=0), 15, missed=5)
    # two hypothesis speakers where there is one: a false alarm, not a confusion
    check(diarization_error([T(0, 10, "A")], [T(0, 10, "x"), T(0, 4, "y")], collar=0), 10, false_alarm=4)


def test_mapping_is_one_to_one_and_optimal():
    ref = [T(0, 10, "A")]
    result = diarization_error(ref, [T(0, 6, "x"), T(6, 10, "y")], collar=0)
    check(result, 10, confusion=4)
    assert result.mapping == {"x": "A"}
    # greedy (largest overlap first) takes x -> A (5 s) and then y -> B (0 s); optimal is
    # x -> B (4 s) and y -> A (4 s)
    ref = [T(0, 9, "A"), T(9, 13, "B")]
    hyp = [T(0, 5, "x"), T(9, 13, "x"), T(5, 9, "y")]
    result = diarization_error(ref, hyp, collar=0)
    assert result.mapping == {"x": "B", "y": "A"}
    check(result, 13, confusion=5)


def test_same_speaker_overlapping_turns_merge_and_uem_restricts():
    ref = [T(0, 6, "A"), T(4, 10, "A")]
    check(diarization_error(ref, [T(0, 10, "x")], collar=0), 10)
    check(diarization_error([T(0, 10, "A")], [T(0, 5, "x")], collar=0, uem=(0, 6)), 6, missed=1)


def test_brute_force_agrees_on_random_cases():
    """A 1 ms frame count, with the mapping found by trying every permutation."""
    from itertools import permutations

    rng = np.random.default_rng(0)
    for _ in range(20):
        ref = [T(*sorted(rng.uniform(0, 10, 2)), str(rng.integers(3))) for _ in range(5)]
        hyp = [T(*sorted(rng.uniform(0, 10, 2)), "h" + str(rng.integers(3))) for _ in range(5)]
        grid = (np.arange(10_000) + 0.5) / 1000
        active = lambda turns, who: np.any([(grid >= t.start) & (grid < t.end) for t in turns if t.speaker == who] or [np.zeros_like(grid, bool)], axis=0)  # noqa: E731
        refs = sorted({t.speaker for t in ref})
        hyps = sorted({t.speaker for t in hyp})
        R = np.array([active(ref, s) for s in refs])
        H = np.array([active(hyp, s) for s in hyps])
        n_ref, n_hyp = R.sum(0), H.sum(0)
        best = -1.0
        for perm in permutations(range(max(len(refs), len(hyps)))):
            right = sum((R[r] & H[h]).sum() for h, r in enumerate(perm) if h < len(hyps) and r < len(refs))
            best = max(best, right)
        errors = np.maximum(n_ref - n_hyp, 0).sum() + np.maximum(n_hyp - n_ref, 0).sum() + np.minimum(n_ref, n_hyp).sum() - best
        result = diarization_error(ref, hyp, collar=0)
        assert result.total == pytest.approx(n_ref.sum() / 1000, abs=0.02)
        assert result.missed + result.false_alarm + result.confusion == pytest.approx(errors / 1000, abs=0.03)


def test_rttm_round_trip_and_totals(tmp_path):
    turns = [T(1.5, 3.25, "MÉO069"), T(0.0, 1.0, "spk 2".replace(" ", "_"))]
    text = write_rttm(turns, "meeting", tmp_path / "m.rttm")
    assert text.splitlines()[0] == "SPEAKER meeting 1 0.000 1.000 <NA> <NA> spk_2 <NA> <NA>"
    assert read_rttm(tmp_path / "m.rttm") == {"meeting": sorted(turns, key=lambda t: t.start)}
    assert read_rttm(io.StringIO("SPKR-INFO x 1 <NA> <NA> <NA> unknown A <NA> <NA>\n")) == {}
    with pytest.raises(ValueError, match="line 1"):
        read_rttm(io.StringIO("SPEAKER x 1 zero 1.0 <NA> <NA> A <NA> <NA>\n"))
    a = diarization_error([T(0, 10, "A")], [T(0, 5, "x")], collar=0)
    b = diarization_error([T(0, 10, "A")], [T(0, 10, "x")], collar=0)
    assert total_error([a, b]).der == pytest.approx(5 / 20)

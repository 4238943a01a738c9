"""The simulator's speech as `mnemo eval --suite sim` hears it (issue #26): the episode's lines rendered by
espeak-ng (a voice per person, sim/audio.py) through the `standard` profile's speech stack (Silero VAD,
GE2E voices, faster-whisper base). Oracles: the scripted words (word error rate) and the number of
people who spoke."""

from __future__ import annotations

import dataclasses

import pytest

from mnemo.config import load_profile
from mnemo.speech import SpeechStage
from sim import ScenarioConfig, espeak_available
from sim.audio import AudioTrack
from sim.episode import plan
from sim.noise import word_error_rate
from streams.packets import AUDIO_RATE, AudioChunk

SEED = 9
GAP = 0.6  # seconds of room tone between two lines
# 0.17 when written, all three voices apart (whisper base on espeak-ng: "moved" heard as "roved", "the bike"
# as "my mic", "10:30" written "10.30")
MAX_WER = 0.25


def _script(seed: int) -> tuple:
    """A short scene of the simulator's own lines, one by each of three people, said one after another in
    the agent's room (lines of at least five words, as the scenario planned them)."""
    _, scenario = plan(seed, 4.0, scenario=ScenarioConfig(silent_people=0))
    chosen, speakers = [], set()
    for u in scenario.utterances:
        if u.speaker not in speakers and len(u.text.split()) >= 5:
            speakers.add(u.speaker)
            chosen.append(u)
    at, lines = 0.4, []
    for u in chosen:
        length = u.end - u.start
        lines.append(dataclasses.replace(u, start=at, end=at + length, heard=True, distance=1.0,
                                         room=scenario.agent_room(0.0)))
        at += length + GAP
    config = dataclasses.replace(scenario.config, duration=at + 0.4)
    return dataclasses.replace(scenario, utterances=tuple(lines), config=config), lines


@pytest.fixture(scope="module")
def heard():
    """(scripted lines, utterances the standard profile's speech stack made of their rendered audio)."""
    if not espeak_available():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; scripts/setup.sh does)")
    scenario, lines = _script(SEED)
    samples = AudioTrack(scenario, "espeak").render(0.0, scenario.duration)
    stage = SpeechStage(load_profile("standard").speech)
    if stage.transcriber is None or stage.diarizer is None:
        pytest.skip("the standard profile's speech models are not installed (mnemo models; docs/models.md)")
    # as ingest runs it: the audio heard as it arrives (recognised in batches), then the span's voices
    for k in range(0, len(samples), AUDIO_RATE):
        stage.hear(AudioChunk("sim", k / AUDIO_RATE, samples[k:k + AUDIO_RATE]))
    stage.finish_hearing()
    return lines, stage.process("sim", samples, 0.0, [])


def test_the_rendered_lines_are_recognised_word_for_word_within_the_bound(heard):
    lines, utterances = heard
    assert len({u.speaker for u in lines}) == 3
    said = " ".join(u.text for u in utterances if u.origin == "asr")
    wer = word_error_rate(" ".join(u.text for u in lines), said)
    assert wer <= MAX_WER, (wer, said)
    for line in lines:  # each line is heard where it was said
        assert any(u.origin == "asr" and u.start < line.end and u.end > line.start for u in utterances), line


def test_each_person_is_one_voice_give_or_take_one_and_never_a_name(heard):
    lines, utterances = heard
    voices = {u.voice for u in utterances if u.voice}
    assert abs(len(voices) - len({u.speaker for u in lines})) <= 1, voices
    assert all(v.startswith("voice:") for v in voices)

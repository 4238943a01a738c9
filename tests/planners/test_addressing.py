"""Voices named by conversation: the one called by name answers."""

from __future__ import annotations

import pytest

from planners.addressing import addressed, canonical, name_lines, same_name, sound, voice_names, votes


@pytest.mark.parametrize("text, name", [
    ("Maria, have you got a minute?", "Maria"),
    ("Hi Bob.", "Bob"),
    ("Thanks, Carol!", "Carol"),
    ("hello Dana, let's meet at ten.", "Dana"),
    ("Hi there, Eve.", "Eve"),  # a recogniser's punctuation and an opener before the name
    ("Excuse me Frank, is this yours?", "Frank"),
    ("Could you pass me the salt, Gina?", "Gina"),  # called at the end
    ("I saw it on the table, Hugo.", "Hugo"),
    ("Ivan. Can you come here?", "Ivan"),  # the recogniser ended a sentence after the name
    ("Hello, Ned, Bob.", "Bob"),  # a greeting misheard ("Hello there, Bob."): the name ends it
    ("Bob, here is the mug, Alice.", "Bob"),  # a longer line: the name it opens with
    ("The Low Carol.", "Carol"),  # "Hello Carol." misheard: a short line ending in a name, no comma
    ("Good morning Bob!", "Bob"),
    ("Ask Bob.", None),  # a short line ending in a name spoken of, not called
    ("Where's Bob?", None),
    ("I saw Carol.", None),
    ("In the Kitchen.", None),
    ("But no, I'm Carol.", None),  # an introduction names its speaker, it calls nobody
    ("The Low Mom.", None),  # kin words call someone, but are no names
    ("We can do it tomorrow, Monday.", None),  # days are no names
    ("Coming!", None),  # a word alone answers more often than it calls
    ("Done, it is on the shelf.", None),
    ("Yes, I saw it.", None),
    ("Sure.", None),
    ("Let's meet in the kitchen.", None),
    ("I think it is in the office.", None),
    ("Has anyone seen the keys?", None),
    ("", None),
])
def test_who_a_line_calls_by_name(text, name):
    assert addressed(text) == name


def _conversation() -> list[tuple[float, float, str, str]]:
    """voice:1 is Alice, voice:2 Bob, voice:3 Carol (never named by anyone: she is never addressed)."""
    return [
        (0.0, 2.0, "Bob, have you got a minute?", "voice:1"),
        (3.0, 4.0, "Sure.", "voice:2"),
        (10.0, 11.0, "Hi Alice.", "voice:2"),
        (12.0, 13.0, "Hello.", "voice:1"),
        (20.0, 21.0, "Bob, let's meet at ten.", "voice:3"),
        (22.0, 23.0, "Fine.", "voice:2"),
        (30.0, 31.0, "Alice, here is the mug.", "voice:2"),
        (32.0, 33.0, "Thanks.", "voice:1"),
        (40.0, 41.0, "Carol, has anyone seen the keys?", "voice:1"),  # unanswered: nobody else speaks soon
        (60.0, 61.0, "I like the new fridge.", "voice:3"),
    ]


def test_votes_count_answers_for_and_the_caller_against():
    tally = votes(_conversation())
    assert tally[("voice:2", "Bob")] == 2 and tally[("voice:1", "Bob")] == -1 and tally[("voice:3", "Bob")] == -1
    assert tally[("voice:1", "Alice")] == 2 and tally[("voice:2", "Alice")] == -2
    assert tally[("voice:1", "Carol")] == -1 and ("voice:3", "Carol") not in tally


def test_names_go_one_to_one_to_voices_with_enough_votes():
    assert voice_names(_conversation()) == {"voice:1": "Alice", "voice:2": "Bob"}
    # a voice a user named keeps its name, and that name is not given to another voice
    assert voice_names(_conversation(), taken={"voice:2": "Robert"}) == {"voice:1": "Alice"}


def test_lines_are_relabelled_and_the_unnamed_keep_their_voice():
    named = name_lines(_conversation())
    assert [line[3] for line in named] == ["Alice", "Bob", "Bob", "Alice", "voice:3", "Bob", "Bob", "Alice",
                                           "Alice", "voice:3"]
    plain = [(0.0, 1.0, "Bob, hi.", "Alice"), (2.0, 3.0, "Hi.", "Bob")]
    assert name_lines(plain) == plain  # names already: nothing to do


def test_only_lines_up_to_a_time_name_voices():
    """Causal: what is named at t uses the lines heard by t."""
    early = [line for line in _conversation() if line[1] <= 5.0]
    assert voice_names(early) == {"voice:2": "Bob"}  # Alice not yet answered to
    assert voice_names([line for line in _conversation() if line[1] <= 2.0]) == {}  # nobody answered yet


def test_spellings_of_one_name_are_read_as_one():
    """A recogniser spells a name as it hears it: alike spellings (one first letter) are one name, the
    memory's own spelling first, else the one heard most."""
    assert same_name("Carol", "Carl") and same_name("Carol", "carroll") and not same_name("Bob", "Rob")
    assert not same_name("voice:1", "voice:1")
    assert canonical(["Carl", "Carol", "Carol", "Bob"]) == {"Carl": "Carol", "Carol": "Carol", "Bob": "Bob"}
    assert canonical(["Carl", "Carol"], known=["Carroll"]) == {"Carl": "Carroll", "Carol": "Carroll"}


def test_names_alike_in_sound_are_one():
    """A recogniser spells one name many ways, from one first sound written with other letters too."""
    assert sound("Karol") == sound("Carol") == "karol" and sound("Philip") == "filip" and sound("Chris") == "kris"
    assert same_name("Karol", "Carol") and same_name("Kalo", "Carlo") and same_name("Alyce", "Alice")
    assert not same_name("Bob", "Mom") and not same_name("Carol", "Sarah") and not same_name("Cecil", "Carl")
    # of spellings heard as often, the one most alike to the others stands for them
    assert set(canonical(["Kalo", "Carlo", "Carlok", "Carlos"]).values()) == {"Carlo"}


def test_a_name_called_in_an_answer_is_the_answered_voice_s():
    """ "Hello Bob." - "Hi, Alice.": the second line answers the first, so Alice is the voice it answers; the
    next voice after it (voice:3 here) may be anyone, so one exchange splits that vote and names nobody
    Alice; a second exchange where voice:1 is called Alice again names it."""
    lines = [
        (0.0, 1.0, "Hello Bob.", "voice:1"),
        (1.3, 2.3, "Hi, Alice.", "voice:2"),
        (5.0, 7.0, "I left the keys in the car.", "voice:3"),
    ]
    tally = votes(lines)
    assert tally[("voice:2", "Bob")] == 1 and tally[("voice:1", "Alice")] == 0.5 and tally[("voice:3", "Alice")] == 0.5
    assert voice_names(lines) == {"voice:2": "Bob"}
    again = lines + [(60.0, 61.0, "Alice, have you seen my phone?", "voice:3"), (62.0, 63.0, "No, sorry.", "voice:1")]
    assert voice_names(again) == {"voice:2": "Bob", "voice:1": "Alice"}
    # the voice answered and the voice answering agree: a whole vote
    agree = [(0.0, 1.0, "Morning.", "voice:1"), (1.2, 2.0, "Morning, Dana.", "voice:2"), (3.0, 4.0, "Hi.", "voice:1")]
    assert votes(agree)[("voice:1", "Dana")] == 1


def test_misheard_names_still_name_one_voice():
    lines = [
        (0.0, 2.0, "Carol, could you help me?", "voice:1"),
        (3.0, 4.0, "Sure.", "voice:2"),
        (10.0, 11.0, "Thanks, Carl.", "voice:1"),  # the same name, misheard
        (12.0, 13.0, "You're welcome.", "voice:2"),
    ]
    assert votes(lines)[("voice:2", "Carol")] == 2
    assert voice_names(lines) == {"voice:2": "Carol"}
    # a user named someone Caroline: the heard spellings are hers (alike), and her voice is not given again
    assert voice_names(lines, taken={"voice:7": "Caroline"}) == {}


def test_introductions_name_their_own_voice_and_outweigh_an_answer():
    lines = [
        (0.0, 2.0, "Hello everyone, my name is Dana.", "voice:1"),
        (5.0, 6.0, "Dana, nice to meet you.", "voice:2"),  # answered by voice:3 below: one vote for it
        (7.0, 8.0, "Likewise.", "voice:3"),
        (20.0, 21.0, "Hi, Eve here. This is Frank, my colleague.", "voice:3"),  # Frank is introduced, not her
    ]
    assert voice_names(lines) == {"voice:1": "Dana", "voice:3": "Eve"}


# A short dialogue written for this test (not the simulator's lines), each line in its speaker's espeak-ng
# voice, heard by the standard profile's speech stack: Silero VAD, GE2E voices, faster-whisper base.
DIALOGUE = [  # (speaker, espeak-ng voice, pitch, line)
    ("Maria", "en+f3", 70, "Good morning everyone, my name is Maria."),
    ("Maria", "en+f3", 70, "Thomas, could you open the window, please?"),
    ("Thomas", "en+m3", 20, "Of course, I will do it right away."),
    ("Thomas", "en+m3", 20, "The window is open now, it was very warm in here."),
    ("Maria", "en+f3", 70, "That is much better, thank you."),
]


@pytest.fixture(scope="module")
def heard_dialogue():
    """(who said each line, (start, end, text, voice) of what the speech stack made of the audio)."""
    import io
    import shutil
    import subprocess
    import wave

    import numpy as np

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; scripts/setup.sh does)")
    from mnemo.config import load_profile
    from mnemo.speech import SpeechStage
    from streams.packets import AUDIO_RATE, AudioChunk

    stage = SpeechStage(load_profile("standard").speech)
    if stage.transcriber is None or stage.diarizer is None:
        pytest.skip("the standard profile's speech models are not installed (mnemo models; docs/models.md)")
    rng = np.random.default_rng(0)
    parts, spans, at = [np.zeros(AUDIO_RATE // 2, np.float32)], [], 0.5
    for speaker, voice, pitch, line in DIALOGUE:
        wav = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "165", "--stdout", line],
                             capture_output=True, check=True, timeout=30).stdout
        with wave.open(io.BytesIO(wav)) as w:
            rate, data = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), np.int16) / 32768.0
        clip = np.interp(np.arange(0, len(data), rate / AUDIO_RATE), np.arange(len(data)), data).astype(np.float32)
        parts += [clip * 0.5 / np.abs(clip).max(), np.zeros(int(0.8 * AUDIO_RATE), np.float32)]
        spans.append((speaker, at, at + len(clip) / AUDIO_RATE))
        at += len(clip) / AUDIO_RATE + 0.8
    samples = np.concatenate(parts)
    samples += rng.standard_normal(len(samples)).astype(np.float32) * 0.002  # a faint room tone
    for k in range(0, len(samples), AUDIO_RATE):
        stage.hear(AudioChunk("talk", k / AUDIO_RATE, samples[k:k + AUDIO_RATE]))
    stage.finish_hearing()
    utterances = stage.process("talk", samples, 0.0, [])
    return spans, [(u.start, u.end, u.text, u.voice or "") for u in utterances if u.origin == "asr" and u.text]


def test_voices_heard_in_a_rendered_dialogue_are_named_by_what_is_said(heard_dialogue):
    """Maria introduces herself; Thomas is called by name and answers: each voice gets its speaker's name,
    from the recogniser's own words and the diariser's voices, and no voice gets another's."""
    spans, lines = heard_dialogue
    assert lines and all(v.startswith("voice:") for *_, v in lines)
    names = voice_names(lines)
    truth = {}
    for start, end, _, voice in lines:
        said = max(spans, key=lambda s: min(end, s[2]) - max(start, s[1]))
        truth.setdefault(voice, said[0])
    assert names and all(truth[voice] == name for voice, name in names.items()), (names, truth, lines)
    assert set(names.values()) == {"Maria", "Thomas"}, (names, lines)

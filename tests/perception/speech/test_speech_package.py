import subprocess
import sys

import perception.speech as speech


def test_import_is_cheap_and_layered():
    """`import perception.speech` pulls neither torch nor whisper, nor any higher layer."""
    code = (
        "import sys, perception.speech as s\n"
        "heavy = [m for m in ('torch', 'whisper', 'webrtcvad', 'memory', 'planners', 'mnemo', 'ray') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert s.list_vads() == ['energy', 'silero', 'webrtc']\n"
        "assert s.list_transcribers() == ['faster-whisper', 'whisper']\n"
        "assert s.list_voice_embedders() == ['campplus', 'ge2e', 'spectral']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_whole_speech_path_never_imports_higher_layers():
    code = (
        "import sys\n"
        "import perception.speech.whisper_backend, perception.speech.faster_whisper_backend\n"
        "import perception.speech.diarize, perception.speech.der\n"
        "bad = [m for m in ('memory', 'planners', 'mnemo', 'ray') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_lazy_exports():
    from perception.speech.whisper_backend import WhisperTranscriber

    assert speech.WhisperTranscriber is WhisperTranscriber
    assert speech.TINY_TEST_MODEL == "mnemo-tiny-whisper"
    assert set(speech.__all__) >= {"create_vad", "create_transcriber", "Diarizer", "diarization_error"}
    try:
        speech.nope  # noqa: B018
    except AttributeError as error:
        assert "no attribute 'nope'" in str(error)
    else:
        raise AssertionError("expected AttributeError")

import subprocess
import sys

import perception


def test_import_is_cheap():
    """`import perception` must not pull torch or model libraries: they load with a model."""
    code = (
        "import sys, perception\n"
        "heavy = [m for m in ('torch', 'open_clip', 'sentence_transformers', 'cv2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert perception.list_frame_encoders() == ['descriptor', 'openclip', 'parts']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_lazy_exports():
    from perception.encoders.descriptor import DescriptorEncoder

    assert perception.DescriptorEncoder is DescriptorEncoder
    assert set(perception.__all__) >= {"create_frame_encoder", "OpenClipEncoder", "MiniLMEmbedder"}


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        perception.nope  # noqa: B018

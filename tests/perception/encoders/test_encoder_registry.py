import numpy as np
import pytest

from perception.encoders.base import FrameEncoder
from perception.encoders.registry import create_frame_encoder, list_frame_encoders, register_frame_encoder
from perception.errors import UnknownComponent


def test_builtins_are_listed():
    assert {"descriptor", "openclip"} <= set(list_frame_encoders())


def test_unknown_frame_encoder_lists_names():
    with pytest.raises(UnknownComponent, match=r"unknown frame encoder 'x'; available: descriptor, openclip"):
        create_frame_encoder("x")


def test_register_a_plugin():
    @register_frame_encoder("test-grey-mean")
    class GreyMean(FrameEncoder):
        space, dim, frame_size = "grey-mean:v1", 1, 16

        def encode_frames(self, images):
            return np.ones((len(images), 1), dtype=np.float32)

    encoder = create_frame_encoder("test-grey-mean")
    assert isinstance(encoder, GreyMean)
    assert "test-grey-mean" in list_frame_encoders()


def test_unknown_option_names_it():
    with pytest.raises(TypeError, match="unknown option.*colour_bins.*known: frame_size, grid"):
        create_frame_encoder("descriptor", colour_bins=3)

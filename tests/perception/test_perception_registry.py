import pytest

from perception.encoders.base import FrameEncoder
from perception.errors import UnknownComponent
from perception.registry import Registry


class _Constant(FrameEncoder):
    space, dim, frame_size = "constant:v1", 2, 8

    def __init__(self, value: float = 1.0) -> None:
        self.value = value

    def encode_frames(self, images):
        import numpy as np

        return np.tile(np.array([[self.value, 0.0]], dtype=np.float32), (len(images), 1))


def test_unknown_name_lists_the_known_ones():
    registry: Registry = Registry("widget")
    registry.register("b")(_Constant)
    registry.register_lazy("a", "perception.encoders.descriptor:DescriptorEncoder")
    with pytest.raises(UnknownComponent, match="unknown widget 'x'; available: a, b"):
        registry.create("x")


def test_register_and_create_with_options():
    registry: Registry = Registry("widget")
    registry.register("constant")(_Constant)
    assert registry.create("constant", value=3.0).value == 3.0


def test_lazy_entry_is_imported_on_first_create():
    registry: Registry = Registry("widget")
    registry.register_lazy("descriptor", "perception.encoders.descriptor:DescriptorEncoder")
    assert registry.create("descriptor").space == "descriptor:v1"


def test_a_name_cannot_be_taken_twice():
    registry: Registry = Registry("widget")
    registry.register("constant")(_Constant)
    registry.register("constant")(_Constant)  # the same factory again is fine (module reloads)
    with pytest.raises(ValueError, match="already registered"):
        registry.register("constant")(lambda: None)


def test_bad_lazy_target():
    with pytest.raises(ValueError, match="module:attribute"):
        Registry("widget").register_lazy("x", "no_colon")


def test_a_lazy_builtin_may_register_itself_on_import():
    from perception.encoders.descriptor import DescriptorEncoder

    registry: Registry = Registry("widget")
    registry.register_lazy("descriptor", "perception.encoders.descriptor:DescriptorEncoder")
    registry.register("descriptor")(DescriptorEncoder)
    assert registry.factory("descriptor") is DescriptorEncoder

"""Furniture labels, by their head noun, whatever detector vocabulary they come from."""

from perception.categories import is_furniture


def test_furniture_is_named_by_its_head_noun():
    for label in ("sofa", "Coffee Table", "sink cabinet", "dining_table", "washing machine", "potted plant",
                  "refrigerator", "bookshelf"):
        assert is_furniture(label), label
    for label in ("mug", "cup", "person", "wine glass", "table tennis ball", "remote", "", None):
        assert not is_furniture(label), label

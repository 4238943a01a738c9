"""rclpy's spelling of a ROS 2 message, built from a rosbags message with the message definition: the same field
names, with rclpy's Python types (rosidl_generator_py): numeric sequences (``uint8[]``, ``float32[]``, ...) are
``array.array``, numeric fixed-size arrays (``float64[9]``) numpy arrays, other sequences and arrays lists,
nested messages objects. ``make(msgtype, fields)`` builds each object: ``SimpleNamespace`` for the plain
spelling, rclpy's message classes for the real ones."""

from __future__ import annotations

import array
from types import SimpleNamespace
from typing import Callable

import numpy as np

CODES = {"int8": "b", "uint8": "B", "byte": "B", "int16": "h", "uint16": "H", "int32": "i", "uint32": "I", "int64": "q",
         "uint64": "Q", "float32": "f", "float64": "d"}


def plain(msgtype: str, fields: dict) -> SimpleNamespace:
    return SimpleNamespace(**fields)


def spelled(message, store, make: Callable[[str, dict], object] = plain):
    """``message`` (a rosbags dataclass) as rclpy spells it, built with ``make``."""
    msgtype = type(message).__msgtype__
    _, fields = store.fielddefs[msgtype]
    return make(msgtype, {name: _value(getattr(message, name), desc, store, make) for name, desc in fields})


def _value(value, desc, store, make):
    from rosbags.typesys.store import Nodetype

    kind, arg = desc
    if kind == Nodetype.BASE:
        return value
    if kind == Nodetype.NAME:
        return spelled(value, store, make)
    (subkind, subarg), _size = arg
    if subkind == Nodetype.BASE and subarg[0] in CODES:
        code = CODES[subarg[0]]
        if kind == Nodetype.ARRAY:
            return np.asarray(value, dtype=np.dtype(code))
        return array.array(code, np.asarray(value).astype(np.dtype(code)).tobytes())
    return [_value(v, (subkind, subarg), store, make) for v in value]

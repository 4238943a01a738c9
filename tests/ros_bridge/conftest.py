"""Bags shared by the ROS bridge tests: written once per session with rosbags' writers (``bags.py``),
and the real bags of ``../shared/data/robot`` (skipped with a reason when that folder is absent)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROBOT = Path("../shared/data/robot")


def _load_bags() -> ModuleType:
    name = "mnemo_tests_ros_bridge_bags"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("bags.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def bags() -> ModuleType:
    return _load_bags()


@pytest.fixture(scope="session")
def robot_bags(bags, tmp_path_factory) -> dict[str, Path]:
    """The same robot run as a ROS 1 bag, a ROS 2 sqlite3 bag folder and a ROS 2 MCAP bag folder."""
    root = tmp_path_factory.mktemp("bags")
    return {storage: bags.write_robot_bag(root / name, storage)
            for storage, name in (("ros1", "run.bag"), ("sqlite3", "run_sqlite3"), ("mcap", "run_mcap"))}


@pytest.fixture
def real(request) -> Path:
    """A real bag of ../shared/data/robot by name (the test's parameter)."""
    path = ROBOT / request.param
    if not path.exists():
        pytest.skip(f"real bag {path} is absent (../shared/data is not in a plain clone)")
    return path

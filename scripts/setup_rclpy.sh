#!/usr/bin/env bash
# ROS 2's rclpy from PyPI's ros-* wheels (ros2-requirements.txt, exact versions) for `mnemo ros2 --transport rclpy`
# and its tests, installed into a prefix of its own ($VENV/rclpy), never into the main environment: rclpy's libraries
# must be on LD_LIBRARY_PATH before Python starts, which scripts/rclpy_env.sh sets (`make test` runs the rclpy tests
# through it). The main environment's packages are held at their versions (its `pip freeze` as constraints) and
# supply numpy, PyYAML, typing-extensions and setuptools. Run by scripts/setup.sh (step 9) after the main environment
# is set up; again only when ros2-requirements.txt changes. Best effort: where the install fails (no registry), one
# warning, status 0, and the rclpy tests skip with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
RCLPY=$(cd "$VENV" && pwd)/rclpy
cmp -s ros2-requirements.txt "$RCLPY/.installed" && exit 0
pip() { "$VENV/bin/python" -m pip "$@"; }
rm -rf "$RCLPY"
held=$(mktemp)
trap 'rm -f "$held"' EXIT
pip freeze --all --exclude-editable >"$held"
if pip install -q --prefix "$RCLPY" -c constraints.txt -c "$held" -r ros2-requirements.txt \
    && touch "$RCLPY/.installed" \
    && VENV=$VENV scripts/rclpy_env.sh "$VENV/bin/python" -c \
      "import rclpy, sensor_msgs.msg, nav_msgs.msg, geometry_msgs.msg, std_msgs.msg"; then
  cp ros2-requirements.txt "$RCLPY/.installed"
else
  rm -rf "$RCLPY"
  echo "setup: rclpy (ros2-requirements.txt) could not be installed into $RCLPY; mnemo ros2 --transport rclpy" \
    "and its tests (make test-rclpy) will not run" >&2
fi

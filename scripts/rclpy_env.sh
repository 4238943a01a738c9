#!/usr/bin/env bash
# rclpy from PyPI's ros-* wheels, which scripts/setup.sh installs into $VENV/rclpy (a prefix of its own, beside the
# main environment's packages), made usable: its site-packages on PYTHONPATH, its libraries on LD_LIBRARY_PATH (the
# loader reads that only when a process starts, so it is set before Python starts) and the prefix on
# AMENT_PREFIX_PATH (ROS 2's package index).
#   scripts/rclpy_env.sh COMMAND [ARGS...]   run COMMAND so set up, e.g. scripts/rclpy_env.sh .venv/bin/mnemo ros2 ...
#   . scripts/rclpy_env.sh                   (bash) set up the current shell
# Where the prefix is absent (set-up could not install it), a command still runs, without rclpy, after a note.
_rclpy_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
_rclpy_venv=${VENV:-.venv}
case $_rclpy_venv in /*) ;; *) _rclpy_venv=$_rclpy_root/$_rclpy_venv ;; esac
_rclpy_prefix=$_rclpy_venv/rclpy
_rclpy_site=$(ls -d "$_rclpy_prefix"/lib/python3*/site-packages 2>/dev/null | head -n 1)
if [ -n "$_rclpy_site" ] && [ -f "$_rclpy_prefix/.installed" ]; then
  _rclpy_libs=$(ls -d "$_rclpy_site"/ros_*.libs 2>/dev/null | tr '\n' ':')
  export LD_LIBRARY_PATH=$_rclpy_libs$_rclpy_prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$_rclpy_site
  export AMENT_PREFIX_PATH=$_rclpy_prefix${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}
  _rclpy_ok=0
else
  echo "rclpy_env: no rclpy in $_rclpy_prefix (make setup installs it from ros2-requirements.txt; see its warning)" >&2
  _rclpy_ok=1
fi
unset _rclpy_root _rclpy_venv _rclpy_prefix _rclpy_site _rclpy_libs
if [ "${BASH_SOURCE[0]:-$0}" != "$0" ]; then  # sourced
  return $_rclpy_ok
fi
if [ $# -eq 0 ]; then
  echo "usage: scripts/rclpy_env.sh COMMAND [ARGS...]  (or, in bash: . scripts/rclpy_env.sh)" >&2
  exit 2
fi
exec "$@"

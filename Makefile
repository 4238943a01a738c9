# The two commands of the README: `make demo` (main job) and `make test`. Both set up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
TEST_WORKERS ?= 2
# the rclpy transport's tests: rclpy's libraries (PyPI's wheels in $(VENV)/rclpy) must be on LD_LIBRARY_PATH before
# Python starts, so they run in a pytest process of their own that scripts/rclpy_env.sh sets up
RCLPY_TESTS := tests/ros_bridge/test_ros2_rclpy.py

.PHONY: setup demo test test-rclpy test-all bench clean

setup: $(VENV)/.mnemo-setup

$(VENV)/.mnemo-setup: pyproject.toml constraints.txt ros2-requirements.txt scripts/setup.sh scripts/setup_rclpy.sh
	bash scripts/setup.sh

demo: setup
	$(VENV)/bin/mnemo demo --out out/demo

# everything this machine can run: gpu and browser tests skip themselves when they cannot. Without PYTEST_ARGS, two
# pytest runs: the suite less the rclpy tests, on TEST_WORKERS processes (pytest-xdist; a test file stays on one
# worker, so its module fixtures are built once), then those (test-rclpy); the status fails when either fails.
# With PYTEST_ARGS, the one process it names (where rclpy is not importable, the rclpy tests skip there).
test: setup
ifeq ($(strip $(PYTEST_ARGS)),)
	status=0; $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --ignore=$(RCLPY_TESTS) || status=$$?; \
	VENV=$(VENV) scripts/rclpy_env.sh $(PY) -m pytest -q $(RCLPY_TESTS) || status=$$?; exit $$status
else
	$(PY) -m pytest -q $(PYTEST_ARGS)
endif

test-rclpy: setup
	VENV=$(VENV) scripts/rclpy_env.sh $(PY) -m pytest -q $(RCLPY_TESTS) $(PYTEST_ARGS)

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf out .pytest_cache

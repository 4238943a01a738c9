"""The README's first command: `mnemo demo` makes the sample, ingests it, searches and answers."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_ingests_searches_and_answers_with_evidence(tmp_path):
    run = subprocess.run([sys.executable, "-m", "mnemo", "demo", "--out", str(tmp_path / "demo")],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert out.count("s-") >= 6  # the six events of the sample's six scenes
    # the answer is the subtitle sentence of the living-room scene (6-13 s), with that event as evidence
    answer = out[out.index("results for"):]
    assert "In the living room Alice left her keys on the sofa." in answer
    assert "6.0" in answer and "13.0" in answer
    assert (tmp_path / "demo" / "memory" / "memory.db").is_file()

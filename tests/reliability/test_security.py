"""No code runs from data: no pickle, eval or unsafe YAML of untrusted input in the product's packages,
torch.load only with weights_only=True, and bandit finds nothing of high severity (docs/SECURITY.md)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("mnemo", "streams", "perception", "memory", "planners", "sim", "ros_bridge")
FORBIDDEN = {  # dotted call -> why
    "eval": "eval runs text as code", "exec": "exec runs text as code",
    "pickle.load": "unpickling runs code", "pickle.loads": "unpickling runs code",
    "marshal.load": "unmarshalling untrusted bytes", "marshal.loads": "unmarshalling untrusted bytes",
    "yaml.load": "use yaml.safe_load", "yaml.unsafe_load": "use yaml.safe_load",
    "yaml.full_load": "use yaml.safe_load", "os.system": "a shell command line",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def unsafe_calls(source: str) -> list[tuple[int, str]]:
    """(line, problem) of every call in ``source`` that would run code from data."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name in FORBIDDEN:
            found.append((node.lineno, f"{name}: {FORBIDDEN[name]}"))
        elif name == "torch.load":
            flag = next((k.value for k in node.keywords if k.arg == "weights_only"), None)
            if not (isinstance(flag, ast.Constant) and flag.value is True):
                found.append((node.lineno, "torch.load without weights_only=True unpickles code"))
        elif name.endswith("np.load") or name == "numpy.load":
            flag = next((k.value for k in node.keywords if k.arg == "allow_pickle"), None)
            if isinstance(flag, ast.Constant) and flag.value is True:
                found.append((node.lineno, "np.load(allow_pickle=True) unpickles code"))
        elif any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords):
            found.append((node.lineno, f"{name}(shell=True): a shell command line"))
    return found


def test_the_checker_finds_what_it_looks_for():
    bad = ("import pickle, torch, yaml, subprocess\npickle.loads(b'')\ntorch.load('w.pt')\n"
           "torch.load('w.pt', weights_only=False)\nyaml.load('a')\neval('1')\nsubprocess.run('ls', shell=True)\n")
    assert [line for line, _ in unsafe_calls(bad)] == [2, 3, 4, 5, 6, 7]
    assert unsafe_calls("import torch, yaml\ntorch.load('w.pt', weights_only=True)\nyaml.safe_load('a')\n") == []


def test_no_code_runs_from_data():
    problems = [f"{path.relative_to(REPO)}:{line}: {what}"
                for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
                for line, what in unsafe_calls(path.read_text(encoding="utf-8"))]
    assert problems == []


def test_bandit_finds_nothing_of_high_severity():
    pytest.importorskip("bandit", reason="bandit is not installed: pip install -e '.[dev]'")
    done = subprocess.run([sys.executable, "-m", "bandit", "-q", "-r", *PACKAGES, "--severity-level", "high",
                           "-f", "json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    high = [f"{r['filename']}:{r['line_number']}: {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert high == [] and not report["errors"], high or report["errors"]

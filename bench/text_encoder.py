"""CPU time of one question's MiniLM vector, torch against onnxruntime, and how far apart the vectors are.

    python bench/text_encoder.py [--texts 200]

Embeds --texts new questions one at a time, as the service embeds a question, on one thread each way
(``torch.set_num_threads(1)``; the onnx session has one intra-op thread), and prints the CPU time per text
(``time.process_time``, all of the process's threads: a figure the machine's other load moves far less than
wall time), the largest difference between the two backends' vectors and their smallest cosine, with the
load average. The first onnx use exports the model into the model cache (timed apart, once per machine).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SUBJECTS = ("Where did Alice leave her keys", "What is Bob watering", "Which lamp is broken",
            "What is next to the kettle", "What does the garage hold", "Who is making coffee")


def cpu_ms_per_text(embed, texts: list[str]) -> float:
    embed(texts[:1])  # warm: first-shape costs are not a question's
    start = time.process_time()
    for text in texts:
        embed([text])
    return (time.process_time() - start) / len(texts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", type=int, default=200)
    args = parser.parse_args()
    import torch

    from perception.text.minilm import MiniLMEmbedder

    torch.set_num_threads(1)
    texts = [f"{SUBJECTS[i % len(SUBJECTS)]}, by client {i % 10}, question {i}?" for i in range(args.texts)]
    torch_, onnx = MiniLMEmbedder(device="cpu"), MiniLMEmbedder(device="cpu", backend="onnx")
    torch_.embed(["load"])
    started = time.perf_counter()
    onnx.embed(["load"])  # exports on first use ever, then loads the session
    first_onnx_s = time.perf_counter() - started
    result = {"texts": len(texts), "torch_cpu_ms_per_text": round(cpu_ms_per_text(torch_.embed, texts), 2),
              "onnx_cpu_ms_per_text": round(cpu_ms_per_text(onnx.embed, texts), 2),
              "onnx_first_use_s": round(first_onnx_s, 1)}
    a, b = torch_.embed(texts), onnx.embed(texts)
    result.update(max_abs_difference=float(np.abs(a - b).max()), min_cosine=float((a * b).sum(axis=1).min()),
                  load_average=[round(x, 1) for x in os.getloadavg()])
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

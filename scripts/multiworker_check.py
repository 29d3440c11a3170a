#!/usr/bin/env python
"""Multi-worker training on one machine: two worker processes on 127.0.0.1 with TF_CONFIG.

Runs the real entry point, `python -m avgan.train --mode=s2i --strategy=multi_worker`,
in two processes with their own TF_CONFIG (as on a cluster, one process per machine),
on the tiny synthetic ensemble at the tiny preset, then checks that both workers'
checkpoints are identical (networks, EMA, optimizer state). Prints the largest
difference and exits non-zero if it exceeds --tolerance.

    .venv/bin/python scripts/multiworker_check.py --epochs 1
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _weights(model_dir: str) -> dict[str, np.ndarray]:
    """Every tensor of the newest checkpoint in MODEL_DIR: the networks (trainable
    weights are stored under the optimizers that reach them first), EMA, optimizer
    moments, step and noise state."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(os.path.join(model_dir, "checkpoints"))
    return {
        name: reader.get_tensor(name)
        for name in reader.get_variable_to_shape_map()
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--out", help="work folder (default: a new temporary one)")
    args = parser.parse_args()

    from avgan import config as config_lib
    from avgan import run_dir
    from avgan.data import layout
    from avgan.data.synthetic import build
    from avgan.training import classifiers

    out = args.out or tempfile.mkdtemp(prefix="avgan-multiworker-")
    data = build.ensure_built("tiny")
    tiny = config_lib.preset("tiny").replace(train=dict(epochs=1, batch_size=8))
    index = layout.read_layout(data, progress=False)
    encoders = {}
    for name, train in (
        ("sound", classifiers.train_sound_classifier),
        ("image", classifiers.train_image_classifier),
    ):
        train(tiny, index, os.path.join(out, name), verbose=0)
        encoders[name] = os.path.join(out, name, run_dir.ENCODER_FILE)

    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    procs, start = [], time.perf_counter()
    for i in range(2):
        env = {
            **os.environ,
            "CUDA_VISIBLE_DEVICES": "",
            "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
        }
        cmd = [
            sys.executable,
            "-m",
            "avgan.train",
            "--mode=s2i",
            "--preset=tiny",
            "--strategy=multi_worker",
            f"--data={data}",
            f"--epochs={args.epochs}",
            f"--sound_encoder={encoders['sound']}",
            f"--image_encoder={encoders['image']}",
            f"--model_dir={os.path.join(out, f'worker{i}')}",  # each worker its own
        ]
        log = open(os.path.join(out, f"worker{i}.log"), "w")  # noqa: SIM115
        procs.append(subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT))
    codes = [p.wait(timeout=900) for p in procs]
    if any(codes):
        raise SystemExit(f"worker exit codes {codes}; logs: {out}/worker*.log")
    a, b = (_weights(os.path.join(out, f"worker{i}")) for i in range(2))
    if not a or sorted(a) != sorted(b):
        raise SystemExit(f"the workers' checkpoints hold different variables ({out})")
    diff = max(float(np.abs(a[k].astype(np.float64) - b[k]).max(initial=0)) for k in a)
    with open(os.path.join(out, "worker0", "metrics.json")) as f:
        metrics = json.load(f)
    print(
        f"2 workers, {metrics['steps']} steps of global batch 8, "
        f"{metrics['replicas']} replicas in sync, {time.perf_counter() - start:.0f} s: "
        f"{len(a)} checkpoint tensors, max |worker0 - worker1| = {diff:.3g}"
    )
    if diff > args.tolerance:
        raise SystemExit(f"workers differ by {diff} > {args.tolerance}")


if __name__ == "__main__":
    main()

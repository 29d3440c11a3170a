#!/usr/bin/env python
"""Multi-worker training on one machine: two worker processes on 127.0.0.1 with TF_CONFIG.

Trains a tiny S2I GAN for a few steps under MultiWorkerMirroredStrategy in two
processes (the way `python -m avgan.train --strategy=multi_worker` runs on a cluster,
one process per machine with its own TF_CONFIG), then checks that both workers end with
identical generator and discriminator weights. Prints the largest difference and exits
non-zero if it exceeds --tolerance.

    .venv/bin/python scripts/multiworker_check.py --steps 3
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

import numpy as np


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker(args) -> None:
    """One worker: TF_CONFIG is set by the parent."""
    from avgan.training import gan

    strategy = gan.make_strategy("multi_worker")  # first: before any TF op
    import keras
    import tensorflow as tf

    from avgan import config as config_lib
    from avgan.data import layout, pipeline

    config = config_lib.preset("tiny").replace(train=dict(batch_size=8, epochs=1))
    run = gan.GanRun(mode="s2i", variant="c", strategy="multi_worker")
    index = layout.read_layout(args.data, check_files=False, progress=False)
    with strategy.scope():
        model = gan.build_gan(config, run, keras.models.load_model(args.encoder))
    dataset = pipeline.paired_dataset(index, "train", 8, seed=0, repeat=True)
    iterator = iter(strategy.experimental_distribute_dataset(dataset))

    @tf.function
    def step():
        return strategy.run(model.train_step, args=(next(iterator),))

    for _ in range(args.steps):
        step()
    weights = [w.numpy() for w in model.generator.weights + model.discriminator.weights]
    np.savez(os.path.join(args.out, f"worker{args.index}.npz"), *weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--encoder", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    from avgan import config as config_lib
    from avgan.data import layout
    from avgan.data.synthetic import build
    from avgan.training import classifiers

    out = tempfile.mkdtemp(prefix="avgan-multiworker-")
    data = build.ensure_built("tiny")
    tiny = config_lib.preset("tiny").replace(train=dict(epochs=1, batch_size=8))
    index = layout.read_layout(data, progress=False)
    classifiers.train_sound_classifier(tiny, index, os.path.join(out, "sound"), verbose=0)
    encoder = os.path.join(out, "sound", classifiers.ENCODER_FILE)
    cluster = {"worker": [f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"]}
    procs = []
    for i in range(2):
        env = {
            **os.environ,
            "CUDA_VISIBLE_DEVICES": "",
            "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
        }
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            f"--index={i}",
            f"--data={data}",
            f"--encoder={encoder}",
            f"--out={out}",
            f"--steps={args.steps}",
        ]
        procs.append(subprocess.Popen(cmd, env=env))
    codes = [p.wait(timeout=900) for p in procs]
    if any(codes):
        raise SystemExit(f"worker exit codes {codes}")
    a, b = (np.load(os.path.join(out, f"worker{i}.npz")) for i in range(2))
    diff = max(float(np.abs(a[k] - b[k]).max()) for k in a.files)
    print(
        f"2 workers x {args.steps} steps (global batch 8): {len(a.files)} weight tensors, "
        f"max |worker0 - worker1| = {diff:.3g}"
    )
    if diff > args.tolerance:
        raise SystemExit(f"workers differ by {diff} > {args.tolerance}")


if __name__ == "__main__":
    main()

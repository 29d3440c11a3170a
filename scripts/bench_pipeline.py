#!/usr/bin/env python
"""Throughput of the paired tf.data pipeline, in pairs/s, against a training step's appetite.

Reads a Sub-URMP-layout folder (default: the synthetic ensemble `small`, built on
first use), streams batches of right pairs with wrong pairs (decode WAV and JPEG,
resize, draw the wrong image) and prints pairs/s. The baseline is what a GAN step
consumes: batch / seconds per step (default 1.0 s per step of 64, the `cpu` preset
measured on 2 cores in docs/design.md §1); a ratio above 1 means the input pipeline
keeps up.

    .venv/bin/python scripts/bench_pipeline.py --batches 100 --batch 64
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from avgan.data import layout, pipeline  # noqa: E402
from avgan.data.synthetic import build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="layout folder (default: synthetic ensemble 'small')")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--batches", type=int, default=100, help="timed batches")
    parser.add_argument("--wrong_pairs", default="instrument", choices=pipeline.WRONG_PAIR_MODES)
    parser.add_argument(
        "--step_seconds",
        type=float,
        default=1.0,
        help="seconds per training step of --batch pairs (the baseline)",
    )
    args = parser.parse_args()

    root = args.data or build.ensure_built("small")
    index = layout.read_layout(root, check_files=False, progress=False)
    dataset = pipeline.paired_dataset(
        index, "train", args.batch, wrong_pairs=args.wrong_pairs, repeat=True
    )
    iterator = iter(dataset)
    for _ in range(3):  # warm up: trace the map functions, fill the prefetch buffer
        next(iterator)
    start = time.perf_counter()
    for _ in range(args.batches):
        next(iterator)
    elapsed = time.perf_counter() - start
    rate = args.batches * args.batch / elapsed
    need = args.batch / args.step_seconds
    print(f"{root}: {len(index.split('train'))} train pairs, {os.cpu_count()} CPUs")
    print(
        f"  paired pipeline (batch {args.batch}, {args.wrong_pairs} wrong pairs): "
        f"{rate:9.1f} pairs/s"
    )
    print(
        f"  training step consumes (baseline):               {need:9.1f} pairs/s "
        f"({args.step_seconds} s per step)"
    )
    print(f"  ratio pipeline / consumption:                    {rate / need:9.1f}x")


if __name__ == "__main__":
    main()

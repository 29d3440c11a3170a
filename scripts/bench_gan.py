#!/usr/bin/env python
"""Speed of a GAN training step per recipe and width, against this machine's matmul rate.

For each direction, recipe ('paper', 'avgan') and width (default the `cpu` preset's 32
and the `paper` preset's 64), builds the GAN with untrained encoders (speed does not
depend on what they learned), runs compiled train steps on random batches of
--batch pairs and prints:

    steps/s          train steps per second (median over --steps timed steps)
    GFLOP/step       float operations of one step, counted by TF's profiler on the
                     traced step (convolutions, matmuls and their gradients)
    GFLOP/s          their rate; `of matmul` = that rate / the rate of a large float32
                     matmul on the same cores in the same run (the baseline: what the
                     machine can do on the friendliest op)
    encoder          the share of a step spent on the frozen encoder (its
                     representation and forward pass on the batch), measured alone

    .venv/bin/python scripts/bench_gan.py                      # cpu and paper widths
    .venv/bin/python scripts/bench_gan.py --widths 32 --steps 5 --directions s2i
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from avgan import config as config_lib  # noqa: E402
from avgan.data.constants import CHUNK_SAMPLES, IMAGE_SIZE  # noqa: E402
from avgan.models.encoders import ImageClassifier, SoundClassifier  # noqa: E402
from avgan.training.gan import build_gan  # noqa: E402

INSTRUMENTS = 13


def matmul_gflops(n: int = 2048, repeats: int = 10) -> float:
    """GFLOP/s of an n x n float32 matmul (2 n^3 operations), median of `repeats`."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    product = tf.function(lambda: tf.linalg.matmul(a, b))
    product().numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        product().numpy()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def step_flops(concrete: tf.types.experimental.ConcreteFunction) -> float:
    """Float operations of a traced function, by TF's profiler (0 if it cannot count)."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    graph_info = model_analyzer.profile(concrete.graph, options=options)
    return float(graph_info.total_float_ops)


def random_batch(direction: str, batch: int, seed: int = 0) -> dict[str, tf.Tensor]:
    rng = np.random.default_rng(seed)
    sound = (0.1 * rng.standard_normal((batch, CHUNK_SAMPLES))).astype(np.float32)
    images = rng.integers(0, 256, (batch, IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
    out = {
        "sound": sound,
        "image": images,
        "wrong_sound": sound[::-1].copy(),
        "wrong_image": images[::-1].copy(),
        "label": rng.integers(0, INSTRUMENTS, batch).astype(np.int32),
    }
    return {k: tf.constant(v) for k, v in out.items()}


def bench(direction: str, recipe: str, width: int, batch: int, steps: int) -> dict:
    config = config_lib.preset("cpu").replace(mode=direction).with_recipe(recipe)
    config = config.replace(model=dict(width=width), train=dict(batch_size=batch))
    scale = config.model.encoder_scale
    if direction == "s2i":
        encoder = SoundClassifier(INSTRUMENTS, scale=scale)
    else:
        encoder = ImageClassifier(INSTRUMENTS, scale=scale, augment=False)
    gan = build_gan(config, encoder)
    data = random_batch(direction, batch)
    step = tf.function(gan.train_step)
    concrete = step.get_concrete_function(data)
    flops = step_flops(concrete)
    for _ in range(2):  # warm up: the first calls build and optimise the graph
        step(data)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        logs = step(data)
        float(logs["d_loss"])
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    condition = data["sound"] if direction == "s2i" else data["image"]
    encode = tf.function(lambda x: encoder.encode(x, training=False))
    encode(condition).numpy()
    encode_times = []
    for _ in range(steps):
        start = time.perf_counter()
        encode(condition).numpy()
        encode_times.append(time.perf_counter() - start)
    return {
        "direction": direction,
        "recipe": recipe,
        "width": width,
        "steps_per_second": 1.0 / seconds,
        "gflop_per_step": flops / 1e9,
        "gflops": flops / seconds / 1e9,
        "encoder_share": statistics.median(encode_times) / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--recipes", nargs="+", default=list(config_lib.RECIPE_NAMES))
    parser.add_argument("--directions", nargs="+", default=["s2i", "i2s"])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per configuration")
    args = parser.parse_args()

    baseline = matmul_gflops()
    print(f"{os.cpu_count()} CPUs; float32 2048x2048 matmul: {baseline:.1f} GFLOP/s (baseline)")
    print(
        f"{'direction':9} {'recipe':6} {'width':>5} {'steps/s':>8} {'GFLOP/step':>11} "
        f"{'GFLOP/s':>8} {'of matmul':>9} {'encoder':>8}"
    )
    for direction in args.directions:
        for recipe in args.recipes:
            for width in args.widths:
                row = bench(direction, recipe, width, args.batch, args.steps)
                print(
                    f"{direction:9} {recipe:6} {width:5d} {row['steps_per_second']:8.3f} "
                    f"{row['gflop_per_step']:11.1f} {row['gflops']:8.1f} "
                    f"{row['gflops'] / baseline:9.2f} {row['encoder_share']:8.1%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

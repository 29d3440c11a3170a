"""Latency and throughput of the exported generators: Keras, SavedModel, each TFLite variant.

    python scripts/bench_export.py --model_dir runs/s2i --model_dir runs/i2s
    python scripts/bench_export.py --untrained_width 32   # no trained run needed

For every run: exports a SavedModel and the TFLite variants into a temporary folder
(conversions in child processes), then times on this machine, in one process:

    latency     batch 1, median of --repeats calls (after 2 warm-up calls)
    throughput  batch --batch (64), examples/s from the median of --batch_repeats calls

Paths timed, all with the noise given explicitly (z):
    keras        GanCls.generate in a tf.function (+ to_log_mel_44 for I2S)
    keras+synth  I2S only: the same plus avgan.synthesis.log_mel_to_audio
    savedmodel   the s2i_z / i2s_z signature (I2S: log-mel and waveform)
    tflite-*     LiteRT interpreter (--threads), serving_default (I2S: log-mel only)

--untrained_width makes randomly initialised runs of that width (the layout
train_gan writes, no data needed): timing does not depend on the weights.
Speed is measured here, never asserted in tests (docs/design.md §8).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from avgan import config as config_lib  # noqa: E402
from avgan import (
    run_dir,  # noqa: E402
    synthesis,  # noqa: E402
)
from avgan.export import serving, signatures, tflite  # noqa: E402
from avgan.models.i2s import to_log_mel_44  # noqa: E402


def make_untrained_run(model_dir: str, direction: str, width: int) -> str:
    """A randomly initialised GAN run (config.json, encoder, checkpoint)."""
    from avgan.models.encoders import ImageClassifier, SoundClassifier
    from avgan.training import gan as gan_lib

    config = config_lib.preset("cpu").replace(mode=direction, model=dict(width=width))
    scale = config.model.encoder_scale
    if direction == "s2i":
        encoder, kind = SoundClassifier(13, scale=scale), "sound_classifier"
        encoder(tf.zeros([1, 22050]))
    else:
        encoder, kind = ImageClassifier(13, scale=scale, augment=False), "image_classifier"
        encoder(tf.zeros([1, 64, 64, 3], tf.uint8))
    os.makedirs(os.path.join(model_dir, "encoders", kind))
    encoder.save(os.path.join(model_dir, "encoders", kind, "encoder.keras"))
    run_dir.save_config(model_dir, config)
    gan = gan_lib.build_gan(config, encoder)
    run_dir.checkpoint_manager(model_dir, run_dir.checkpoint_objects(gan)).save()
    return model_dir


def timed(fn, repeats: int, warmup: int = 2) -> float:
    """Median seconds of fn() over `repeats` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def folder_bytes(path: str) -> int:
    return sum(
        os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files
    )


def inputs(direction: str, batch: int, z_dim: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((batch, z_dim)).astype(np.float32)
    if direction == "s2i":
        return {"waveform": (0.1 * rng.standard_normal((batch, 22050))).astype(np.float32), "z": z}
    return {"image": rng.integers(0, 256, (batch, 64, 64, 3), dtype=np.uint8), "z": z}


def bench_run(model_dir: str, work: str, args) -> list[dict]:
    restored = run_dir.restore(model_dir)
    direction, gan = restored.config.direction, restored.sampler
    name = f"{direction}_{os.path.basename(os.path.normpath(model_dir))}"
    sm_path = serving.export_saved_model(restored, os.path.join(work, "models"), name)
    tfl_dir = os.path.join(work, "tflite", name)
    source = os.path.join(tfl_dir, "source_saved_model")
    serving.write_archive(signatures.build_tflite_archive(restored), source, {})
    # As the export converts: int8 keeps the S2I log-mel front end in float (the file
    # avgan.export_main ships), builtins first.
    keep_float = signatures.keep_float_scopes(restored)
    results = tflite.convert(
        source, tfl_dir, args.variants, raise_errors=False, keep_float=keep_float
    )
    loaded = tf.saved_model.load(sm_path)
    signature = loaded.signatures[f"{direction}_z"]
    condition = "waveform" if direction == "s2i" else "image"

    @tf.function
    def keras_fn(x, z):
        out = gan.generate(x, z=z)
        return out if direction == "s2i" else to_log_mel_44(out)

    @tf.function
    def keras_synth_fn(x, z):
        return synthesis.log_mel_to_audio(to_log_mel_44(gan.generate(x, z=z)))

    paths = [("keras", lambda d: keras_fn(d[condition], d["z"]), None)]
    if direction == "i2s":
        paths.append(("keras+synth", lambda d: keras_synth_fn(d[condition], d["z"]), None))
    paths.append(
        ("savedmodel", lambda d: signature(**{k: tf.constant(v) for k, v in d.items()}), sm_path)
    )
    for variant in args.variants:
        result = results[variant]
        if result.error:
            print(f"{name} tflite-{variant}: FAILED: {result.error}", file=sys.stderr)
            continue
        interpreter = tflite.load_interpreter(result.path, num_threads=args.threads)
        runner = interpreter.get_signature_runner("serving_default")
        tag = " (select TF ops)" if result.select_tf_ops else ""
        paths.append((f"tflite-{variant}{tag}", lambda d, r=runner: r(**d), result.path))

    rows = []
    one, many = (
        inputs(direction, 1, restored.config.model.z_dim),
        inputs(direction, args.batch, restored.config.model.z_dim),
    )
    for label, fn, path in paths:
        latency = timed(lambda fn=fn: fn(one), args.repeats)
        batch_time = timed(lambda fn=fn: fn(many), args.batch_repeats, warmup=1)
        size = (
            None
            if path is None
            else (folder_bytes(path) if os.path.isdir(path) else os.path.getsize(path))
        )
        rows.append(
            {
                "model": name,
                "path": label,
                "latency_ms": 1000 * latency,
                "throughput": args.batch / batch_time,
                "mb": None if size is None else size / 1e6,
            }
        )
        print(f"  {name} {label}: {1000 * latency:.1f} ms", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model_dir", action="append", default=[], help="A GAN run (repeat).")
    parser.add_argument("--untrained_width", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--batch_repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--variants", default="float32,float16,int8")
    parser.add_argument("--json", help="Also write the rows here.")
    args = parser.parse_args()
    args.variants = [v for v in args.variants.split(",") if v]
    with tempfile.TemporaryDirectory(prefix="bench_export-") as work:
        model_dirs = list(args.model_dir)
        if args.untrained_width:
            for direction in ("s2i", "i2s"):
                path = os.path.join(work, "runs", f"w{args.untrained_width}", direction)
                model_dirs.append(make_untrained_run(path, direction, args.untrained_width))
        if not model_dirs:
            parser.error("give --model_dir (repeatable) or --untrained_width")
        rows = []
        for model_dir in model_dirs:
            rows += bench_run(model_dir, work, args)
    header = (
        f"{'model':<16} {'path':<34} {'latency b=1 (ms)':>17} "
        f"{f'throughput b={args.batch} (ex/s)':>26} {'size (MB)':>10}"
    )
    print(
        f"\n{os.cpu_count()} CPU cores, {args.threads} TFLite threads, "
        f"median of {args.repeats} (b=1) / {args.batch_repeats} (b={args.batch})"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        size = "" if r["mb"] is None else f"{r['mb']:.2f}"
        print(
            f"{r['model']:<16} {r['path']:<34} {r['latency_ms']:>17.1f} "
            f"{r['throughput']:>26.1f} {size:>10}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()

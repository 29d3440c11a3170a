#!/usr/bin/env python
"""Log-mel throughput: avgan's tf.data path against librosa in a Python loop.

Both compute the paper's log-mel (44.1 kHz, FFT 2048, hop 512, 128 mels) of the same
N half-second clips on this machine, in one run. Prints clips/s for each and the ratio
(baseline: librosa's loop).

    .venv/bin/python scripts/bench_features.py --clips 1024 --batch 64
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import librosa  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from avgan.data import features  # noqa: E402

SR = features.SAMPLE_RATE
CHUNK = SR // 2


def make_clips(n: int, seed: int = 0) -> np.ndarray:
    """[n, 22050] float32: harmonic tones at random pitches with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(CHUNK) / SR
    f0 = 110.0 * 2.0 ** (rng.integers(0, 36, size=(n, 1)) / 12.0)
    clips = sum(0.3 / k * np.sin(2 * np.pi * k * f0 * t) for k in range(1, 6))
    clips = clips + 0.01 * rng.standard_normal((n, CHUNK))
    return clips.astype(np.float32)


def bench_tf_data(clips: np.ndarray, batch: int, repeats: int) -> float:
    """Clips/s through from_tensor_slices -> batch -> map(log-mel) -> prefetch."""
    dataset = (
        tf.data.Dataset.from_tensor_slices(clips)
        .batch(batch)
        .map(features.log_mel_spectrogram, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    for _ in dataset.take(2):  # trace the map function and warm the thread pool
        pass
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        count = sum(int(x.shape[0]) for x in dataset)
        best = min(best, time.perf_counter() - start)
    assert count == len(clips)
    return len(clips) / best


def bench_librosa(clips: np.ndarray, repeats: int) -> float:
    """Clips/s of librosa.power_to_db(melspectrogram(...)) one clip at a time."""
    librosa.power_to_db(librosa.feature.melspectrogram(y=clips[0], sr=SR))  # warm caches
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for clip in clips:
            librosa.power_to_db(librosa.feature.melspectrogram(y=clip, sr=SR))
        best = min(best, time.perf_counter() - start)
    return len(clips) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1024, help="half-second clips (1024)")
    parser.add_argument("--batch", type=int, default=64, help="tf.data batch size (64)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes; best is kept")
    args = parser.parse_args()
    if args.clips < 1 or args.batch < 1 or args.repeats < 1:
        parser.error("--clips, --batch and --repeats must be positive")

    clips = make_clips(args.clips)
    print(
        f"log-mel of {args.clips} clips of 0.5 s (128x44); {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.machine()}, TF {tf.__version__}, "
        f"librosa {librosa.__version__}; best of {args.repeats}"
    )
    ours = bench_tf_data(clips, args.batch, args.repeats)
    print(f"  avgan tf.data (batch {args.batch}):  {ours:10.1f} clips/s")
    baseline = bench_librosa(clips, args.repeats)
    print(f"  librosa Python loop (baseline):  {baseline:10.1f} clips/s")
    print(f"  ratio avgan / librosa:           {ours / baseline:10.1f}x")


if __name__ == "__main__":
    main()

"""The tf.distribute strategy a run trains under (`avgan.config.RuntimeConfig.strategy`)."""

from __future__ import annotations

import os

import tensorflow as tf

from avgan.config import STRATEGIES

_MULTI_WORKER: tf.distribute.Strategy | None = None


def make_strategy(name: str) -> tf.distribute.Strategy:
    """'auto': mirrored over the visible GPUs if any, else one device (the CPU);
    'mirrored': MirroredStrategy over all visible devices; 'multi_worker':
    MultiWorkerMirroredStrategy from TF_CONFIG; 'one_device': the first GPU or the CPU.

    Raises:
        ValueError: an unknown name, or multi_worker without TF_CONFIG.
    """
    if name not in STRATEGIES:
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy=multi_worker needs TF_CONFIG (cluster and task)")
        # Collective ops must be configured before TF runs any op: the first call, at
        # program start, creates the strategy; later calls return the same one.
        global _MULTI_WORKER
        if _MULTI_WORKER is None:
            _MULTI_WORKER = tf.distribute.MultiWorkerMirroredStrategy()
        return _MULTI_WORKER
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        return tf.distribute.MirroredStrategy()
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")

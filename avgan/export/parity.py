"""Each exported file against the Keras generator, on real held-out conditions.

A file that converts and runs can still compute something else: on held-out sounds the
int8 S2I file once drew another scene (mean |diff| 0.24 on [-1, 1]) while its smoke
run on zeros passed. So at export every artefact (the SavedModel and each TFLite
variant) is run on the same real conditions and noise as the restored Keras generator
(`avgan.export.heldout`), and a variant outside its tolerance is refused.

What is compared, per direction:
    S2I  the picture in [-1, 1] (`image_float`), [n, 64, 64, 3]
    I2S  the log-mel in dB (`log_mel`), [n, 128, 44]

TOLERANCE holds, per direction and variant, the largest max and mean |diff| accepted;
docs/export.md ("Parity") gives the figures they were set from.
"""

from __future__ import annotations

import dataclasses

import numpy as np

# (max |diff|, mean |diff|). Measured on trained runs (runs/r21, 24 held-out pairs;
# docs/export.md): SavedModel ~1e-6, float32 6e-6 / 2e-4 dB, float16 7e-3 / 0.10 dB,
# int8 (front end in float, builtins only) 0.09 / 2.3 dB at most. The bounds leave
# ~3x room above those (2.6x at the least) and stay below what a viewer or listener
# would notice as another output (S2I: 0.02 mean is 2.5 of 255 levels; I2S: 0.5 dB
# mean).
TOLERANCE: dict[str, dict[str, tuple[float, float]]] = {
    "s2i": {
        "saved_model": (1e-4, 1e-5),
        "float32": (1e-3, 1e-4),
        "float16": (0.05, 5e-3),
        "int8": (0.25, 0.02),
    },
    "i2s": {
        "saved_model": (1e-2, 1e-3),
        "float32": (1e-2, 1e-3),
        "float16": (1.0, 0.05),
        "int8": (6.0, 0.5),
    },
}
UNITS = {"s2i": "picture in [-1, 1]", "i2s": "log-mel in dB"}


@dataclasses.dataclass
class Row:
    """One artefact's comparison with the Keras generator."""

    variant: str  # 'saved_model', 'float32', 'float16' or 'int8'
    max_abs: float
    mean_abs: float
    tolerance: tuple[float, float]  # (max, mean)

    @property
    def ok(self) -> bool:
        return self.max_abs <= self.tolerance[0] and self.mean_abs <= self.tolerance[1]

    def as_dict(self) -> dict:
        return {
            "max_abs_diff": self.max_abs,
            "mean_abs_diff": self.mean_abs,
            "tolerance": {"max": self.tolerance[0], "mean": self.tolerance[1]},
            "ok": self.ok,
        }


def keras_outputs(restored, condition: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The restored generator's output (EMA when kept: the one the export uses) in the
    compared form: S2I [n, 64, 64, 3] in [-1, 1]; I2S [n, 128, 44] dB."""
    from avgan.models.i2s import to_log_mel_44

    samples = restored.sampler.generate(condition, z=z)
    return (samples if restored.config.direction == "s2i" else to_log_mel_44(samples)).numpy()


def saved_model_outputs(
    path: str, direction: str, condition: np.ndarray, z: np.ndarray, max_batch: int
) -> np.ndarray:
    """The SavedModel's `<direction>_z` signature on (condition, z), max_batch at a time."""
    import tensorflow as tf

    signature = tf.saved_model.load(path).signatures[f"{direction}_z"]
    name, out = ("waveform", "image_float") if direction == "s2i" else ("image", "log_mel")
    parts = []
    for i in range(0, len(condition), max_batch):
        feed = {
            name: tf.constant(condition[i : i + max_batch]),
            "z": tf.constant(z[i : i + max_batch]),
        }
        parts.append(signature(**feed)[out].numpy())
    return np.concatenate(parts)


def tflite_outputs(path: str, direction: str, condition: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The TFLite file's `serving_default` signature on (condition, z)."""
    from avgan.export import tflite

    name, out = ("waveform", "image_float") if direction == "s2i" else ("image", "log_mel")
    interpreter = tflite.load_interpreter(path)
    return tflite.run_signature(interpreter, **{name: condition, "z": z})[out]


def compare(direction: str, variant: str, got: np.ndarray, reference: np.ndarray) -> Row:
    """Row of |got - reference| (same shape) against TOLERANCE[direction][variant]."""
    if got.shape != reference.shape:
        raise ValueError(f"{variant}: output shape {got.shape}, Keras gives {reference.shape}")
    diff = np.abs(got.astype(np.float64) - reference.astype(np.float64))
    # NaN anywhere must refuse, not compare False against the bounds and pass.
    worst = float(diff.max()) if np.isfinite(diff).all() else float("inf")
    mean = float(diff.mean()) if np.isfinite(diff).all() else float("inf")
    return Row(variant, worst, mean, TOLERANCE[direction][variant])


def table(rows: list[Row], direction: str, pairs: int, source: str) -> str:
    """The printed parity table: one line per artefact, ok or REFUSED."""
    lines = [
        f"Parity with the Keras generator on {pairs} held-out pairs ({source}), same z; "
        f"{UNITS[direction]}:",
        f"  {'variant':<12} {'max |diff|':>11} {'mean |diff|':>12}  {'tolerance max / mean':<22}",
    ]
    for r in rows:
        tolerance = f"{r.tolerance[0]:g} / {r.tolerance[1]:g}"
        verdict = "ok" if r.ok else "REFUSED"
        lines.append(
            f"  {r.variant:<12} {r.max_abs:>11.2e} {r.mean_abs:>12.2e}  {tolerance:<22} {verdict}"
        )
    return "\n".join(lines)


def refusal(row: Row, kept: bool) -> str:
    """The one-line message for an artefact outside its tolerance."""
    what = "SavedModel" if row.variant == "saved_model" else f"TFLite {row.variant}"
    head = (
        f"{what} differs from the Keras generator on held-out pairs by up to "
        f"{row.max_abs:.3g} (mean {row.mean_abs:.3g}), over its tolerance "
        f"{row.tolerance[0]:g} / {row.tolerance[1]:g}"
    )
    if kept:
        return f"{head}: kept because of --allow_inexact"
    return f"{head}: REFUSED, not written (--allow_inexact keeps it)"

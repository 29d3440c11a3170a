"""What a sound encoding carries of the player's pose: a linear probe per instrument.

    python -m avgan.probe --synthetic_preset=full --instruments=cello,violin \\
        --encoder=instrument=runs/enc/sound_classifier/encoder.keras \\
        --encoder=pitch=runs/enc/pitch_sound_classifier/encoder.keras \\
        --out=results/probe.json

For each instrument and each encoder, a ridge regression from the encoding of a 0.5 s
chunk to each pose parameter of its picture (hand, bow, string, playing, fingering) is
fitted on the training recordings and scored by Pearson r on the held-out recordings
(avgan/evaluation/probe.py). A generator conditioned on that encoding is unlikely to
follow the pose better than the probe does: quote the probe next to a pose model's
fidelity (`python -m avgan.evaluate`), and condition pose models on the encoding that
carries the most. The first row of each instrument probes the log-mel spectrogram
itself (5,632 values), what the sound carries before any encoder (--raw=false drops it).
An encoder with a pitch head also gets a row for its note posterior, the softmax over the
MIDI pitches that `--condition=pitch_posterior` conditions on (--posterior=false drops it).

--encoder takes PATH (named after its folder) or NAME=PATH, any .keras model with
`encode(waveform)`: the sound classifier, the pitch-aware one, the autoencoder. The
data set needs pose metadata (the synthetic ensemble has it). Progress goes to stderr;
the table to stdout; --out also writes every figure as JSON.
"""

from __future__ import annotations

import os
import sys
import time

from absl import app, flags

from avgan import cli

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "data", None, "A Sub-URMP-layout folder with pose metadata (default: the synthetic ensemble)."
)
flags.DEFINE_string(
    "synthetic_preset",
    "small",
    "Synthetic ensemble preset when --data "
    "is not given (`full`: ~1,100 training and ~290 held-out chunks per "
    "instrument).",
)
flags.DEFINE_multi_string("encoder", [], "An encoder to probe: PATH or NAME=PATH (repeatable).")
flags.DEFINE_list("instruments", ["cello", "violin"], "Instruments, each probed on its own chunks.")
flags.DEFINE_boolean("raw", True, "Also probe the log-mel spectrogram itself.")
flags.DEFINE_boolean(
    "posterior",
    True,
    "Also probe the note posterior of each encoder with a pitch head (the condition of "
    "--condition=pitch_posterior), as 'NAME posterior'.",
)
flags.DEFINE_string("out", None, "Write the results here as JSON.")

RAW = "log-mel (raw)"


def encoders(specs: list[str]) -> dict[str, str]:
    """--encoder values -> {name: path}; a bare PATH is named after its folder."""
    named = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = os.path.basename(os.path.dirname(os.path.abspath(spec))), spec
        if not os.path.isfile(path):
            raise app.UsageError(f"--encoder {spec}: no such file {path}")
        if name in named or name == RAW:
            raise app.UsageError(f"--encoder {spec}: the name {name!r} is taken; use NAME=PATH")
        named[name] = path
    return named


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    named = encoders(FLAGS.encoder)
    if not named and not FLAGS.raw:
        raise app.UsageError("--encoder: give at least one, or keep --raw")
    import keras
    import numpy as np
    import tensorflow as tf

    from avgan import run_dir
    from avgan.data import features, layout, pipeline
    from avgan.evaluation import pose, probe
    from avgan.models import encoders as encoders_lib  # (registers them for load_model)

    root = FLAGS.data
    if root is None:
        from avgan.data.synthetic import build

        root = build.ensure_built(FLAGS.synthetic_preset)
    elif not os.path.isdir(root):
        raise app.UsageError(f"--data {root}: no such folder")
    index = layout.read_layout(root, progress=False)
    unknown = sorted(set(FLAGS.instruments) - set(index.instruments))
    if unknown:
        raise app.UsageError(
            f"--instruments {','.join(unknown)}: not in {root} "
            f"(it has {', '.join(index.instruments)})"
        )

    chunks = {}
    for instrument in FLAGS.instruments:
        for split in ("train", "validation"):
            pairs = [p for p in index.split(split) if p.instrument == instrument]
            if len(pairs) < 2 or any(p.pose is None for p in pairs):
                raise app.UsageError(
                    f"--data {root}: {instrument} needs pose metadata and at least 2 {split} chunks"
                )
            chunks[instrument, split] = pairs
    models = {name: keras.models.load_model(path) for name, path in named.items()}
    for name, model in models.items():
        if not hasattr(model, "encode"):
            raise app.UsageError(f"--encoder {named[name]}: {type(model).__name__} has no encode()")
    log_mel = features.representation_fn("lms")
    if FLAGS.posterior:  # what --condition=pitch_posterior gives the generator
        models.update(
            {
                f"{name} posterior": encoders_lib.PitchPosterior(model)
                for name, model in list(models.items())
                if getattr(model, "pitch_classes", 0)
            }
        )

    def embeddings(pairs) -> dict[str, np.ndarray]:
        out = {name: [] for name in ([RAW] if FLAGS.raw else []) + list(models)}
        for start in range(0, len(pairs), 64):
            waves = tf.stack([pipeline.load_sound(p.sound) for p in pairs[start : start + 64]])
            if FLAGS.raw:
                out[RAW].append(tf.reshape(log_mel(waves), [len(waves), -1]).numpy())
            for name, model in models.items():
                out[name].append(np.asarray(model.encode(waves, training=False)))
        return {name: np.concatenate(parts).astype(np.float64) for name, parts in out.items()}

    results = {"data": root, "encoders": named, "instruments": {}}
    for instrument in FLAGS.instruments:
        start = time.perf_counter()
        train, test = chunks[instrument, "train"], chunks[instrument, "validation"]
        say(f"{instrument}: embedding {len(train)} training and {len(test)} held-out chunks")
        train_x, test_x = embeddings(train), embeddings(test)
        rows = {}
        for name in train_x:
            rows[name] = probe.probe_pose(
                train_x[name],
                pose.pose_targets(train),
                [p.recording for p in train],
                test_x[name],
                pose.pose_targets(test),
            )
        results["instruments"][instrument] = {
            "chunks": {"train": len(train), "test": len(test)},
            "probe": rows,
        }
        say(f"{instrument}: probed in {time.perf_counter() - start:.0f} s")
    print(table(results))
    if FLAGS.out:
        run_dir.write_json(FLAGS.out, results)
        say(f"wrote {FLAGS.out}")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def table(results: dict) -> str:
    """One row per instrument and encoder: the held-out r of each pose parameter that
    varies ('-' where it does not), and their mean."""
    from avgan.evaluation.pose import POSE_VECTOR

    rows = [
        (instrument, name, result)
        for instrument, entry in results["instruments"].items()
        for name, result in entry["probe"].items()
    ]
    names = [n for n in POSE_VECTOR if any(n in r["correlation"] for *_, r in rows)]
    header = ["instrument", "encoding", *names, "mean"]
    lines = [header]
    for instrument, name, result in rows:
        r = result["correlation"]
        lines.append(
            [instrument, name]
            + [f"{r[n]:.2f}" if n in r else "-" for n in names]
            + [f"{result['mean']:.2f}"]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def run() -> None:
    """Console-script entry point (`avgan-probe`)."""
    cli.run(main, "avgan-probe")


if __name__ == "__main__":
    run()

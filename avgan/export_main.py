"""Export a trained GAN: `python -m avgan.export_main --model_dir DIR [flags]`.

Writes everything under --out (OUT, default export/models):

    OUT/<name>/<version>/              the SavedModel, TF Serving's layout
    OUT/models.config                  TF Serving's model config: every model under OUT
    OUT/tflite/<name>/<version>/       with --tflite: float32, float16 and int8 .tflite
                                       files and manifest.json

(--config_file and --tflite_out put those two elsewhere.) Each exported file is compared
with the run's Keras generator (the EMA one when kept) on real held-out pairs of the
run's data set (its validation split; --parity_pairs, --parity_data) with the same
noise; the table is printed, and a file outside its tolerance is not written and the
command exits 1, unless --allow_inexact. See docs/export.md for the signatures, the
docker command, the REST requests and the tolerances.

    python -m avgan.export_main --model_dir runs/s2i-c --out export/models --tflite
    python -m avgan.export_main --model_dir runs/i2s --out export/models --tflite
"""

from __future__ import annotations

import os
import shutil

from absl import app, flags

from avgan import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "A trained GAN run (s2i, s2i_pose or i2s).", required=True)
flags.DEFINE_string(
    "out", "export/models", "TF Serving model base folder; the export writes only under it."
)
flags.DEFINE_string("name", None, "Served model name (default: the direction, s2i or i2s).")
flags.DEFINE_integer("version", None, "Version number (default: newest existing + 1).")
flags.DEFINE_integer(
    "max_batch",
    256,  # avgan.export.signatures.DEFAULT_MAX_BATCH (not imported here: TF loads late)
    "Most examples one SavedModel call takes; a larger batch is an InvalidArgumentError "
    "(HTTP 400 under TF Serving) naming the limit. Not applied to the TFLite models.",
    lower_bound=1,
)
flags.DEFINE_string(
    "config_file", None, "TF Serving model config to write (default: OUT/models.config)."
)
flags.DEFINE_string("serving_root", "/models", "Where OUT is mounted in the serving container.")
flags.DEFINE_bool("tflite", False, "Also convert the generator to TFLite.")
flags.DEFINE_list("tflite_variants", ["float32", "float16", "int8"], "TFLite variants.")
flags.DEFINE_string("tflite_out", None, "TFLite base folder (default: OUT/tflite).")
flags.DEFINE_bool("keep_tflite_source", False, "Keep the SavedModel TFLite is converted from.")
flags.DEFINE_integer(
    "parity_pairs",
    24,  # avgan.export.heldout.DEFAULT_PAIRS
    "Held-out pairs (validation split) each exported file is compared on with the Keras generator.",
    lower_bound=1,
)
flags.DEFINE_string(
    "parity_data",
    None,
    "Data folder (Sub-URMP layout) to draw the parity pairs from (default: the run's data "
    "set, as its config.json names it; the synthetic ensemble is built if missing).",
)
flags.DEFINE_bool(
    "allow_inexact",
    False,
    "Keep an exported file that is outside its parity tolerance (the table still says "
    "so) instead of refusing it.",
)


class _Refused(Exception):
    """The SavedModel is outside its parity tolerance (and --allow_inexact is off)."""


def main(argv):
    del argv
    # TensorFlow's C++ log level is avgan.cli's (quiet unless --verbose), set before this.
    from avgan import run_dir
    from avgan.export import heldout, parity, serving, signatures, tflite

    try:
        restored = run_dir.restore(FLAGS.model_dir)
        config = restored.config
        held = heldout.conditions(
            config,
            count=FLAGS.parity_pairs,
            root=heldout.data_root(config, FLAGS.parity_data),
        )
    except (run_dir.ModelDirError, heldout.DataError) as e:
        raise app.UsageError(str(e)) from None
    direction = config.direction
    reference = parity.keras_outputs(restored, held.condition, held.z)
    source = f"validation split of {held.root}, seed {heldout.DEFAULT_SEED}"
    rows: list = []

    def check_saved_model(path: str) -> dict:
        got = parity.saved_model_outputs(path, direction, held.condition, held.z, FLAGS.max_batch)
        rows.append(parity.compare(direction, "saved_model", got, reference))
        if not rows[-1].ok and not FLAGS.allow_inexact:
            raise _Refused(parity.refusal(rows[-1], kept=False))
        return {"parity": {"pairs": len(held.z), "data": held.root, **rows[-1].as_dict()}}

    try:
        path = serving.export_saved_model(
            restored,
            FLAGS.out,
            FLAGS.name,
            FLAGS.version,
            max_batch=FLAGS.max_batch,
            check=check_saved_model,
        )
    except serving.ExportError as e:
        raise app.UsageError(str(e)) from None
    except _Refused as e:
        print(parity.table(rows, direction, len(held.z), source))
        print(e)
        return 1
    name, version = os.path.basename(os.path.dirname(path)), os.path.basename(path)
    print(
        f"SavedModel: {path} ({'EMA' if restored.uses_ema else 'trained'} generator, "
        f"{restored.checkpoint}; at most {FLAGS.max_batch} examples per call)"
    )
    config_file = FLAGS.config_file or os.path.join(FLAGS.out, "models.config")
    serving.write_models_config(FLAGS.out, config_file, FLAGS.serving_root)
    print(f"TF Serving config: {config_file}")
    refused = [] if rows[0].ok else [parity.refusal(rows[0], kept=True)]
    failed = 0
    if FLAGS.tflite:
        tflite_root = FLAGS.tflite_out or os.path.join(FLAGS.out, "tflite")
        out_dir = os.path.join(tflite_root, name, version)
        tflite_source = os.path.join(out_dir, "source_saved_model")
        serving.write_archive(
            signatures.build_tflite_archive(restored),
            tflite_source,
            {"name": name, "version": version},
        )
        try:
            results = tflite.convert(
                tflite_source,
                out_dir,
                FLAGS.tflite_variants,
                raise_errors=False,
                keep_float=signatures.keep_float_scopes(restored),
            )
        finally:
            if not FLAGS.keep_tflite_source:
                shutil.rmtree(tflite_source, ignore_errors=True)
        for variant, result in results.items():
            if result.error:
                failed += 1
                print(f"TFLite {variant}: FAILED: {result.error}")
                continue
            got = parity.tflite_outputs(result.path, direction, held.condition, held.z)
            rows.append(parity.compare(direction, variant, got, reference))
            result.parity = rows[-1].as_dict()
            ops = "builtins + SELECT_TF_OPS" if result.select_tf_ops else "builtins only"
            float_ops = f", {len(result.float_ops)} op(s) kept float" if result.float_ops else ""
            line = (
                f"TFLite {variant}: {result.path} ({result.bytes / 1e6:.2f} MB, {ops}{float_ops})"
            )
            if not rows[-1].ok:
                refused.append(parity.refusal(rows[-1], kept=FLAGS.allow_inexact))
                if not FLAGS.allow_inexact:
                    os.remove(result.path)
                    result.error = f"refused: {refused[-1]}"
                    result.path, result.bytes = "", 0
                    line = f"TFLite {variant}: REFUSED, not written"
            print(line)
        tflite.write_manifest(out_dir, results)
    print(parity.table(rows, direction, len(held.z), source))
    for message in refused:
        print(message)
    return 1 if failed or (refused and not FLAGS.allow_inexact) else 0


def run() -> None:
    """Console-script entry point (`avgan-export`)."""
    cli.run(main, "avgan-export")


if __name__ == "__main__":
    run()

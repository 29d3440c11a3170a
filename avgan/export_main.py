"""Export a trained GAN: `python -m avgan.export_main --model_dir DIR [flags]`.

Writes a SavedModel with raw-input serving signatures into TF Serving's layout,
OUT/<name>/<version>/, rewrites the TF Serving model config listing every model under
OUT, and with --tflite converts the generator to TFLite (float32, float16, int8) into
TFLITE_OUT/<name>/<version>/. See export/README.md for the signatures, the docker
command and the REST requests.

    python -m avgan.export_main --model_dir runs/s2i --out export/models --tflite
    python -m avgan.export_main --model_dir runs/i2s --out export/models --tflite
"""

from __future__ import annotations

import os
import shutil

from absl import app, flags

from avgan import cli

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "A trained GAN run (s2i, s2i_pose or i2s).", required=True)
flags.DEFINE_string("out", "export/models", "TF Serving model base folder.")
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
    "config_file", None, "TF Serving model config to write (default: OUT/../models.config)."
)
flags.DEFINE_string("serving_root", "/models", "Where OUT is mounted in the serving container.")
flags.DEFINE_bool("tflite", False, "Also convert the generator to TFLite.")
flags.DEFINE_list("tflite_variants", ["float32", "float16", "int8"], "TFLite variants.")
flags.DEFINE_string("tflite_out", None, "TFLite base folder (default: OUT/../tflite).")
flags.DEFINE_bool("keep_tflite_source", False, "Keep the SavedModel TFLite is converted from.")


def main(argv):
    del argv
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from avgan import run_dir
    from avgan.export import serving, signatures, tflite

    parent = os.path.dirname(os.path.abspath(FLAGS.out))
    try:
        restored = run_dir.restore(FLAGS.model_dir)
        path = serving.export_saved_model(
            restored, FLAGS.out, FLAGS.name, FLAGS.version, max_batch=FLAGS.max_batch
        )
    except (run_dir.ModelDirError, serving.ExportError) as e:
        raise app.UsageError(str(e)) from None
    name, version = os.path.basename(os.path.dirname(path)), os.path.basename(path)
    print(
        f"SavedModel: {path} ({'EMA' if restored.uses_ema else 'trained'} generator, "
        f"{restored.checkpoint}; at most {FLAGS.max_batch} examples per call)"
    )
    config_file = FLAGS.config_file or os.path.join(parent, "models.config")
    serving.write_models_config(FLAGS.out, config_file, FLAGS.serving_root)
    print(f"TF Serving config: {config_file}")
    if not FLAGS.tflite:
        return 0

    out_dir = os.path.join(FLAGS.tflite_out or os.path.join(parent, "tflite"), name, version)
    source = os.path.join(out_dir, "source_saved_model")
    serving.write_archive(
        signatures.build_tflite_archive(restored), source, {"name": name, "version": version}
    )
    try:
        results = tflite.convert(source, out_dir, FLAGS.tflite_variants, raise_errors=False)
    finally:
        if not FLAGS.keep_tflite_source:
            shutil.rmtree(source, ignore_errors=True)
    failed = 0
    for variant, result in results.items():
        if result.error:
            failed += 1
            print(f"TFLite {variant}: FAILED: {result.error}")
        else:
            ops = "builtins + SELECT_TF_OPS" if result.select_tf_ops else "builtins only"
            print(f"TFLite {variant}: {result.path} ({result.bytes / 1e6:.2f} MB, {ops})")
    return 1 if failed else 0


def run() -> None:
    """Console-script entry point (`avgan-export`)."""
    cli.run(main, "avgan-export")


if __name__ == "__main__":
    run()

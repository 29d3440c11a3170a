"""SavedModel -> TFLite (float32, float16, dynamic-range int8), each in a child process.

The converter can abort the whole process (`LLVM ERROR: Failed to infer result
type(s)` from a wrapper that does not track the Keras 3 variables, docs/design.md §1), so
`convert` runs the conversions in `python -m avgan.export.tflite`: a crash there is
reported as a `TFLiteError` naming the variant, and the variants after it are converted
in a fresh child.

Variants:
    float32  no optimisation: the reference, parity with Keras to ~1e-5
    float16  weights stored as float16 (half the size), computed in float32
    int8     dynamic-range quantisation: int8 weights, activations quantised on the fly,
             except the ops under `keep_float` name scopes (the S2I sound encoder's
             log-mel front end), which stay float (`avgan.export.float_ops`)

Each conversion tries TFLite's builtin ops first and falls back to SELECT_TF_OPS (the
Flex delegate: needs the full TF runtime) only when the builtins cannot express the
graph; the manifest says which was needed. The file is smoke-run once on zeros in the
child, so a model that converts but cannot run is reported too; whether it computes
what the Keras generator computes is `avgan.export.parity`'s check, in the parent.

Worker usage (what `convert` spawns; also usable by hand):
    python -m avgan.export.tflite --saved_model DIR --out_dir DIR --variants float32,int8 \
        [--keep_float sound_features]
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys

VARIANTS = ("float32", "float16", "int8")
MANIFEST = "manifest.json"
_TAG = "AVGAN_TFLITE"


class TFLiteError(Exception):
    """One or more variants failed to convert or crashed the converter (names them)."""


@dataclasses.dataclass
class Result:
    variant: str
    path: str = ""
    bytes: int = 0
    select_tf_ops: bool = False
    error: str = ""
    float_ops: list[str] = dataclasses.field(default_factory=list)  # int8: kept in float
    parity: dict = dataclasses.field(default_factory=dict)  # set by the export's check


def tflite_path(out_dir: str, variant: str) -> str:
    return os.path.join(out_dir, f"{variant}.tflite")


# --- child side ---------------------------------------------------------------------


def _converter(saved_model: str, variant: str, select_tf_ops: bool):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_model, signature_keys=["serving_default"]
    )
    if variant in ("float16", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if select_tf_ops:
        ops.append(tf.lite.OpsSet.SELECT_TF_OPS)
    converter.target_spec.supported_ops = ops
    return converter


def convert_variant(
    saved_model: str, variant: str, out_dir: str, keep_float: tuple[str, ...] = ()
) -> Result:
    """Converts one variant in this process (builtins, else with SELECT_TF_OPS); for
    int8 the ops under the `keep_float` name scopes stay float."""
    from avgan.data.files import write_bytes
    from avgan.export.float_ops import keep_float as dequantize_scopes

    if variant not in VARIANTS:
        raise ValueError(f"unknown TFLite variant {variant!r}; valid: {', '.join(VARIANTS)}")
    try:
        flatbuffer, select = _converter(saved_model, variant, False).convert(), False
    except Exception as builtin_error:  # noqa: BLE001 - ConverterError and friends
        try:
            flatbuffer, select = _converter(saved_model, variant, True).convert(), True
        except Exception:  # noqa: BLE001
            raise builtin_error from None
    float_ops = []
    if variant == "int8":
        flatbuffer, float_ops = dequantize_scopes(flatbuffer, keep_float)
    path = tflite_path(out_dir, variant)
    write_bytes(path, flatbuffer)
    smoke_run(path)
    return Result(variant, path, len(flatbuffer), select, float_ops=float_ops)


def load_interpreter(path: str, num_threads: int | None = None):
    """A LiteRT interpreter for `path` (ai_edge_litert; tf.lite's when it is missing)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - the fallback
        from tensorflow.lite.python.interpreter import Interpreter
    return Interpreter(model_path=path, num_threads=num_threads)


def run_signature(interpreter, **inputs) -> dict:
    """Runs the `serving_default` signature on numpy inputs (any batch size)."""
    return interpreter.get_signature_runner("serving_default")(**inputs)


def smoke_run(path: str) -> None:
    """Runs the model once on zeros of batch 1 (raises if it cannot run)."""
    import numpy as np

    interpreter = load_interpreter(path)
    runner = interpreter.get_signature_runner("serving_default")
    inputs = {}
    for name, detail in runner.get_input_details().items():
        shape = [1] + [int(d) for d in detail["shape_signature"][1:]]
        inputs[name] = np.zeros(shape, detail["dtype"])
    runner(**inputs)


def _emit(kind: str, payload) -> None:
    print(f"{_TAG} {kind} {json.dumps(payload)}", flush=True)


def worker(
    saved_model: str, out_dir: str, variants: list[str], keep_float: tuple[str, ...] = ()
) -> int:
    """The child's loop: START before each variant, DONE or FAIL after it."""
    os.makedirs(out_dir, exist_ok=True)
    failed = 0
    for variant in variants:
        _emit("START", variant)
        crash = os.environ.get("AVGAN_TFLITE_TEST_ABORT")  # tests: simulate a converter abort
        if crash == variant:
            os.abort()
        try:
            result = convert_variant(saved_model, variant, out_dir, keep_float)
            _emit("DONE", dataclasses.asdict(result))
        except Exception as e:  # noqa: BLE001 - reported to the parent, named by variant
            failed += 1
            message = f"{type(e).__name__}: {e}".strip()
            _emit("FAIL", dataclasses.asdict(Result(variant, error=message[-4000:])))
    return 1 if failed else 0


# --- parent side --------------------------------------------------------------------


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def convert(
    saved_model: str,
    out_dir: str,
    variants: tuple[str, ...] | list[str] = VARIANTS,
    timeout: float = 900.0,
    raise_errors: bool = True,
    keep_float: tuple[str, ...] | list[str] = (),
) -> dict[str, Result]:
    """Converts `saved_model` (a `build_tflite_archive` SavedModel) to each variant in
    child processes; writes OUT_DIR/<variant>.tflite and OUT_DIR/manifest.json.

    A child that dies (abort, segfault, timeout) fails only the variant it was
    converting; the rest go to a new child.

    Args:
        keep_float: name scopes whose ops stay float in the int8 variant
            (`avgan.export.signatures.keep_float_scopes`).

    Raises:
        TFLiteError: when raise_errors and a variant failed; the message names each
            failed variant and why (the converter's error or how the child died).
    """
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown TFLite variant(s) {unknown}; valid: {', '.join(VARIANTS)}")
    results: dict[str, Result] = {}
    pending = list(variants)
    while pending:
        cmd = [sys.executable, "-m", "avgan.export.tflite", "--saved_model", saved_model]
        cmd += ["--out_dir", out_dir, "--variants", ",".join(pending)]
        cmd += ["--keep_float", ",".join(keep_float)]
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
        started = None
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
            stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as e:
            stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            stderr = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
            code = None
        for line in stdout.splitlines():
            if not line.startswith(_TAG + " "):
                continue
            _, kind, payload = line.split(" ", 2)
            payload = json.loads(payload)
            if kind == "START":
                started = payload
            else:
                results[payload["variant"]] = Result(**payload)
                started = None
        finished = [v for v in pending if v in results]
        if started is not None:  # the child died converting `started`
            how = f"timed out after {timeout:.0f} s" if code is None else _describe_exit(code)
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            results[started] = Result(
                started, error=f"the converter process {how} converting {started}:\n{tail}"
            )
        elif len(finished) < len(pending) and not any(
            line.startswith(_TAG) for line in stdout.splitlines()
        ):  # died before the first variant (import error, bad flags)
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            for v in pending:
                results[v] = Result(v, error=f"the converter process failed to start:\n{tail}")
        pending = [v for v in pending if v not in results]
    write_manifest(out_dir, results)
    failures = [r for r in results.values() if r.error]
    if failures and raise_errors:
        raise TFLiteError(
            "; ".join(f"TFLite {r.variant} conversion failed: {r.error}" for r in failures)
        )
    return results


def write_manifest(out_dir: str, results: dict[str, Result]) -> None:
    """Updates OUT_DIR/manifest.json with these variants' entries (others kept)."""
    from avgan.data.files import write_text

    existing = {}
    path = os.path.join(out_dir, MANIFEST)
    if os.path.exists(path):
        with open(path) as f:
            existing = json.load(f)
    for variant, result in results.items():
        entry = dataclasses.asdict(result)
        entry["path"] = os.path.basename(result.path) if result.path else ""
        existing[variant] = entry
    os.makedirs(out_dir, exist_ok=True)
    write_text(path, json.dumps(existing, indent=2, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--saved_model", required=True)
    parser.add_argument("--out_dir", required=True)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--keep_float", default="", help="name scopes kept float in int8")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; valid: {', '.join(VARIANTS)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keep_float = tuple(s for s in args.keep_float.split(",") if s)
    return worker(args.saved_model, args.out_dir, variants, keep_float)


if __name__ == "__main__":
    sys.exit(main())

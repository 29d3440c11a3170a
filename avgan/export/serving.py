"""Trained GAN -> SavedModel in TF Serving's layout: OUT/<name>/<version>/, and the
model_config_list that lists every model under OUT.

The run is restored by `avgan.run_dir.restore` (generators alone; the EMA generator
when the run kept one) and its signatures built by `avgan.export.signatures`; see
docs/export.md for the docker command and the REST requests. Versions are never
overwritten, and each is written into a hidden folder and renamed when complete, so a
server polling OUT never loads a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator

import keras

from avgan.data.constants import CHUNK_SAMPLES
from avgan.data.files import write_text
from avgan.export.signatures import DEFAULT_MAX_BATCH, build_archive
from avgan.run_dir import RestoredRun

METADATA_FILE = "assets.extra/avgan_export.json"  # TF Serving ignores assets.extra/


class ExportError(Exception):
    """An export that cannot be written (a version that exists, a bad version number)."""


def versions(model_root: str) -> list[int]:
    """The integer version folders under export/models/<name>/, ascending."""
    if not os.path.isdir(model_root):
        return []
    return sorted(int(d) for d in os.listdir(model_root) if re.fullmatch(r"\d+", d))


class _WriterNotes(logging.Filter):
    """Drops the INFO records TF's SavedModel writer logs (through absl) while writing.

    One per signature reads "Function `default` contains input name(s) 7627, 7629, ...
    with unsupported characters which will be renamed to unknown, unknown_0, ...": the
    names are not the signatures' inputs (those stay waveform, image, seed, z) but the
    placeholders of the variables each signature function captures, which TF names by
    number and renames in the function library; several hundred characters, nothing a
    user can act on. The others are sharding times and "Assets written to" the
    temporary folder that is renamed right after; the export prints where the model is.
    Warnings and errors pass.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


@contextlib.contextmanager
def _quiet_writer() -> Iterator[None]:
    loggers, quiet = [logging.getLogger("absl"), logging.getLogger("tensorflow")], _WriterNotes()
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def write_archive(
    archive: keras.export.ExportArchive,
    path: str,
    metadata: dict,
    check: Callable[[str], dict | None] | None = None,
) -> str:
    """Writes the SavedModel atomically: into a hidden temporary folder beside `path`
    (TF Serving ignores non-integer names) and renamed when complete, so a server
    polling the folder never loads a half-written version.

    Args:
        check: called with the written temporary folder before the rename; returns
            None or a dict added to the metadata. An exception from it (a parity
            refusal) leaves nothing at `path`.
    """
    parent = os.path.dirname(os.path.abspath(path))
    made_parent = not os.path.isdir(parent)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=parent, prefix=".tmp-")
    try:
        with _quiet_writer():
            archive.write_out(tmp, verbose=False)
        extra = check(tmp) if check is not None else None
        metadata = {**metadata, **(extra or {})}
        write_text(os.path.join(tmp, METADATA_FILE), json.dumps(metadata, indent=2))
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if made_parent and not os.listdir(parent):
            os.rmdir(parent)  # a refused first version leaves no empty model folder
        raise
    return path


def export_saved_model(
    restored: RestoredRun,
    out: str,
    name: str | None = None,
    version: int | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    check: Callable[[str], dict | None] | None = None,
) -> str:
    """Writes OUT/<name>/<version>/ (TF Serving's layout); returns that path.

    Args:
        name: the served model's name; default the run's direction ('s2i' or 'i2s').
        version: default one more than the newest version there (1 for the first).
        max_batch: the most examples a signature takes in one call, enforced in the
            graph and recorded in the metadata.
        check: run on the written SavedModel before it becomes visible (`write_archive`).

    Raises:
        ExportError: the version exists already, or max_batch is not positive.
    """
    if max_batch < 1:
        raise ExportError(f"--max_batch must be a positive integer, got {max_batch}")
    config = restored.config
    name = name or config.direction
    root = os.path.join(out, name)
    version = version if version is not None else max(versions(root), default=0) + 1
    if version < 1:
        raise ExportError(f"--version must be a positive integer, got {version}")
    path = os.path.join(root, str(version))
    if os.path.exists(path):
        raise ExportError(f"{path} exists; pick a new --version (TF Serving versions are final)")
    metadata = {
        "name": name,
        "version": version,
        "direction": config.direction,
        "mode": config.mode,
        "checkpoint": os.path.abspath(restored.checkpoint),
        "encoder": os.path.abspath(restored.encoder_path),
        "ema_generator": restored.uses_ema,
        "z_dim": config.model.z_dim,
        "chunk_samples": CHUNK_SAMPLES,
        "max_batch": max_batch,
    }
    return write_archive(build_archive(restored, max_batch), path, metadata, check)


def write_models_config(out: str, config_file: str, serving_root: str = "/models") -> str:
    """Writes TF Serving's model_config_list with every model under OUT.

    A model is a folder of OUT holding at least one integer version folder; its
    base_path is SERVING_ROOT/<name> (where OUT is mounted in the container).
    """
    names = sorted(
        d for d in os.listdir(out) if not d.startswith(".") and versions(os.path.join(out, d))
    )
    entries = "".join(
        "  config {\n"
        f'    name: "{n}"\n'
        f'    base_path: "{serving_root.rstrip("/")}/{n}"\n'
        '    model_platform: "tensorflow"\n'
        "  }\n"
        for n in names
    )
    write_text(config_file, "model_config_list {\n" + entries + "}\n")
    return config_file

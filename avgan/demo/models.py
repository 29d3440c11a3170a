"""The exported SavedModels the page runs: found in the TF Serving tree, loaded, checked.

`avgan-export --out DIR` writes DIR/s2i/<version>/ and DIR/i2s/<version>/
(`avgan.export.serving`); the page takes the newest version of each, or the SavedModel
folders given with --s2i / --i2s. Either direction may be missing: the page then offers
the other and says why (`Models.missing`). Nothing here imports the trainer or a
network: inference goes through the `<direction>_seed` signature of the loaded
SavedModel, the artefact TF Serving serves (`avgan.export.signatures`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable

import tensorflow as tf

from avgan.export.serving import METADATA_FILE, versions

DIRECTIONS = ("s2i", "i2s")


def seed_signature(direction: str) -> str:
    """The signature the page calls: condition and [batch] int64 seeds in."""
    return f"{direction}_seed"


@dataclasses.dataclass(frozen=True)
class Model:
    """One loaded SavedModel and what the page says about it."""

    direction: str  # "s2i" or "i2s"
    path: str  # the SavedModel folder
    label: str  # "s2i version 3": what the page shows (no file system path)
    metadata: dict  # the export's assets.extra/avgan_export.json; {} when absent
    max_batch: int  # the most examples one call takes (checked in the graph)
    call: Callable[..., dict]  # the `<direction>_seed` signature
    loaded: object = dataclasses.field(repr=False)  # keeps the signature's variables alive


@dataclasses.dataclass(frozen=True)
class Models:
    """The directions the page offers, and why each other one is not offered."""

    s2i: Model | None
    i2s: Model | None
    missing: dict[str, str]  # direction -> one sentence: why it is not offered

    def get(self, direction: str) -> Model | None:
        return self.s2i if direction == "s2i" else self.i2s


def newest_version(model_root: str) -> str | None:
    """MODEL_ROOT/<newest integer version>, or None when there is none."""
    found = versions(model_root)
    return os.path.join(model_root, str(found[-1])) if found else None


def locate(
    models_dir: str | None, s2i: str | None = None, i2s: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Where each direction's SavedModel is, without loading anything.

    Args:
        models_dir: the TF Serving tree (`avgan-export --out`); None for none.
        s2i, i2s: a SavedModel folder each (--s2i / --i2s), or a model folder holding
            integer versions (its newest is taken); they win over `models_dir`.

    Returns:
        ({direction: SavedModel folder}, {direction: why it has none}).

    Raises:
        ValueError: an --s2i/--i2s folder that does not exist or holds no SavedModel.
    """
    found, missing = {}, {}
    for direction, given in (("s2i", s2i), ("i2s", i2s)):
        flag = f"--{direction}"
        if given:
            if not os.path.isdir(given):
                raise ValueError(f"{flag} {given}: no such folder")
            path = given if is_saved_model(given) else newest_version(given)
            if path is None or not is_saved_model(path):
                raise ValueError(
                    f"{flag} {given}: not a SavedModel (no saved_model.pb) nor a model folder "
                    "with version folders 1/, 2/, ..."
                )
            found[direction] = path
            continue
        if not models_dir:
            missing[direction] = f"no {direction.upper()} model given (--models or {flag})"
            continue
        root = os.path.join(models_dir, direction)
        path = newest_version(root)
        if path is None or not is_saved_model(path):
            missing[direction] = (
                f"{root} holds no exported version: export an {direction.upper()} run with "
                f"`avgan-export --model_dir RUN --out {models_dir}`, or give {flag} DIR"
            )
        else:
            found[direction] = path
    return found, missing


def is_saved_model(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def read_metadata(path: str) -> dict:
    """The export's metadata (direction, version, mode, max_batch, ...); {} if absent."""
    try:
        with open(os.path.join(path, METADATA_FILE), encoding="utf-8") as f:
            metadata = json.load(f)
    except (OSError, json.JSONDecodeError):
        return {}
    return metadata if isinstance(metadata, dict) else {}


def load(path: str, direction: str) -> Model:
    """Loads the SavedModel at `path` for `direction` and checks its signatures.

    Raises:
        ValueError: naming the folder: it is the other direction's model, or it has
            no `<direction>_seed` signature (not an avgan export).
    """
    loaded = tf.saved_model.load(path)
    signatures = sorted(loaded.signatures.keys())
    name = seed_signature(direction)
    if name not in signatures:
        other = next((d for d in DIRECTIONS if seed_signature(d) in signatures), None)
        if other is not None and other != direction:
            raise ValueError(
                f"{path} is an {other.upper()} SavedModel; --{direction} needs an "
                f"{direction.upper()} one"
            )
        raise ValueError(
            f"{path}: no '{name}' signature (has: {', '.join(signatures) or 'none'}); "
            "give a SavedModel written by avgan-export"
        )
    metadata = read_metadata(path)
    version = metadata.get("version", os.path.basename(os.path.normpath(path)))
    label = f"{metadata.get('name', direction)} version {version}"
    if metadata.get("ema_generator"):
        label += " (EMA generator)"
    max_batch = int(metadata.get("max_batch", 256))  # export's DEFAULT_MAX_BATCH
    return Model(direction, path, label, metadata, max_batch, loaded.signatures[name], loaded)


def load_models(models_dir: str | None, s2i: str | None = None, i2s: str | None = None) -> Models:
    """Locates and loads both directions (see `locate`).

    Raises:
        ValueError: neither direction has a model (the message says why for each), or
            a given folder is not a SavedModel of its direction.
    """
    if models_dir and not os.path.isdir(models_dir) and not (s2i or i2s):
        raise ValueError(
            f"--models {models_dir}: no such folder; export a model first "
            f"(`avgan-export --model_dir RUN --out {models_dir}`) or give --s2i / --i2s"
        )
    found, missing = locate(models_dir, s2i, i2s)
    if not found:
        raise ValueError("no model to serve: " + "; ".join(missing[d] for d in DIRECTIONS))
    loaded = {direction: load(path, direction) for direction, path in found.items()}
    return Models(loaded.get("s2i"), loaded.get("i2s"), missing)

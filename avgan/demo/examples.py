"""The built-in examples: a few half-second sounds and 64x64 pictures from the synthetic
ensemble's held-out (validation) split, shipped inside the package (examples/, listed
in examples/examples.json) so the page shows something on first open without any
download. `scripts/demo_examples.py` regenerates them.
"""

from __future__ import annotations

import dataclasses
import json
import os

EXAMPLES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")
MANIFEST = "examples.json"
MIME = {".wav": "audio/wav", ".png": "image/png"}


@dataclasses.dataclass(frozen=True)
class Example:
    file: str  # a file name in EXAMPLES_DIR
    kind: str  # "sound" or "picture"
    instrument: str
    source: str  # where in the data set it came from (for the record)

    @property
    def mime(self) -> str:
        return MIME[os.path.splitext(self.file)[1]]


def load(folder: str = EXAMPLES_DIR) -> list[Example]:
    """The examples listed in FOLDER/examples.json whose files exist, in its order.

    Raises:
        ValueError: the manifest is unreadable, or names a file outside the folder or
            of another type than .wav / .png.
    """
    path = os.path.join(folder, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)["examples"]
        examples = [Example(**entry) for entry in entries]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path}: not a list of examples ({e})") from None
    for example in examples:
        if os.path.basename(example.file) != example.file or example.file.startswith("."):
            raise ValueError(f"{path}: example file {example.file!r} is not a plain name")
        if os.path.splitext(example.file)[1] not in MIME or example.kind not in (
            "sound",
            "picture",
        ):
            raise ValueError(
                f"{path}: example {example.file!r} is not a .wav sound or .png picture"
            )
    return [e for e in examples if os.path.isfile(os.path.join(folder, e.file))]

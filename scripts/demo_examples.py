"""Regenerates the demo page's built-in examples (avgan/demo/examples/) from the synthetic
ensemble's held-out (validation) split.

    .venv/bin/python scripts/demo_examples.py                 # the `small` ensemble
    .venv/bin/python scripts/demo_examples.py --data DIR      # any Sub-URMP layout

For each of a few instruments it takes the loudest validation pair (by its chunk's
dBFS, ties by name, so the choice is the same on every machine that built the same
ensemble) and writes INSTRUMENT.wav (the 0.5 s chunk, 16-bit mono 44.1 kHz) and
INSTRUMENT.png (the 64x64 picture), and examples/examples.json listing them with
where each came from. About 45 KB per sound and 10 KB per picture; every file is
written atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INSTRUMENTS = ("violin", "flute", "trumpet", "cello")


def main(argv: list[str] | None = None) -> int:
    from avgan.demo.examples import EXAMPLES_DIR, MANIFEST

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="a Sub-URMP layout (default: synthetic small)")
    p.add_argument("--out", default=EXAMPLES_DIR, help=f"default {EXAMPLES_DIR}")
    p.add_argument("--instruments", nargs="+", default=list(INSTRUMENTS), metavar="NAME")
    args = p.parse_args(argv)

    import numpy as np

    from avgan.data import audio, layout
    from avgan.data.files import write_bytes, write_text
    from avgan.data.synthetic import build
    from avgan.demo import media

    root = args.data or build.default_root("small", 0)
    index = layout.read_layout(root, check_files=False, progress=False)
    entries = []
    for name in args.instruments:
        pairs = [p for p in index.pairs if p.split == "validation" and p.instrument == name]
        if not pairs:
            print(f"error: {root} has no validation pair of {name!r}", file=sys.stderr)
            return 2
        chunks = {p.stem: audio.load_audio(p.sound).numpy() for p in pairs}
        loudness = {stem: float(audio.dbfs(chunk)) for stem, chunk in chunks.items()}
        pair = max(pairs, key=lambda p: (loudness[p.stem], p.stem))
        chunk = chunks[pair.stem][: audio.CHUNK_SAMPLES]
        picture = audio.resize_image(audio.load_image(pair.image)).numpy()
        write_bytes(os.path.join(args.out, f"{name}.wav"), media.wav(chunk))
        write_bytes(os.path.join(args.out, f"{name}.png"), media.png(np.asarray(picture)))
        for kind, file, source in (
            ("sound", f"{name}.wav", pair.sound),
            ("picture", f"{name}.png", pair.image),
        ):
            source = os.path.relpath(source, root)
            entries.append({"file": file, "kind": kind, "instrument": name, "source": source})
        print(f"{name}: {pair.stem} ({loudness[pair.stem]:.1f} dBFS)")
    entries.sort(key=lambda e: (e["kind"] != "sound", args.instruments.index(e["instrument"])))
    manifest = {
        "data": os.path.basename(os.path.normpath(root)),
        "split": "validation",
        "examples": entries,
    }
    write_text(os.path.join(args.out, MANIFEST), json.dumps(manifest, indent=2) + "\n")
    total = sum(os.path.getsize(os.path.join(args.out, e["file"])) for e in entries)
    print(f"wrote {len(entries)} examples ({total / 1e3:.0f} KB) into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for the human-evaluation tests: tiny drawn pictures per method and a study."""

from __future__ import annotations

import json
import os

import pytest
from PIL import Image, ImageDraw

from avgan.humaneval.study import prepare

# Distinctive names, so that a leak is easy to grep for in responses.
METHODS = ("S2I-C", "S2I-N", "S2I-A")
GROUND_TRUTH = "ground-truth-reference"
INSTRUMENTS = ("cello", "flute", "double_bass")
COLOURS = {"S2I-C": (70, 120, 200), "S2I-N": (200, 140, 60), "S2I-A": (150, 80, 170)}


def draw_picture(path: str, colour: tuple[int, int, int], k: int, real: bool = False) -> None:
    """A 64x64 'musician': background, a head and a body, varied with k."""
    im = Image.new("RGB", (64, 64), (235 - 10 * k, 228, 215) if real else colour)
    d = ImageDraw.Draw(im)
    skin = (224, 180, 150)
    body = (40, 40, 60) if real else tuple(min(255, c + 50) for c in colour)
    d.ellipse([24 + k, 8, 38 + k, 22], fill=skin)
    d.rectangle([22 + k, 22, 40 + k, 52], fill=body)
    d.line([(10, 58 - k), (54, 30 + k)], fill=(120, 70, 30), width=3)
    im.save(path)


def make_sources(root: str, per_instrument: int = 3, ext: str = ".png") -> dict[str, str]:
    """METHODS and GROUND_TRUTH as DIR/<instrument>/<k>.png (GT as JPEG); {name: dir}."""
    dirs = {}
    for method in METHODS:
        d = os.path.join(root, "runs", method)
        for instrument in INSTRUMENTS:
            os.makedirs(os.path.join(d, instrument))
            for k in range(per_instrument):
                draw_picture(os.path.join(d, instrument, f"clip{k}{ext}"), COLOURS[method], k)
        dirs[method] = d
    gt = os.path.join(root, "gt")
    for instrument in INSTRUMENTS:
        os.makedirs(os.path.join(gt, instrument))
        for k in range(per_instrument):
            draw_picture(os.path.join(gt, instrument, f"clip{k}.jpg"), (0, 0, 0), k, real=True)
    dirs[GROUND_TRUTH] = gt
    return dirs


@pytest.fixture
def sources(tmp_path) -> dict[str, str]:
    return make_sources(str(tmp_path))


@pytest.fixture
def study_dir(tmp_path, sources) -> str:
    """A study with 2 sets per instrument: 6 sets of 4 pictures."""
    out = str(tmp_path / "study")
    prepare(
        [sources[m] for m in METHODS],
        out,
        ground_truth=sources[GROUND_TRUTH],
        ground_truth_name=GROUND_TRUTH,
        sets=2,
        seed=1,
        log=lambda *a, **k: None,
    )
    return out


def read_study(study_dir: str) -> dict:
    with open(os.path.join(study_dir, "study.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture
def live_server(study_dir):
    """The app under waitress, as `serve` runs it, on a free port of 127.0.0.1 in a thread:
    (base url, study dir)."""
    import threading

    from avgan.humaneval.app import create_app
    from avgan.humaneval.server import Server

    server = Server(create_app(study_dir), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}", study_dir
    finally:
        server.close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "waitress did not stop"

"""Fixtures for the demo page: tiny exported models, the app, and the app under waitress.

The models are tests/export's tiny runs (width 8, one training step, untrained
encoders), exported as `avgan-export` does into a TF Serving tree: what the page shows
is noise, but every number it shows goes through the SavedModels' signatures.
"""

from __future__ import annotations

import io
import os
import re
import threading
import wave

import numpy as np
import pytest
from PIL import Image

from avgan import run_dir
from avgan.export import serving
from tests.export.conftest import make_run

SR = 44100


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> str:
    """OUT of `avgan-export --out OUT` for a tiny S2I and a tiny I2S run: OUT/s2i/1,
    OUT/i2s/1 and OUT/models.config."""
    root = tmp_path_factory.mktemp("demo_export")
    out = str(root / "models")
    for direction in ("s2i", "i2s"):
        model_dir = str(root / "runs" / direction)
        make_run(model_dir, direction)
        serving.export_saved_model(run_dir.restore(model_dir), out)
    serving.write_models_config(out, os.path.join(out, "models.config"))
    return out


@pytest.fixture(scope="session")
def models(models_dir):
    """Both tiny models, loaded; AVGAN_DEMO_S2I=DIR takes the S2I SavedModel at DIR
    instead (a trained one, for the README's screenshot: docs/demo.md)."""
    from avgan.demo.models import load_models

    return load_models(models_dir, s2i=os.environ.get("AVGAN_DEMO_S2I") or None)


@pytest.fixture
def app(models):
    from avgan.demo.app import create_app

    return create_app(models)


@pytest.fixture
def client(app):
    return app.test_client()


def token(client) -> str:
    """The session's form token, as the page writes it into its <meta>."""
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def wav_bytes(samples: np.ndarray, rate: int = SR, channels: int = 1) -> bytes:
    """[samples] or [samples, channels] float in [-1, 1] -> 16-bit PCM WAV bytes."""
    pcm = np.round(np.clip(samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(pcm.tobytes())
    return buffer.getvalue()


def tone(
    seconds: float, rate: int = SR, pitch: float = 440.0, loud: tuple[float, float] | None = None
) -> np.ndarray:
    """A sine at `pitch`, amplitude 0.6; with `loud` (start, end) in seconds, 0.05 outside
    that span, so that the loudest half second is known."""
    t = np.arange(int(round(seconds * rate))) / rate
    gain = 0.6 if loud is None else np.where((t >= loud[0]) & (t < loud[1]), 0.6, 0.05)
    return gain * np.sin(2 * np.pi * pitch * t)


def png_bytes(pixels: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt)
    return buffer.getvalue()


def picture(height: int = 96, width: int = 80) -> np.ndarray:
    """A smooth RGB picture of any size."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 3 % 256, y * 2 % 256, (x + y) % 256], axis=-1).astype(np.uint8)


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit mono WAV bytes -> ([samples] float32, rate)."""
    with wave.open(io.BytesIO(data)) as f:
        assert f.getnchannels() == 1 and f.getsampwidth() == 2
        frames = f.readframes(f.getnframes())
        return np.frombuffer(frames, "<i2").astype(np.float32) / 32767, f.getframerate()


@pytest.fixture
def live_server(models):
    """The app under waitress, as avgan-demo runs it, on a free port of 127.0.0.1 in a
    thread: the base URL."""
    from avgan.demo.app import create_app
    from avgan.humaneval.server import Server

    app = create_app(models)
    server = Server(app, "127.0.0.1", 0, max_body_bytes=app.config["MAX_CONTENT_LENGTH"])
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "waitress did not stop"

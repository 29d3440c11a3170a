"""The demo page's Flask app (plain HTML, CSS and JS, no build step).

    GET  /                      the page: Sound -> picture and Picture -> sound, each
                                offered only when its model is loaded (else: why not)
    GET  /api/info              {"models", "missing", "limits", "examples"}
    GET  /examples/<file>       a built-in example (`avgan.demo.examples`), else 404
    POST /api/s2i               multipart: sound (file), start (s, optional: default
                                the loudest 0.5 s), seed (first of 8, default 0),
                                csrf_token -> JSON: the waveform overview, the start
                                used, the log-mel heard, 8 pictures with their seeds
    POST /api/i2s               multipart: picture (file), seed (first of 3, default 0),
                                csrf_token -> JSON: the 64x64 picture the model saw and
                                per seed a log-mel picture and a 16-bit WAV

Results are made in memory and travel as data: URLs inside the JSON answer; nothing is
kept after the answer but the last decoded sounds (`uploads.SoundCache`).
A refused upload or value is a 4xx with {"error": message}; the page shows the message,
and the server goes on.

Before any route, `avgan.humaneval.guard` (the rating app's) refuses a Host that is not
served (421), a POST from another site or without its session's form token (403) and a
body over the upload cap (413); `avgan.humaneval.server` gives waitress the same cap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

import numpy as np
import tensorflow as tf
from flask import Flask, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from avgan.data import audio
from avgan.demo import examples as examples_lib
from avgan.demo import inference, media, uploads
from avgan.demo.models import Model, Models
from avgan.humaneval import guard

MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # an MP3 of 10 minutes; a 16-bit stereo WAV of 3
FORM_BYTES = 64 * 1024  # room for the multipart framing and the other fields


def policy(max_upload_bytes: int) -> guard.Policy:
    """The demo's guard policy: the upload cap and its own wording."""
    mb = max_upload_bytes / 2**20
    return guard.Policy(
        max_body_bytes=max_upload_bytes + FORM_BYTES,
        # Not the rating app's cookie: both may run on 127.0.0.1, and cookies ignore ports.
        cookie_name="avgan_demo",
        too_large=f"Upload refused: the page takes files up to {mb:g} MB.",
        users="visitors",
        command="avgan-demo",
        cross_site="the models run only for this app's own page.",
        stale_token="Form token missing or expired: reload the page and try again.",
    )


def create_app(
    models: Models,
    allowed_hosts: Iterable[str] = guard.LOOPBACK_HOSTS,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    examples_dir: str = examples_lib.EXAMPLES_DIR,
) -> Flask:
    """The app serving `models` (`avgan.demo.models.load_models`).

    Args:
        allowed_hosts: the names the Host header may carry (`guard.served_hosts`);
            default localhost, 127.0.0.1 and ::1.
        max_upload_bytes: the largest file the page takes.
        examples_dir: the built-in examples (a folder with examples.json).

    Returns:
        The Flask app, serving the pages and endpoints of the module docstring.
    """
    app = Flask(__name__)
    app.json.sort_keys = False  # the answers read in the order they are written
    rules = policy(max_upload_bytes)
    guard.install(app, allowed_hosts, rules)
    app.after_request(_headers)

    # For RequestEntityTooLarge too: this replaces guard's handler of it (the same class),
    # so that the page gets JSON for every refusal of an /api/ request.
    @app.errorhandler(HTTPException)
    @app.errorhandler(RequestEntityTooLarge)
    def http_error(e: HTTPException):
        if e.code == 413:
            e.description = rules.too_large
        if request.path.startswith("/api/"):
            return jsonify(error=e.description), e.code
        return e

    shipped = examples_lib.load(examples_dir)
    _add_page_routes(app, page_info(models, max_upload_bytes, shipped), shipped, examples_dir)
    _add_sound_route(app, models, uploads.SoundCache())
    _add_picture_route(app, models)
    return app


def page_info(models: Models, max_upload_bytes: int, shipped: list[examples_lib.Example]) -> dict:
    """What the page (and GET /api/info) says: the models, why one is missing, the
    limits and the examples."""
    return {
        "models": {
            d: (m.label if m else None) for d, m in (("s2i", models.s2i), ("i2s", models.i2s))
        },
        "missing": models.missing,
        "limits": {
            "max_upload_bytes": max_upload_bytes,
            "max_seconds": uploads.MAX_SECONDS,
            "max_pixels": uploads.MAX_PIXELS,
            "max_seed": inference.MAX_SEED,
            "pictures": inference.S2I_COUNT,
            "sounds": inference.I2S_COUNT,
        },
        "examples": [
            {
                "url": f"/examples/{e.file}",
                "file": e.file,
                "kind": e.kind,
                "instrument": e.instrument,
            }
            for e in shipped
        ],
    }


def _headers(response: Response) -> Response:
    """Security headers on every response; no caching except of static files and examples."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: under no-referrer a browser sends `Origin: null`
    # with the page's own POSTs, which guard refuses as it would another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    # Results arrive as data: URLs; the recorder's and the camera's streams as blob:.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self' data: blob:; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(self)"
    if request.endpoint not in ("static", "example"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _add_page_routes(
    app: Flask, info: dict, shipped: list[examples_lib.Example], examples_dir: str
) -> None:
    """GET / (the page), GET /api/info and GET /examples/<file>."""
    files = {e.file: e for e in shipped}

    @app.get("/")
    def index():
        return render_template("demo.html", info=info)

    @app.get("/api/info")
    def api_info():
        return jsonify(info)

    @app.get("/examples/<name>")
    def example(name: str):
        found = files.get(name)
        if found is None:
            abort(404)
        with open(os.path.join(examples_dir, found.file), "rb") as f:
            data = f.read()
        response = Response(data, mimetype=found.mime)
        response.cache_control.max_age = 3600
        return response


def _add_sound_route(app: Flask, models: Models, sounds: uploads.SoundCache) -> None:
    """POST /api/s2i: a sound -> the log-mel heard and 8 pictures."""

    @app.post("/api/s2i")
    def sound_to_pictures():
        model = _model(models, "s2i")
        data, filename = _upload("sound", "sound")
        first_seed = _seed(inference.S2I_COUNT)
        start = _seconds("start")
        try:
            clip = sounds.read(data, filename)
            if start is None:
                start = clip.loudest_start()
            chunk, start = clip.chunk(start)
            result = inference.sound_to_pictures(model, chunk, first_seed)
        except uploads.UploadError as e:
            abort(400, str(e))
        except tf.errors.InvalidArgumentError as e:
            abort(400, f"The model refused the sound: {uploads.clean_decoder_message(e.message)}")
        return jsonify(
            file=uploads.display_name(filename, "the sound"),
            seconds=round(clip.seconds, 4),
            rate=clip.rate,
            start=round(start, 5),
            latest_start=round(clip.latest_start(), 5),
            overview=media.overview(clip.samples),
            log_mel=media.data_url(media.png(media.log_mel_picture(result.log_mel)), "image/png"),
            pictures=[
                {"seed": seed, "src": media.data_url(media.png(picture), "image/png")}
                for seed, picture in zip(result.seeds, result.pictures, strict=True)
            ],
            model=model.label,
        )


def _add_picture_route(app: Flask, models: Models) -> None:
    """POST /api/i2s: a picture -> 3 log-mel spectrograms and their WAVs."""

    @app.post("/api/i2s")
    def picture_to_sounds():
        model = _model(models, "i2s")
        data, filename = _upload("picture", "picture")
        first_seed = _seed(inference.I2S_COUNT)
        try:
            picture = uploads.read_picture(data, filename)
            result = inference.picture_to_sounds(model, picture, first_seed)
        except uploads.UploadError as e:
            abort(400, str(e))
        except tf.errors.InvalidArgumentError as e:
            abort(400, f"The model refused the picture: {uploads.clean_decoder_message(e.message)}")
        seen = np.asarray(audio.resize_image(picture))  # as the signature resizes it
        return jsonify(
            file=uploads.display_name(filename, "the picture"),
            size=[int(picture.shape[1]), int(picture.shape[0])],
            seen=media.data_url(media.png(seen), "image/png"),
            sounds=[
                {
                    "seed": seed,
                    "log_mel": media.data_url(media.png(media.log_mel_picture(mel)), "image/png"),
                    "wav": media.data_url(media.wav(wave), "audio/wav"),
                    "peak": round(float(np.abs(wave).max()), 4),
                }
                for seed, mel, wave in zip(
                    result.seeds, result.log_mel, result.waveform, strict=True
                )
            ],
            model=model.label,
        )


def _model(models: Models, direction: str) -> Model:
    model = models.get(direction)
    if model is None:
        abort(404, f"No {direction.upper()} model is loaded: {models.missing[direction]}")
    return model


def _upload(field: str, what: str) -> tuple[bytes, str | None]:
    """The bytes and name of the uploaded file `field`; 415/400 when there is none."""
    if request.mimetype != "multipart/form-data":
        abort(415, f"Send the {what} as a multipart/form-data upload (field '{field}').")
    file = request.files.get(field)
    if file is None:
        abort(400, f"No {what} in the request: choose a file first.")
    data = file.read()  # at most the cap: guard refused a longer body
    if not file.filename and not data:  # a form sent with no file chosen
        abort(400, f"No {what} in the request: choose a file first.")
    return data, file.filename or None


def _seed(count: int) -> int:
    """The form's first seed (default 0); 400 unless its `count` seeds are valid."""
    text = request.form.get("seed", "").strip()
    if not text:
        return 0
    try:
        seed = int(text)
    except ValueError:
        abort(400, f"seed: a whole number, got {text[:40]!r}")
    try:
        inference.seeds_from(seed, count)
    except ValueError as e:
        abort(400, str(e))
    return seed


def _seconds(field: str) -> float | None:
    text = request.form.get(field, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        abort(400, f"{field}: a number of seconds, got {text[:40]!r}")
    return value

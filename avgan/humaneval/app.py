"""`serve`: the rating web app (Flask; plain HTML, CSS and JS, no build step).

Pages and endpoints (the method of an image reaches none of them):

    GET  /                              rater id form
    GET  /rate?rater=ID                 the rater's first set not fully scored (or "done")
    POST /rate                          rater, set_id, csrf_token, score-<image id>=0..3 for
                                        every image; 303 back to /rate (so a reload resumes)
    GET  /image/<id>                    a study picture by its opaque id, else 404
    GET  /api/raters/<ID>/progress      {"rater", "total_sets", "scored_sets", "next_set"}

Only pictures listed in study.json are served, looked up by id (32 hex digits) and checked to
lie inside STUDY/images; study.json, the database and any other path answer 404.

Before any route, `avgan.humaneval.guard` refuses a Host that is not served (421), a POST
from another site or without its session's form token (403) and a body over 16 KiB (413).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterable

from flask import (
    Flask,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from avgan.humaneval import RUBRIC, SCORES, guard, store
from avgan.humaneval.study import DB_FILE, IMAGES_DIR, load

IMAGE_ID = re.compile(r"^[0-9a-f]{32}$")


def public_sets(study: dict) -> list[dict]:
    """What pages may show of the sets: ids, instrument and image ids in order. No methods."""
    return [
        {
            "id": s["id"],
            "instrument": s["instrument"],
            "images": [im["id"] for im in s["images"]],
        }
        for s in study["sets"]
    ]


def image_files(study: dict, study_dir: str) -> dict[str, str]:
    """{image id: absolute path}, refusing any listed file outside STUDY/images."""
    images_root = os.path.realpath(os.path.join(study_dir, IMAGES_DIR))
    files = {}
    for s in study["sets"]:
        for im in s["images"]:
            path = os.path.realpath(os.path.join(study_dir, im["file"]))
            if not IMAGE_ID.match(im["id"]) or os.path.dirname(path) != images_root:
                raise ValueError(f"study.json: image {im['id']!r} -> {im['file']!r} not allowed")
            files[im["id"]] = path
    return files


def create_app(
    study_dir: str,
    db_path: str | None = None,
    allowed_hosts: Iterable[str] = guard.LOOPBACK_HOSTS,
) -> Flask:
    """The app for one study; scores go to `db_path` (default STUDY/scores.sqlite).

    Args:
        study_dir: a folder written by `prepare`.
        db_path: the SQLite file; created with its schema if missing.
        allowed_hosts: the names the Host header may carry (`guard.served_hosts`);
            default localhost, 127.0.0.1 and ::1.

    Returns:
        The Flask app, serving the pages and endpoints of the module docstring.

    Raises:
        ValueError: study.json is unsupported or lists a picture outside STUDY/images.
    """
    study = load(study_dir)
    sets = public_sets(study)
    files = image_files(study, study_dir)
    db_path = db_path or os.path.join(study_dir, DB_FILE)
    store.connect(db_path).close()  # creates the schema and switches the file to WAL

    app = Flask(__name__)
    app.config.update(STUDY_DIR=study_dir, DB_PATH=db_path, JSON_SORT_KEYS=False)
    guard.install(app, allowed_hosts)
    db = _connection_per_request(app, db_path)
    app.after_request(_headers)
    _add_rating_routes(app, sets, db)
    _add_image_route(app, files)
    _add_progress_route(app, sets, db)
    return app


def _connection_per_request(app: Flask, db_path: str) -> Callable[[], sqlite3.Connection]:
    """Returns db(): the request's own connection, opened on first use, closed at teardown."""

    def db():
        if "db" not in g:
            g.db = store.connect(db_path)
        return g.db

    @app.teardown_appcontext
    def close_db(_exc):
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    return db


def _headers(response: Response) -> Response:
    """Security headers on every response; no caching except of pictures and static files."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: under no-referrer a browser sends `Origin: null` with
    # the rating form's own POST, which guard must refuse as it would another site's.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
    if request.endpoint not in ("static", "image"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _rater_arg(value: str | None) -> str:
    """The rater id of a request, stripped; 400 unless valid."""
    rater = (value or "").strip()
    if not store.valid_rater(rater):
        abort(400, "Rater id: 1-64 letters, digits, _ . @ -, starting with a letter or digit.")
    return rater


def _progress(
    conn: sqlite3.Connection, sets: list[dict], rater: str
) -> tuple[int, int | None, dict[str, int]]:
    """(sets fully scored, index of the first set not fully scored or None, scores)."""
    scores = store.scored_images(conn, rater)
    done = [all(i in scores for i in s["images"]) for s in sets]
    first = next((k for k, d in enumerate(done) if not d), None)
    return sum(done), first, scores


def _add_rating_routes(app: Flask, sets: list[dict], db: Callable[[], sqlite3.Connection]) -> None:
    """GET / (rater id form), GET /rate (the next set) and POST /rate (its scores)."""
    set_index = {s["id"]: k for k, s in enumerate(sets)}

    @app.get("/")
    def index():
        return render_template("index.html", total=len(sets), rubric_text=RUBRIC)

    @app.get("/rate")
    def rate():
        rater = _rater_arg(request.args.get("rater"))
        scored, k, scores = _progress(db(), sets, rater)
        if k is None:
            return render_template("done.html", rater=rater, total=len(sets))
        current = sets[k]
        return render_template(
            "rate.html",
            rater=rater,
            set=current,
            instrument=current["instrument"].replace("_", " "),
            position=k + 1,
            total=len(sets),
            scored=scored,
            previous={i: scores[i] for i in current["images"] if i in scores},
            rubric_text=RUBRIC,
            scores=SCORES,
        )

    @app.post("/rate")
    def submit():
        rater = _rater_arg(request.form.get("rater"))
        set_id = request.form.get("set_id", "")
        if set_id not in set_index:
            abort(400, "Unknown set.")
        images = sets[set_index[set_id]]["images"]
        scores = {}
        for image_id in images:
            value = request.form.get(f"score-{image_id}", "")
            if value not in {str(s) for s in SCORES}:
                abort(400, "Score every image of the set with 0, 1, 2 or 3.")
            scores[image_id] = int(value)
        extra = [k for k in request.form if k.startswith("score-") and k[6:] not in scores]
        if extra:
            abort(400, "Scores for images outside the set.")
        store.save_set(db(), rater, set_id, scores)
        return redirect(url_for("rate", rater=rater), code=303)


def _add_image_route(app: Flask, files: dict[str, str]) -> None:
    """GET /image/<id>: a study picture by its opaque id, else 404."""

    @app.get("/image/<image_id>")
    def image(image_id: str):
        path = files.get(image_id) if IMAGE_ID.match(image_id) else None
        if path is None or not os.path.isfile(path):
            abort(404)
        with open(path, "rb") as f:  # no Last-Modified/ETag from the file: they carry nothing
            data = f.read()
        response = Response(data, mimetype="image/png")
        response.cache_control.private = True
        response.cache_control.max_age = 3600
        return response


def _add_progress_route(app: Flask, sets: list[dict], db: Callable[[], sqlite3.Connection]) -> None:
    """GET /api/raters/<ID>/progress."""

    @app.get("/api/raters/<rater>/progress")
    def api_progress(rater: str):
        rater = _rater_arg(rater)
        scored, k, _ = _progress(db(), sets, rater)
        return jsonify(
            rater=rater,
            total_sets=len(sets),
            scored_sets=scored,
            next_set=None if k is None else k + 1,
        )

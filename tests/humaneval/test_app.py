"""The rating app through Flask's test client and raw HTTP: flow, resume, validation,
path traversal, concurrent raters, and the method mapping never leaving the server."""

import http.client
import os
import re
import sqlite3
import threading
import urllib.parse

import pytest

from avgan.humaneval.app import create_app

from .conftest import GROUND_TRUTH, METHODS, read_study


@pytest.fixture
def client(study_dir):
    return create_app(study_dir).test_client()


def token(client) -> str:
    """The client's session form token, read from a rating page as a browser would."""
    page = client.get("/rate?rater=token-reader").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def form_for(client, study_set: dict, rater: str, scores) -> dict:
    """A complete scoring form for `study_set`, with `client`'s session token."""
    data = {"rater": rater, "set_id": study_set["id"], "csrf_token": token(client)}
    for im, score in zip(study_set["images"], scores, strict=True):
        data[f"score-{im['id']}"] = str(score)
    return data


def rows(study_dir: str, rater: str | None = None) -> list[tuple]:
    conn = sqlite3.connect(os.path.join(study_dir, "scores.sqlite"))
    try:
        query = "SELECT rater, set_id, image_id, score, scored_at FROM scores"
        if rater:
            return conn.execute(query + " WHERE rater = ? ORDER BY scored_at", (rater,)).fetchall()
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_rate_flow_and_resume(client, study_dir):
    study = read_study(study_dir)
    page = client.get("/rate?rater=alice").get_data(as_text=True)
    first = study["sets"][0]
    assert "Set 1 of 6" in page and first["instrument"] in page
    assert all(f"/image/{im['id']}" in page for im in first["images"])
    assert "Realistic image &amp; match instrument" in page  # Table 4 rubric shown

    r = client.post("/rate", data=form_for(client, first, "alice", [3, 2, 1, 0]))
    assert r.status_code == 303 and r.headers["Location"].endswith("/rate?rater=alice")
    page = client.get("/rate?rater=alice").get_data(as_text=True)
    assert "Set 2 of 6" in page and study["sets"][1]["images"][0]["id"] in page
    # Another rater starts at the beginning; alice resumes at set 2 in a new session.
    assert "Set 1 of 6" in client.get("/rate?rater=bob").get_data(as_text=True)
    fresh = create_app(study_dir).test_client()
    assert "Set 2 of 6" in fresh.get("/rate?rater=alice").get_data(as_text=True)
    assert fresh.get("/api/raters/alice/progress").get_json() == {
        "rater": "alice",
        "total_sets": 6,
        "scored_sets": 1,
        "next_set": 2,
    }
    # Resume means the first *unscored* set: scoring set 3 out of order still returns to 2.
    client.post("/rate", data=form_for(client, study["sets"][2], "alice", [1, 1, 1, 1]))
    assert "Set 2 of 6" in client.get("/rate?rater=alice").get_data(as_text=True)
    stored = rows(study_dir, "alice")
    assert [(r[1], r[2], r[3]) for r in stored[:4]] == [
        (first["id"], im["id"], s) for im, s in zip(first["images"], [3, 2, 1, 0], strict=True)
    ]
    assert len(stored) == 8 and db_is_wal(study_dir)

    for k in (1, 3, 4, 5):
        client.post("/rate", data=form_for(client, study["sets"][k], "alice", [0, 1, 2, 3]))
    page = client.get("/rate?rater=alice").get_data(as_text=True)
    assert "All 6 sets scored" in page
    # Re-scoring a set replaces its scores instead of adding rows.
    client.post("/rate", data=form_for(client, first, "alice", [0, 0, 0, 0]))
    stored = rows(study_dir, "alice")
    assert len(stored) == 24
    assert {r[3] for r in stored if r[1] == first["id"]} == {0}


def db_is_wal(study_dir: str) -> bool:
    conn = sqlite3.connect(os.path.join(study_dir, "scores.sqlite"))
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


@pytest.mark.parametrize(
    "change",
    [
        {"score-0": None},  # a missing score
        {"score-0": "4"},
        {"score-0": "-1"},
        {"score-0": "two"},
        {"set_id": "set-9999"},
        {"set_id": "../study.json"},
        {"rater": ""},
        {"rater": "../../etc"},
        {"rater": "x" * 65},
        {"extra": "score-" + "0" * 32},
    ],
)
def test_invalid_submissions_are_refused_and_store_nothing(client, study_dir, change):
    first = read_study(study_dir)["sets"][0]
    data = form_for(client, first, "alice", [1, 2, 3, 0])
    key0 = f"score-{first['images'][0]['id']}"
    for key, value in change.items():
        if key == "score-0":
            data.pop(key0) if value is None else data.__setitem__(key0, value)
        elif key == "extra":
            data[value] = "1"
        else:
            data[key] = value
    assert client.post("/rate", data=data).status_code == 400
    assert rows(study_dir) == []


def test_invalid_rater_on_pages(client):
    assert client.get("/rate").status_code == 400
    assert client.get("/rate?rater=a%20b").status_code == 400
    assert client.get("/api/raters/a%20b/progress").status_code == 400


TRAVERSALS = [
    "/image/../study.json",
    "/image/..%2fstudy.json",
    "/image/%2e%2e%2fstudy.json",
    "/image/%2e%2e/study.json",
    "/image/..%2f..%2fstudy.json",
    "/image/%2fetc%2fpasswd",
    "/image//etc/passwd",
    "/image/images%2f{id}.png",
    "/image/{id}.png",
    "/image/{id}%00",
    "/image/{ID}",
    "/image/{id}/../../study.json",
    "/static/../study.json",
    "/static/..%2fstudy.json",
    "/static/%2e%2e/%2e%2e/study.json",
    "/static/..%2f..%2f..%2fhumaneval%2fapp.py",
    "/study.json",
    "/scores.sqlite",
    "/images/{id}.png",
    "/image/0123456789abcdef0123456789abcdef",  # well-formed id, not in the study
    "/image/stray",  # a file in STUDY/images that study.json does not list
    "/image/" + urllib.parse.quote("/etc/passwd", safe=""),
]


def traversal_paths(study_dir: str) -> list[str]:
    image_id = read_study(study_dir)["sets"][0]["images"][0]["id"]
    return [p.format(id=image_id, ID=image_id.upper()) for p in TRAVERSALS]


def test_traversal_refused_by_test_client(client, study_dir):
    open(os.path.join(study_dir, "images", "stray.png"), "wb").write(b"stray")
    for path in traversal_paths(study_dir):
        r = client.get(path)
        assert r.status_code == 404, path
        body = r.get_data()
        assert b"format_version" not in body and b"root:" not in body and b"stray" not in body


def test_traversal_refused_over_raw_http(live_server):
    """http.client sends the path byte for byte: no client-side normalisation of `..`."""
    base, study_dir = live_server
    open(os.path.join(study_dir, "images", "stray.png"), "wb").write(b"stray")
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    image_id = read_study(study_dir)["sets"][0]["images"][0]["id"]
    absolute = os.path.abspath(os.path.join(study_dir, "study.json"))
    for path in [*traversal_paths(study_dir), absolute, "/" + absolute]:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        conn.close()
        assert r.status in (400, 404), (path, r.status)
        assert b"format_version" not in body and b"root:" not in body and b"stray" not in body
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", f"/image/{image_id}")
    r = conn.getresponse()
    assert r.status == 200 and r.getheader("Content-Type") == "image/png"
    assert r.read().startswith(b"\x89PNG")
    conn.close()


def test_concurrent_raters_lose_no_scores(study_dir):
    app = create_app(study_dir)
    study = read_study(study_dir)
    raters = [f"rater{i}" for i in range(8)]
    barrier = threading.Barrier(len(raters) + 2)
    errors = []

    def rate(rater, sets):
        client = app.test_client()
        barrier.wait()
        for k, s in sets:
            r = client.post(
                "/rate", data=form_for(client, s, rater, [(k + j) % 4 for j in range(4)])
            )
            if r.status_code != 303:
                errors.append((rater, s["id"], r.status_code))

    everything = list(enumerate(study["sets"]))
    threads = [threading.Thread(target=rate, args=(r, everything)) for r in raters]
    # The same rater from two tabs at once, each with half of the sets.
    threads += [
        threading.Thread(target=rate, args=("twotabs", everything[0::2])),
        threading.Thread(target=rate, args=("twotabs", everything[1::2])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    stored = rows(study_dir)
    n_images = sum(len(s["images"]) for s in study["sets"])
    assert len(stored) == (len(raters) + 1) * n_images
    for rater, set_id, image_id, score, _ in stored:
        k = next(i for i, s in everything if s["id"] == set_id)
        j = [im["id"] for im in study["sets"][k]["images"]].index(image_id)
        assert score == (k + j) % 4, (rater, set_id)
    client = app.test_client()
    for rater in [*raters, "twotabs"]:
        assert client.get(f"/api/raters/{rater}/progress").get_json()["scored_sets"] == 6


def test_method_mapping_never_leaves_the_server(client, study_dir, sources):
    """Every response of a full session (pages, posts, images, static files, API, errors) is
    searched for the method names, source paths and study.json keys."""
    study = read_study(study_dir)
    secrets = [*METHODS, GROUND_TRUTH, "ground truth", '"method"', "paired_by_stem"]
    secrets += [sources[m] for m in sources] + ["clip0", "clip1", "runs/"]
    secrets += [im["source"] for s in study["sets"] for im in s["images"]]
    responses = []

    def get(path, **kw):
        r = client.get(path, **kw)
        responses.append((path, r))
        return r

    get("/")
    for k, s in enumerate(study["sets"]):
        page = get("/rate?rater=carol").get_data(as_text=True)
        assert f"Set {k + 1} of 6" in page
        for im in s["images"]:
            assert get(f"/image/{im['id']}").status_code == 200
        get("/api/raters/carol/progress")
        responses.append(
            ("POST", client.post("/rate", data=form_for(client, s, "carol", [0, 1, 2, 3])))
        )
    assert "All 6 sets scored" in get("/rate?rater=carol").get_data(as_text=True)
    get("/static/style.css")
    get("/static/rate.js")
    bad = {"rater": "carol", "set_id": "x", "csrf_token": token(client)}
    responses.append(("bad POST", client.post("/rate", data=bad)))
    for path in traversal_paths(study_dir):
        get(path)
    assert len(responses) > 50
    for path, r in responses:
        blob = r.get_data() + str(r.headers).encode()
        for secret in secrets:
            assert secret.encode() not in blob, (path, secret)

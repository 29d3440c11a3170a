"""What the rating app refuses before any route: cross-site POSTs, POSTs without the session's
form token, foreign Host headers (DNS rebinding) and oversized bodies, through Flask's test
client and through waitress over raw sockets; and the `serve` flags that set the hosts."""

import http.client
import socket
import time

import pytest

from avgan.humaneval import guard
from avgan.humaneval.__main__ import main
from avgan.humaneval.app import create_app

from .conftest import read_study
from .test_app import form_for, rows, token


@pytest.fixture
def client(study_dir):
    return create_app(study_dir).test_client()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "http://localhost:9999"},  # another app on this machine: another origin
        {"Origin": "null"},  # what a page with a no-referrer policy (or a sandbox) sends
        {"Referer": "http://evil.example/scores.html"},  # no Origin: the Referer decides
        {"Origin": "http://evil.example", "Referer": "http://localhost/rate?rater=alice"},
    ],
)
def test_cross_site_post_is_refused(client, study_dir, headers):
    first = read_study(study_dir)["sets"][0]
    r = client.post("/rate", data=form_for(client, first, "alice", [3, 2, 1, 0]), headers=headers)
    assert r.status_code == 403
    assert "Cross-site POST refused" in r.get_data(as_text=True)
    assert rows(study_dir) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://localhost"}, {"Referer": "http://LOCALHOST/rate?rater=alice"}],
)
def test_same_site_post_is_accepted(client, study_dir, headers):
    first = read_study(study_dir)["sets"][0]
    r = client.post("/rate", data=form_for(client, first, "alice", [3, 2, 1, 0]), headers=headers)
    assert r.status_code == 303
    assert sorted(r[3] for r in rows(study_dir, "alice")) == [0, 1, 2, 3]


def test_post_needs_its_session_form_token(client, study_dir):
    first = read_study(study_dir)["sets"][0]
    data = form_for(client, first, "alice", [3, 2, 1, 0])
    right = data.pop("csrf_token")
    other = create_app(study_dir).test_client()  # another session (another rater's browser)
    for sent in (None, "", "x" * 43, right[:-1], "é" * 43, lambda: token(other)):
        form = data if sent is None else {**data, "csrf_token": sent() if callable(sent) else sent}
        r = client.post("/rate", data=form)
        assert r.status_code == 403, sent
        assert "Form token missing or expired: reload the rating page" in r.get_data(as_text=True)
    # A token without its session cookie (another site's page cannot send ours) fails too.
    fresh = create_app(study_dir).test_client()
    assert fresh.post("/rate", data={**data, "csrf_token": right}).status_code == 403
    assert rows(study_dir) == []
    r = client.post("/rate", data={**data, "csrf_token": right})
    assert r.status_code == 303
    assert len(rows(study_dir, "alice")) == 4


def test_the_token_lives_in_a_signed_same_site_cookie(client):
    page = client.get("/rate?rater=alice")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("avgan_rating=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert f'name="csrf_token" value="{token(client)}"' in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "host", ["rebind.attacker.example", "rebind.attacker.example:8000", "127.0.0.2", "[::2]"]
)
def test_foreign_host_is_refused(client, study_dir, host):
    image_id = read_study(study_dir)["sets"][0]["images"][0]["id"]
    for path in ("/", "/rate?rater=alice", "/api/raters/alice/progress", f"/image/{image_id}"):
        r = client.get(path, headers={"Host": host})
        assert r.status_code == 421, path
        body = r.get_data(as_text=True)
        assert "is not served here" in body and "--allowed_host" in body
        assert b"PNG" not in r.get_data() and "Set 1 of 6" not in body
    assert client.post("/rate", headers={"Host": host}).status_code == 421


def test_served_hosts_are_answered(study_dir):
    hosts = guard.served_hosts("127.0.0.1", ["Ratings.Example.org"])
    assert hosts == ["127.0.0.1", "ratings.example.org", "localhost", "::1"]
    client = create_app(study_dir, allowed_hosts=hosts).test_client()
    for host in (
        "127.0.0.1:8000",
        "localhost:8000",
        "LOCALHOST",
        "[::1]:8000",
        "ratings.example.org",
    ):
        r = client.get("/rate?rater=alice", headers={"Host": host})
        assert r.status_code == 200 and "Set 1 of 6" in r.get_data(as_text=True), host
    assert client.get("/", headers={"Host": "example.org"}).status_code == 421


def test_served_hosts_from_the_serve_flags():
    assert guard.served_hosts("localhost") == ["localhost", "127.0.0.1", "::1"]
    assert guard.served_hosts("192.168.1.20") == ["192.168.1.20"]  # no loopback names
    assert guard.served_hosts("0.0.0.0", ["lab-pc"]) == ["lab-pc", "127.0.0.1", "localhost", "::1"]
    with pytest.raises(ValueError, match="listens on every address: name the host"):
        guard.served_hosts("0.0.0.0")
    with pytest.raises(ValueError, match="--allowed_host 'https://x.org/': give a host name"):
        guard.served_hosts("127.0.0.1", ["https://x.org/"])


def test_serve_refuses_unsafe_flag_combinations(study_dir, capsys):
    assert main(["serve", "--study", study_dir, "--host", "0.0.0.0"]) == 2
    assert "error: --host '0.0.0.0' listens on every address" in capsys.readouterr().err
    argv = ["serve", "--study", study_dir, "--host", "0.0.0.0", "--allowed_host", "lab-pc"]
    assert main([*argv, "--debug"]) == 2
    assert "error: --debug with --host 0.0.0.0: Flask's debugger" in capsys.readouterr().err


def test_oversized_body_is_refused_unread_by_the_test_client(client, study_dir):
    first = read_study(study_dir)["sets"][0]
    data = form_for(client, first, "alice", [3, 2, 1, 0])
    data["padding"] = "a" * guard.MAX_BODY_BYTES
    r = client.post("/rate", data=data)
    assert r.status_code == 413
    assert f"Request body over {guard.MAX_BODY_BYTES} bytes refused" in r.get_data(as_text=True)
    assert rows(study_dir) == []
    # The cap is far above a real set of scores: the same form without padding is taken.
    del data["padding"]
    assert client.post("/rate", data=data).status_code == 303


def raw_request(base: str, head: bytes, body_part: bytes = b"") -> tuple[int, bytes, float]:
    """Sends the head and part of a body over a socket and reads the answer without
    sending the rest: (status, raw response, seconds)."""
    host, port = base.removeprefix("http://").split(":")
    start = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(head + body_part)
        response = http.client.HTTPResponse(s)
        response.begin()
        return response.status, response.read(), time.monotonic() - start


def test_oversized_body_is_refused_by_waitress_before_it_is_read(live_server):
    base, study_dir = live_server
    port = base.rsplit(":", 1)[1]
    head = (
        f"POST /rate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    ).encode()
    # 64 KiB of a declared 100 MiB: answered from the headers, not after the body.
    status, body, seconds = raw_request(base, head, b"a" * 65536)
    assert status == 413 and b"exceeds max_body of 16385" in body
    assert seconds < 5
    assert rows(study_dir) == []


def test_foreign_host_and_cross_site_post_over_waitress(live_server):
    base, study_dir = live_server
    port = base.rsplit(":", 1)[1]
    status, body, _ = raw_request(
        base,
        f"GET /rate?rater=alice HTTP/1.1\r\nHost: rebind.attacker.example:{port}\r\n\r\n".encode(),
    )
    assert status == 421 and b"is not served here" in body and b"Set 1 of 6" not in body
    form = b"rater=alice&set_id=x"
    status, body, _ = raw_request(
        base,
        f"POST /rate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://evil.example\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(form)}\r\n\r\n".encode(),
        form,
    )
    assert status == 403 and b"Cross-site POST refused" in body


def test_the_announced_url_brackets_an_ipv6_host():
    assert guard.page_url(["127.0.0.1"], 8000) == "http://127.0.0.1:8000/"
    assert guard.page_url(["::1", "localhost"], 8080) == "http://[::1]:8080/"
    assert guard.page_url(["music.example"], 80) == "http://music.example:80/"

"""`python -m avgan.humaneval serve` as a subprocess: waitress, bound to 127.0.0.1 by default,
answering the loopback names and --allowed_host."""

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from .conftest import read_study


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_subprocess(study_dir):
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = ["serve", "--study", study_dir, "--port", str(port)]
    command += ["--allowed_host", "ratings.example.org"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "avgan.humaneval", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = urllib.request.urlopen(base + "/rate?rater=dave", timeout=2)
                page = response.read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert b"Set 1 of 6" in page
        assert response.headers["Server"] == "waitress"  # not Flask's development server
        for host, status in [("ratings.example.org", 200), ("rebind.example", 421)]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/rate?rater=dave", headers={"Host": host})
            assert conn.getresponse().status == status, host
            conn.close()
        image_id = read_study(study_dir)["sets"][0]["images"][0]["id"]
        assert urllib.request.urlopen(f"{base}/image/{image_id}").read().startswith(b"\x89PNG")
        if os.path.exists("/proc/net/tcp"):  # Linux: listening only on 127.0.0.1 (the default)
            rows = [line.split() for line in open("/proc/net/tcp").read().splitlines()[1:]]
            listening = {row[1] for row in rows if row[3] == "0A"}
            assert f"0100007F:{port:04X}" in listening
            assert f"00000000:{port:04X}" not in listening
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert os.path.exists(os.path.join(study_dir, "scores.sqlite"))

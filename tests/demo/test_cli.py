"""`python -m avgan.demo` / `avgan-demo`: --help, one-line errors, and the page served by
the command itself under waitress, refusing a 2 GB upload from its headers."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# As a user runs it: without tests/conftest.py's TF log level (2 still shows TF's
# CUDA-registration errors), so the command's own quieting is what is tested.
USER_ENV = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "avgan.demo", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=USER_ENV,
        timeout=timeout,
    )


def test_help_says_what_it_does_and_lists_its_flags():
    done = run("--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("A page to try the exported models")
    for flag in ("--models", "--s2i", "--i2s", "--host", "--port", "--allowed_host"):
        assert f"  {flag}  " in done.stdout, flag
    assert "--helpshort" not in done.stdout


def test_errors_are_one_line_naming_the_flag():
    done = run("--host", "0.0.0.0")  # refused before TensorFlow loads
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "python -m avgan.demo: --host '0.0.0.0' listens on every address: name the host "
        "its users will type with --allowed_host NAME (repeatable)"
    ]
    done = run("--models", "/no/models")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "python -m avgan.demo: --models /no/models: no such folder; export a model first "
        "(`avgan-export --model_dir RUN --out /no/models`) or give --s2i / --i2s"
    ]


def raw_request(port: int, head: bytes, body_part: bytes = b"") -> tuple[int, bytes, float]:
    """Sends the head and part of a body and reads the answer without sending the rest."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head + body_part)
        response = http.client.HTTPResponse(s)
        response.begin()
        return response.status, response.read(), time.monotonic() - start


def test_the_command_serves_the_page_and_refuses_2_gb_unread(models_dir):
    server = subprocess.Popen(
        [sys.executable, "-m", "avgan.demo", "--models", models_dir, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=USER_ENV,
    )
    try:
        lines = []
        for line in server.stderr:
            lines.append(line)
            found = re.match(r"demo page: http://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
                break
        else:
            raise AssertionError("no 'demo page:' line:\n" + "".join(lines))
        assert lines[0].startswith(f"S2I: s2i version 1 (EMA generator), {models_dir}/s2i/1")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200 and page.headers["Server"] == "waitress"
            assert 'id="s2i-file"' in page.read().decode()
        head = (
            f"POST /api/s2i HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {2 * 2**30}\r\n\r\n"
        ).encode()
        # 64 KiB of a declared 2 GB: answered from the headers, not after the body.
        status, body, seconds = raw_request(port, head, b"a" * 65536)
        assert status == 413 and b"exceeds max_body of" in body and seconds < 5
        # The server goes on.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/info", timeout=10) as info:
            assert info.status == 200
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)

"""Latency of the demo page's two requests, timed from a client as a browser makes them:
sound -> 8 pictures (POST /api/s2i) and picture -> 3 log-mel spectrograms and WAVs
(POST /api/i2s), median and p90 over N requests each, after 2 warm-up requests.

    .venv/bin/python scripts/bench_demo.py --url http://127.0.0.1:8000     # a running page
    .venv/bin/python scripts/bench_demo.py --models export/models -n 20    # starts one

With --models it starts `python -m avgan.demo --models DIR --port 0` itself (another
process, as a user would) and stops it at the end. The sound and the picture are the
page's first built-in examples (0.5 s, 64x64) unless --sound / --picture name files; a
WAV is sent with its last sample changed per request, so the page decodes it every time
rather than finding it in its cache of decoded sounds. A request's time is from the
first byte sent to the last byte of the JSON answer read, over HTTP on 127.0.0.1; the
load average of the machine is printed with the figures, since other work on the same
cores slows them.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "avgan", "demo", "examples")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, data) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Page:
    """A browser-like client of one demo page: its session cookie and form token."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with self.opener.open(self.url + "/", timeout=30) as response:
            html = response.read().decode()
        self.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
        with self.opener.open(self.url + "/api/info", timeout=30) as response:
            self.info = json.load(response)

    def post(self, path: str, field: str, filename: str, data: bytes, seed: int) -> float:
        """Seconds for one POST and its whole answer; raises on a refusal."""
        body, content_type = multipart(
            {"csrf_token": self.token, "seed": str(seed)}, {field: (filename, data)}
        )
        request = urllib.request.Request(
            self.url + path,
            data=body,
            headers={"Content-Type": content_type, "Origin": self.url},
            method="POST",
        )
        start = time.perf_counter()
        with self.opener.open(request, timeout=300) as response:
            answer = json.loads(response.read())
        seconds = time.perf_counter() - start
        if "error" in answer:
            raise RuntimeError(f"{path}: {answer['error']}")
        return seconds


def start_page(models: str) -> tuple[subprocess.Popen, str]:
    """`python -m avgan.demo --models MODELS --port 0`, once it listens: (process, url)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "avgan.demo", "--models", models, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    for line in process.stderr:
        print(f"  [avgan-demo] {line.rstrip()}")
        found = re.match(r"demo page: (http://\S+/)", line)
        if found:
            return process, found.group(1)
    process.wait()
    raise SystemExit(f"avgan-demo exited ({process.returncode}) before serving")


def variant(data: bytes, k: int) -> bytes:
    """The file with its last 16-bit sample set to k when it is a WAV, so that every
    request is new bytes to the page, which decodes it again (its cache of decoded
    sounds is keyed by the bytes); other files unchanged."""
    if data[:4] != b"RIFF":
        return data
    return data[:-2] + k.to_bytes(2, "little", signed=True)


def measure(page: Page, path: str, field: str, file: str, n: int, warmup: int = 2) -> np.ndarray:
    with open(file, "rb") as f:
        data = f.read()
    name = os.path.basename(file)
    for k in range(warmup):
        page.post(path, field, name, variant(data, -1 - k), seed=1000 + k)
    return np.array([page.post(path, field, name, variant(data, k), seed=8 * k) for k in range(n)])


def line(what: str, times: np.ndarray) -> str:
    median, p90 = np.median(times) * 1e3, np.percentile(times, 90) * 1e3
    return f"{what}: median {median:.0f} ms, p90 {p90:.0f} ms over {len(times)} requests"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running demo page, e.g. http://127.0.0.1:8000")
    where.add_argument("--models", help="start avgan-demo on this export tree")
    p.add_argument("-n", type=int, default=20, help="timed requests per direction")
    p.add_argument("--sound", default=os.path.join(EXAMPLES, "violin.wav"))
    p.add_argument("--picture", default=os.path.join(EXAMPLES, "violin.png"))
    args = p.parse_args(argv)

    process = None
    url = args.url
    if args.models:
        process, url = start_page(args.models)
    try:
        page = Page(url)
        print(f"page: {url} ({os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f})")
        models = page.info["models"]
        for direction in ("s2i", "i2s"):
            print(f"{direction.upper()}: {models[direction] or 'not loaded'}")
        if models["s2i"]:
            times = measure(page, "/api/s2i", "sound", args.sound, args.n)
            print(line(f"sound -> 8 pictures ({os.path.basename(args.sound)})", times))
        if models["i2s"]:
            times = measure(page, "/api/i2s", "picture", args.picture, args.n)
            print(line(f"picture -> 3 log-mels + WAVs ({os.path.basename(args.picture)})", times))
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The demo page end to end in a real headless Chromium (Debian's, driven by Playwright)
against the app under waitress, as avgan-demo runs it: the built-in examples on first
open, a sound uploaded and its half second moved, the seed that reproduces a picture, a
picture whose sounds play, bad uploads with their messages, and the microphone and
camera (Chromium's fake devices: a beep and a test pattern).

Skips without chromium or the playwright package, unless CI is set (as the rating
app's browser test). AVGAN_DEMO_SCREENSHOTS=1 also saves the two screenshots of the
README, docs/demo_s2i.png and docs/demo_i2s.png; AVGAN_DEMO_S2I=DIR serves the S2I
SavedModel at DIR instead of the tiny one (the README's is the quickstart's S2I-C):

    AVGAN_DEMO_SCREENSHOTS=1 AVGAN_DEMO_S2I=/tmp/export/s2i/1 \
        .venv/bin/python -m pytest tests/demo/test_browser.py
"""

import base64
import io
import os
import pathlib
import shutil

import numpy as np
import pytest
from PIL import Image

from avgan.demo.examples import EXAMPLES_DIR
from tests.humaneval.test_browser import CHROMIUM, CHROMIUM_ARGS, require_browser

from .conftest import picture, png_bytes, read_wav, tone, wav_bytes

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "docs")
FAKE_MEDIA = [
    "--use-fake-ui-for-media-stream",  # grant the microphone and camera without asking
    "--use-fake-device-for-media-stream",  # a beeping microphone, a test-pattern camera
    "--autoplay-policy=no-user-gesture-required",  # audio.play() from the test
]


@pytest.fixture
def page(tmp_path, live_server):
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS + FAKE_MEDIA,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(20_000)
        try:
            page = context.pages[0] if context.pages else context.new_page()
            assert page.goto(live_server + "/").headers["server"] == "waitress"
            wait_done(page, "s2i", 1)  # the first examples, on first open
            wait_done(page, "i2s", 1)
            yield page
        finally:
            context.close()


def wait_done(page, direction: str, count: int, counter: str = "done") -> None:
    """Waits until the page has shown `count` results for `direction` (counter "done"),
    or has had `count` answers, results or refusals (counter "answered")."""
    page.wait_for_function(
        "([id, key, n]) => Number(document.getElementById(id).dataset[key] || 0) >= n",
        arg=[direction, counter, count],
    )


def done(page, direction: str, counter: str = "done") -> int:
    return int(page.get_attribute(f"#{direction}", f"data-{counter}") or 0)


def png_of(src: str) -> bytes:
    head, _, body = src.partition(",")
    assert head == "data:image/png;base64"
    return base64.b64decode(body)


def picture_sources(page) -> list[tuple[str, str]]:
    """(seed, src) of each picture shown for the sound, in order."""
    return page.eval_on_selector_all(
        "#s2i-pictures img", "images => images.map(i => [i.dataset.seed, i.src])"
    )


def all_loaded(page, selector: str) -> bool:
    return page.eval_on_selector_all(
        selector, "images => images.every(i => i.complete && i.naturalWidth > 0)"
    )


def screenshot(page, direction: str, tmp_path) -> None:
    shot = tmp_path / f"demo_{direction}.png"
    page.locator(f"#{direction}").screenshot(path=str(shot))
    with Image.open(shot) as im:
        assert im.format == "PNG" and im.width > 600
    if os.environ.get("AVGAN_DEMO_SCREENSHOTS"):
        shutil.copyfile(shot, os.path.join(DOCS, f"demo_{direction}.png"))


def four_instruments() -> bytes:
    """The four example sounds one after the other, the trumpet (1.0-1.5 s) loudest."""
    chunks = []
    gains = {"violin": 0.4, "flute": 0.4, "trumpet": 1.0, "cello": 0.4}
    for name, gain in gains.items():
        samples, _ = read_wav(pathlib.Path(EXAMPLES_DIR, f"{name}.wav").read_bytes())
        chunks.append(gain * samples)
    return wav_bytes(np.concatenate(chunks))


def test_upload_a_sound_move_its_window_and_reproduce_a_seed(page, tmp_path):
    # On first open: the first example sound's pictures.
    assert [seed for seed, _ in picture_sources(page)] == [str(s) for s in range(8)]
    assert all_loaded(page, "#s2i-pictures img") and all_loaded(page, "#s2i-logmel")
    assert "of 0.50 s (violin.wav)" in page.inner_text("#s2i-where")
    assert page.inner_text("#s2i-message") == ""

    # An upload: the page starts on the loudest half second.
    sound = four_instruments()
    page.set_input_files("#s2i-file", files=[_file("four_instruments.wav", "audio/wav", sound)])
    wait_done(page, "s2i", 2)
    assert page.inner_text("#s2i-where") == "1.00-1.50 s of 2.00 s (four_instruments.wav)"
    assert page.get_attribute("#s2i-start", "max") == "1.5" and page.is_enabled("#s2i-start")
    pictures = picture_sources(page)
    assert [seed for seed, _ in pictures] == [str(s) for s in range(8)]
    assert len({src for _, src in pictures}) == 8
    assert all_loaded(page, "#s2i-pictures img")
    for _, src in pictures:
        with Image.open(io.BytesIO(png_of(src))) as im:
            assert im.size == (64, 64)
    screenshot(page, "s2i", tmp_path)

    # The keyboard moves the window by one step (0.01 s); the pictures follow.
    page.focus("#s2i-start")
    page.keyboard.press("ArrowLeft")
    wait_done(page, "s2i", 3)
    assert page.inner_text("#s2i-where").startswith("0.99-1.49 s of 2.00 s")

    # Clicking seed 3's picture starts the seeds there: the same picture, byte for byte.
    seed3 = dict(picture_sources(page))["3"]
    page.click('#s2i-pictures img[data-seed="3"]')
    wait_done(page, "s2i", 4)
    assert page.input_value("#s2i-seed") == "3"
    first_seed, first_src = picture_sources(page)[0]
    assert first_seed == "3" and png_of(first_src) == png_of(seed3)
    # And typing the seed does the same.
    page.fill("#s2i-seed", "3")
    page.click("#s2i-seed-form button[type=submit]")
    wait_done(page, "s2i", 5)
    assert png_of(picture_sources(page)[0][1]) == png_of(seed3)


def test_upload_a_picture_and_play_its_sounds(page, tmp_path):
    # On first open: the first example picture's sounds.
    assert page.locator("#i2s-sounds audio").count() == 3
    assert all_loaded(page, "#i2s-seen") and all_loaded(page, "#i2s-sounds img")
    assert page.inner_text("#i2s-message") == ""
    screenshot(page, "i2s", tmp_path)  # the violin example's picture and its sounds

    # An upload of another size.
    upload = png_bytes(picture(120, 90))
    page.set_input_files("#i2s-file", files=[_file("me.png", "image/png", upload)])
    wait_done(page, "i2s", 2)
    assert all_loaded(page, "#i2s-seen") and all_loaded(page, "#i2s-sounds img")
    audios = page.locator("#i2s-sounds audio")
    assert audios.count() == 3
    assert [audios.nth(k).get_attribute("data-seed") for k in range(3)] == ["0", "1", "2"]
    src = audios.first.get_attribute("src")
    head, _, body = src.partition(",")
    assert head == "data:audio/wav;base64"
    samples, rate = read_wav(base64.b64decode(body))
    assert rate == 44100 and samples.shape == (22050,) and np.isfinite(samples).all()
    # Chromium decodes it (0.5 s) and plays it.
    duration = audios.first.evaluate(
        "a => a.readyState >= 1 ? a.duration"
        " : new Promise(r => a.onloadedmetadata = () => r(a.duration))"
    )
    assert duration == pytest.approx(0.5, abs=1e-3)
    assert audios.first.evaluate("a => a.play().then(() => 'playing')") == "playing"


def test_bad_uploads_show_their_message_and_the_page_goes_on(page, tmp_path):
    cases = [
        (
            "#s2i-file",
            "face.png",
            "image/png",
            png_bytes(picture()),
            "s2i",
            "face.png is a picture (PNG), not a sound",
        ),
        ("#s2i-file", "empty.wav", "audio/wav", b"", "s2i", "empty.wav is empty (0 bytes)"),
        (
            "#s2i-file",
            "cut.wav",
            "audio/wav",
            wav_bytes(tone(0.5))[:9000],
            "s2i",
            "cut.wav: truncated WAV",
        ),
        (
            "#s2i-file",
            "notes.mp3",
            "audio/mpeg",
            b"not really an mp3\n" * 50,
            "s2i",
            "notes.mp3 is not a sound the page reads",
        ),
        (
            "#i2s-file",
            "song.png",
            "image/png",
            wav_bytes(tone(0.5)),
            "i2s",
            "song.png is a sound (WAV), not a picture",
        ),
    ]
    for selector, name, mime, content, direction, message in cases:
        answered = done(page, direction, "answered")
        page.set_input_files(selector, files=[_file(name, mime, content)])
        wait_done(page, direction, answered + 1, "answered")
        assert page.inner_text(f"#{direction}-message").startswith(message), name
        assert page.is_hidden(f"#{direction}-results")
    # A 2 GB file (sparse on disk) is refused by the page before any byte is sent.
    huge = tmp_path / "huge.wav"
    with open(huge, "wb") as f:
        f.truncate(2 * 2**30)
    page.set_input_files("#s2i-file", str(huge))
    page.wait_for_function(
        "() => document.getElementById('s2i-message').innerText.includes('huge')"
    )
    assert page.inner_text("#s2i-message") == (
        "huge.wav is 2048 MB: the page takes files up to 32 MB."
    )
    # The server lived through all of it.
    count = done(page, "s2i")
    page.click('button.example[data-file="flute.wav"]')
    wait_done(page, "s2i", count + 1)
    assert page.inner_text("#s2i-message") == "" and page.is_visible("#s2i-results")
    assert "(flute.wav)" in page.inner_text("#s2i-where")


def test_record_from_the_microphone_and_take_a_picture_with_the_camera(page):
    count = done(page, "s2i")
    page.click("#s2i-record")  # MediaRecorder, 1 s of Chromium's fake microphone
    wait_done(page, "s2i", count + 1)
    assert page.inner_text("#s2i-message") == ""
    assert "(recording.wav)" in page.inner_text("#s2i-where")
    assert page.locator("#s2i-pictures img").count() == 8

    count = done(page, "i2s")
    page.click("#i2s-camera")
    page.wait_for_function("() => document.getElementById('i2s-video').videoWidth > 0")
    page.click("#i2s-snap")
    wait_done(page, "i2s", count + 1)
    assert page.inner_text("#i2s-message") == ""
    assert page.is_hidden("#i2s-camera-view")
    assert page.locator("#i2s-sounds audio").count() == 3


def _file(name: str, mime: str, content: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": content}

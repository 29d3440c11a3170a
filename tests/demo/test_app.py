"""The demo app's routes through Flask's test client: the page, the examples, both
directions checked against the SavedModels' own signatures, and every refusal."""

import base64
import io
import json

import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf
from PIL import Image

from avgan.data import features
from avgan.demo import inference, media
from avgan.demo.app import create_app
from avgan.demo.examples import EXAMPLES_DIR
from avgan.demo.models import Models

from .conftest import SR, picture, png_bytes, read_wav, token, tone, wav_bytes


def decode_data_url(url: str, mime: str) -> bytes:
    head, _, body = url.partition(",")
    assert head == f"data:{mime};base64"
    return base64.b64decode(body)


def pixels_of(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(decode_data_url(url, "image/png"))))


def post(client, path: str, files: dict, **fields):
    """A multipart POST with the session's token; `files` maps a field to (bytes, name)."""
    data = {"csrf_token": token(client), **{k: str(v) for k, v in fields.items()}}
    for field, (content, name) in files.items():
        data[field] = (io.BytesIO(content), name)
    return client.post(path, data=data, content_type="multipart/form-data")


def test_the_page_offers_both_directions_and_the_examples(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="s2i-file"' in html and 'id="i2s-file"' in html and "No S2I model" not in html
    assert 'name="csrf-token"' in html
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Set-Cookie"].startswith("avgan_demo=")  # not the rating app's cookie
    info = client.get("/api/info").get_json()
    assert info["models"] == {"s2i": info["models"]["s2i"], "i2s": info["models"]["i2s"]}
    assert info["models"]["s2i"].startswith("s2i version 1")
    assert info["models"]["i2s"].startswith("i2s version 1")
    assert info["missing"] == {}
    kinds = [(e["kind"], e["instrument"]) for e in info["examples"]]
    assert kinds[:4] == [("sound", name) for name in ("violin", "flute", "trumpet", "cello")]
    assert sorted(kinds[4:]) == sorted(
        ("picture", n) for n in ("violin", "flute", "trumpet", "cello")
    )
    assert info["limits"]["pictures"] == 8 and info["limits"]["sounds"] == 3


def test_examples_are_served_and_nothing_else(client):
    r = client.get("/examples/violin.wav")
    assert r.status_code == 200 and r.mimetype == "audio/wav"
    with open(f"{EXAMPLES_DIR}/violin.wav", "rb") as f:
        assert r.get_data() == f.read()
    samples, rate = read_wav(r.get_data())
    assert rate == SR and len(samples) == 22050 and np.abs(samples).max() > 0.05
    r = client.get("/examples/cello.png")
    assert r.mimetype == "image/png" and Image.open(io.BytesIO(r.get_data())).size == (64, 64)
    for path in ("/examples/examples.json", "/examples/nope.wav", "/examples/..%2Fapp.py"):
        assert client.get(path).status_code == 404, path


def test_a_sound_gives_8_pictures_from_the_s2i_signature(client, models):
    sound = tone(0.5, pitch=330.0)
    r = post(client, "/api/s2i", {"sound": (wav_bytes(sound), "tone.wav")}, seed=5)
    assert r.status_code == 200, r.get_data(as_text=True)
    answer = r.get_json()
    assert [p["seed"] for p in answer["pictures"]] == list(range(5, 13))
    assert answer["start"] == 0.0 and answer["seconds"] == 0.5 and answer["rate"] == SR
    pictures = np.stack([pixels_of(p["src"]) for p in answer["pictures"]])
    assert pictures.shape == (8, 64, 64, 3) and pictures.dtype == np.uint8
    # What the WAV decodes to (16-bit), through the signature TF Serving serves.
    chunk = np.round(sound * 32767).astype(np.int16).astype(np.float32) / 32768
    expected = models.s2i.call(
        waveform=tf.constant(np.repeat(chunk[None], 8, 0)), seed=tf.range(5, 13, dtype=tf.int64)
    )["image"].numpy()
    np.testing.assert_array_equal(pictures, expected)
    assert len({p.tobytes() for p in pictures}) == 8  # eight seeds, eight pictures
    log_mel = features.log_mel_spectrogram(tf.constant(chunk)).numpy()
    np.testing.assert_array_equal(pixels_of(answer["log_mel"]), media.log_mel_picture(log_mel))
    assert pixels_of(answer["log_mel"]).shape == (128, 44, 3)
    assert answer["file"] == "tone.wav" and answer["model"] == models.s2i.label


def test_the_seed_reproduces_a_picture(client):
    sound = wav_bytes(tone(1.2, pitch=523.0))
    first = post(client, "/api/s2i", {"sound": (sound, "a.wav")}, seed=0, start=0.3).get_json()
    again = post(client, "/api/s2i", {"sound": (sound, "a.wav")}, seed=3, start=0.3).get_json()
    assert first["pictures"][3]["seed"] == again["pictures"][0]["seed"] == 3
    assert decode_data_url(first["pictures"][3]["src"], "image/png") == decode_data_url(
        again["pictures"][0]["src"], "image/png"
    )
    assert first["pictures"][0]["src"] != again["pictures"][0]["src"]


def test_the_start_chooses_the_half_second(client):
    # 3 s at 48 kHz, stereo, loud from 2.0 to 2.5 s: by default the loudest half second.
    stereo = np.repeat(tone(3.0, 48000, loud=(2.0, 2.5))[:, None], 2, axis=1)
    sound = (wav_bytes(stereo, 48000, channels=2), "long.wav")
    answer = post(client, "/api/s2i", {"sound": sound}).get_json()
    assert answer["rate"] == 48000 and answer["seconds"] == 3.0
    assert answer["start"] == 2.0 and answer["latest_start"] == 2.5
    assert len(answer["overview"]) == 600
    peaks = answer["overview"]
    assert max(peaks[:399] + peaks[501:]) < 0.06 and min(peaks[401:499]) > 0.5
    quiet = post(client, "/api/s2i", {"sound": sound}, start=0.25).get_json()
    assert quiet["start"] == 0.25 and quiet["log_mel"] != answer["log_mel"]
    for asked, used in ((-1, 0.0), (99, 2.5), (1.23456789, 1.23456)):
        assert post(client, "/api/s2i", {"sound": sound}, start=asked).get_json()["start"] == used


def test_flac_and_mp3_at_other_rates_are_taken(client, tmp_path):
    for fmt, rate in (("FLAC", 22050), ("MP3", 32000)):
        path = tmp_path / f"clip.{fmt.lower()}"
        sf.write(path, tone(0.8, rate), rate, format=fmt)
        r = post(client, "/api/s2i", {"sound": (path.read_bytes(), path.name)})
        assert r.status_code == 200, r.get_data(as_text=True)
        assert r.get_json()["rate"] == rate and abs(r.get_json()["seconds"] - 0.8) < 0.06


def test_a_picture_gives_3_sounds_from_the_i2s_signature(client, models):
    pixels = picture(96, 80)
    r = post(client, "/api/i2s", {"picture": (png_bytes(pixels), "me.png")}, seed=7)
    assert r.status_code == 200, r.get_data(as_text=True)
    answer = r.get_json()
    assert answer["size"] == [80, 96] and pixels_of(answer["seen"]).shape == (64, 64, 3)
    assert [s["seed"] for s in answer["sounds"]] == [7, 8, 9]
    expected = models.i2s.call(
        image=tf.constant(np.repeat(pixels[None], 3, 0)), seed=tf.constant([7, 8, 9], tf.int64)
    )
    for k, sound in enumerate(answer["sounds"]):
        samples, rate = read_wav(decode_data_url(sound["wav"], "audio/wav"))
        assert rate == SR and samples.shape == (22050,)
        waveform = np.clip(expected["waveform"].numpy()[k], -1, 1)
        np.testing.assert_allclose(samples, waveform, atol=1 / 32767 + 1e-6)
        assert sound["peak"] == pytest.approx(
            np.abs(expected["waveform"].numpy()[k]).max(), abs=1e-4
        )
        log_mel = expected["log_mel"].numpy()[k]
        np.testing.assert_array_equal(pixels_of(sound["log_mel"]), media.log_mel_picture(log_mel))


def test_a_jpeg_of_another_size_is_taken(client):
    r = post(client, "/api/i2s", {"picture": (png_bytes(picture(300, 400), "JPEG"), "x.jpg")})
    assert r.status_code == 200 and r.get_json()["size"] == [400, 300]


def _long_wav() -> bytes:
    # 601 s of 8-bit 8 kHz silence: 4.8 MB, under the upload cap, over MAX_SECONDS.
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(1)
        f.setframerate(8000)
        f.writeframes(b"\x80" * 8000 * 601)
    return buffer.getvalue()


def _float_wav_with_nan() -> bytes:
    buffer = io.BytesIO()
    samples = tone(0.5).astype(np.float32)
    samples[100] = np.nan
    sf.write(buffer, samples, SR, format="WAV", subtype="FLOAT")
    return buffer.getvalue()


def _mp3_cut() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, tone(30.0, 22050), 22050, format="MP3")
    return buffer.getvalue()[:4000]


GOOD_WAV = wav_bytes(tone(0.5))
BAD_SOUNDS = {
    "empty": (b"", "empty.wav", "empty.wav is empty (0 bytes): upload a WAV, FLAC or MP3 file"),
    "text": (
        b"hello, this is not a sound\n" * 20,
        "notes.txt",
        "notes.txt is not a sound the page reads",
    ),
    "truncated": (
        GOOD_WAV[:20000],
        "cut.wav",
        "cut.wav: truncated WAV: header declares 44100 bytes",
    ),
    "header-only": (GOOD_WAV[:30], "head.wav", "head.wav: WAV"),
    "picture": (png_bytes(picture()), "face.png", "face.png is a picture (PNG), not a sound"),
    "jpeg": (png_bytes(picture(), "JPEG"), "face.jpg", "face.jpg is a picture (JPEG), not a sound"),
    "ogg": (b"OggS" + bytes(200), "voice.ogg", "voice.ogg is an Ogg file (unrecognised header)"),
    "too-long": (_long_wav(), "hour.wav", "hour.wav lasts 10.0 min; the page takes at most 10 min"),
    "nan": (_float_wav_with_nan(), "nan.wav", "nan.wav holds NaN or infinite samples"),
    "mp3-cut": (_mp3_cut(), "cut.mp3", "cut.mp3: cannot"),
    "fake-mp3": (b"ID3" + bytes(range(256)) * 8, "fake.mp3", "fake.mp3: cannot"),
    "fake-flac": (b"fLaC" + bytes(200), "fake.flac", "fake.flac: cannot"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOUNDS))
def test_every_bad_sound_is_refused_with_its_message(client, case):
    content, name, message = BAD_SOUNDS[case]
    r = post(client, "/api/s2i", {"sound": (content, name)})
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error.startswith(message), error
    assert "/tmp" not in error and "upload." not in error  # names the file, not ours
    # And the server goes on.
    assert post(client, "/api/s2i", {"sound": (GOOD_WAV, "ok.wav")}).status_code == 200


def _huge_png() -> bytes:
    return png_bytes(np.zeros((4100, 4100, 3), np.uint8))  # 16.8 M pixels, ~50 KB


GOOD_PNG = png_bytes(picture())
JPEG = png_bytes(picture(), "JPEG")
BAD_PICTURES = {
    "empty": (b"", "empty.png", "empty.png is empty (0 bytes): upload a JPEG or PNG picture"),
    "sound": (GOOD_WAV, "song.wav", "song.wav is a sound (WAV), not a picture"),
    "gif": (b"GIF89a" + bytes(100), "anim.gif", "anim.gif is a GIF picture: upload a JPEG or PNG"),
    "text": (b"<html></html>", "page.html", "page.html is not a picture the page reads"),
    "truncated-png": (GOOD_PNG[: len(GOOD_PNG) // 2], "cut.png", "cut.png: cannot decode image"),
    "truncated-jpeg": (JPEG[: len(JPEG) * 2 // 3], "cut.jpg", "cut.jpg: cannot decode image"),
    "header-cut": (GOOD_PNG[:20], "head.png", "head.png: cannot read this PNG's header"),
    "too-large": (_huge_png(), "huge.png", "huge.png is 4100x4100 pixels; the page takes at most"),
}


@pytest.mark.parametrize("case", sorted(BAD_PICTURES))
def test_every_bad_picture_is_refused_with_its_message(client, case):
    content, name, message = BAD_PICTURES[case]
    r = post(client, "/api/i2s", {"picture": (content, name)})
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert error.startswith(message), error
    assert "{{function_node" not in error and "[Op:" not in error


def test_requests_without_a_file_or_with_bad_fields_are_refused(client):
    r = client.post("/api/s2i", data={"csrf_token": token(client)})
    assert r.status_code == 415 and "multipart/form-data" in r.get_json()["error"]
    r = client.post(
        "/api/i2s", data={"csrf_token": token(client)}, content_type="multipart/form-data"
    )
    assert r.status_code == 400 and r.get_json()["error"] == (
        "No picture in the request: choose a file first."
    )
    sound = {"sound": (GOOD_WAV, "ok.wav")}
    for fields, message in (
        ({"seed": "abc"}, "seed: a whole number, got 'abc'"),
        ({"seed": "-1"}, f"seed: a whole number from 0 to {inference.MAX_SEED}, got -1"),
        ({"seed": str(2**40)}, f"seed: a whole number from 0 to {inference.MAX_SEED}"),
        ({"start": "soon"}, "start: a number of seconds, got 'soon'"),
        ({"start": "nan"}, "start: a number of seconds, got 'nan'"),
    ):
        r = post(client, "/api/s2i", sound, **fields)
        assert r.status_code == 400 and r.get_json()["error"].startswith(message), fields


def test_guard_refuses_foreign_hosts_cross_site_posts_and_missing_tokens(client):
    assert client.get("/", headers={"Host": "rebind.attacker.example"}).status_code == 421
    r = client.post("/api/s2i", headers={"Host": "rebind.attacker.example"})
    assert r.status_code == 421 and "start avgan-demo with --allowed_host" in r.get_json()["error"]
    form = {"csrf_token": token(client), "sound": (io.BytesIO(GOOD_WAV), "ok.wav")}
    r = client.post("/api/s2i", data=form, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and r.get_json()["error"].startswith("Cross-site POST refused")
    r = client.post("/api/s2i", data={"sound": (io.BytesIO(GOOD_WAV), "ok.wav")})
    assert r.status_code == 403
    assert r.get_json()["error"] == "Form token missing or expired: reload the page and try again."


def test_a_body_over_the_cap_is_refused_before_it_is_read(models):
    client = create_app(models, max_upload_bytes=100_000).test_client()
    big = wav_bytes(tone(2.0))  # 176 KB
    r = post(client, "/api/s2i", {"sound": (big, "big.wav")})
    assert r.status_code == 413
    assert r.get_json()["error"] == "Upload refused: the page takes files up to 0.0953674 MB."
    # A 2 GB upload, declared: refused from its Content-Length, with the same message.
    r = client.post(
        "/api/s2i",
        data=b"--x--",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(2 * 2**30)},
    )
    assert r.status_code == 413 and r.get_json()["error"].startswith("Upload refused")
    assert post(client, "/api/s2i", {"sound": (GOOD_WAV, "ok.wav")}).status_code == 200


def test_a_missing_direction_is_left_out_and_said_why(models):
    why = "/x/models/i2s holds no exported version"
    client = create_app(Models(models.s2i, None, {"i2s": why})).test_client()
    html = client.get("/").get_data(as_text=True)
    assert f"No I2S model is loaded: {why}." in html
    assert 'id="i2s-file"' not in html and 'id="s2i-file"' in html
    info = json.loads(client.get("/api/info").get_data())
    assert info["models"]["i2s"] is None and info["missing"] == {"i2s": why}
    r = post(client, "/api/i2s", {"picture": (GOOD_PNG, "x.png")})
    assert r.status_code == 404 and r.get_json()["error"] == f"No I2S model is loaded: {why}"

"""avgan.demo.uploads: the half second cut at 44.1 kHz is what avgan's loader gives for
the whole file, long files work where whole-file resampling cannot, and the cache and
names behave."""

import numpy as np
import pytest
import soundfile as sf

from avgan.data import audio
from avgan.demo import uploads

from .conftest import SR, tone, wav_bytes


@pytest.mark.parametrize(
    "rate, channels, fmt", [(48000, 2, "WAV"), (22050, 1, "FLAC"), (32000, 1, "WAV")]
)
def test_the_chunk_is_the_loaders_44k_waveform_cut_at_the_start(tmp_path, rate, channels, fmt):
    rng = np.random.default_rng(rate)
    samples = 0.3 * rng.standard_normal((int(2.7 * rate), channels))  # broadband: a hard case
    path = tmp_path / f"clip.{fmt.lower()}"
    sf.write(path, samples, rate, format=fmt, subtype="PCM_16")
    whole = audio.load_audio(path).numpy()  # all of it at 44.1 kHz, as training reads files
    clip = uploads.read_sound(path.read_bytes(), path.name)
    assert clip.rate == rate and clip.seconds == pytest.approx(2.7, abs=1e-4)
    for start in (0.0, 0.01, 1.2345, clip.latest_start()):
        chunk, used = clip.chunk(start)
        first = int(round(start * SR))
        assert used == first / SR and chunk.shape == (22050,) and chunk.dtype == np.float32
        np.testing.assert_allclose(chunk, whole[first : first + 22050], atol=2e-6)


def test_a_long_file_is_cut_where_whole_file_resampling_would_overflow():
    # 200 s at 32 kHz: 6.4 M samples x 441 (the polyphase factor) is over 2**31, so
    # `audio.resample` of the whole file fails; the page resamples around the chunk.
    rate = 32000
    clip = uploads.read_sound(wav_bytes(tone(200.0, rate, pitch=440.0), rate), "long.wav")
    chunk, start = clip.chunk(150.0)
    assert start == 150.0 and clip.latest_start() == pytest.approx(199.5)
    t = 150.0 + np.arange(22050) / SR
    np.testing.assert_allclose(chunk, 0.6 * np.sin(2 * np.pi * 440.0 * t), atol=2e-3)


def test_the_loudest_half_second_and_short_sounds():
    clip = uploads.SoundClip(tone(4.0, 16000, loud=(2.25, 2.75)).astype(np.float32), 16000)
    assert clip.loudest_start() == pytest.approx(2.25)
    assert clip.latest_start() == 3.5
    short = uploads.SoundClip(np.full(1000, 0.5, np.float32), SR)
    assert short.latest_start() == 0.0 and short.loudest_start() == 0.0
    chunk, start = short.chunk(3.0)
    assert start == 0.0 and chunk.shape == (22050,)
    assert (chunk[:1000] == 0.5).all() and (chunk[1000:] == 0).all()


def test_the_cache_decodes_the_same_bytes_once(monkeypatch):
    calls = []
    decode = uploads.read_sound
    monkeypatch.setattr(uploads, "read_sound", lambda d, n: calls.append(n) or decode(d, n))
    cache = uploads.SoundCache(size=2)
    a, b, c = (wav_bytes(tone(0.6, pitch=p)) for p in (200.0, 300.0, 400.0))
    first = cache.read(a, "a.wav")
    assert cache.read(a, "renamed.wav") is first and calls == ["a.wav"]
    cache.read(b, "b.wav")
    cache.read(c, "c.wav")  # evicts a, the least recently used
    cache.read(a, "a.wav")
    assert calls == ["a.wav", "b.wav", "c.wav", "a.wav"]


def test_names_in_messages_are_the_base_name_printable_and_short():
    assert uploads.display_name("C:\\Users\\me\\song.wav", "x") == "song.wav"
    assert uploads.display_name("/etc/../secret/a\x00b\nc.wav", "x") == "abc.wav"
    assert uploads.display_name("", "the sound") == "the sound"
    assert uploads.display_name(None, "the picture") == "the picture"
    long = uploads.display_name("n" * 200 + ".wav", "x")
    assert len(long) == uploads.NAME_CHARACTERS and long.endswith("...")


def test_tensorflow_messages_are_cleaned():
    raw = (
        "{{function_node __wrapped__DecodeImage_device_/job:localhost/replica:0/task:0/"
        "device:CPU:0}} Invalid PNG data, size 89 [Op:DecodeImage] name: "
    )
    assert uploads.clean_decoder_message(raw) == "Invalid PNG data, size 89"

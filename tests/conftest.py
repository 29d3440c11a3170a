"""Shared test set-up: two logical CPUs for tf.distribute, and real instrument audio."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# MirroredStrategy tests need two devices; split the CPU before TF initialises it.
_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


# How scripts/test.sh's two workers share the run (--dist loadgroup
# --no-loadscope-reorder): each test is a work unit, handed out in collection order, and
# this orders the files longest first, so that the last units are short ones. A file's
# module fixtures may be built on both workers. (xdist_group marks would make a file one
# unit, but xdist 3.8 writes the group into Item._nodeid, which pytest 9 no longer reads
# for Item.nodeid: the marks do nothing with the pinned versions, so none are set.)
# Durations: `scripts/test.sh --durations=0`, idle.
_LONGEST_FIRST = (
    "tests/training/test_gan.py",
    "tests/training/test_reliability.py",
    *(f"tests/export/test_{name}.py" for name in ("cli", "parity", "serving", "serving_inputs")),
    "tests/export/test_tflite.py",
    "tests/training/test_gan_cls.py",
    "tests/training/test_recipe.py",
    "tests/training/test_classifiers.py",
    "tests/export/test_recipe_export.py",
)
_RANK = {file: i for i, file in enumerate(_LONGEST_FIRST)}


def pytest_collection_modifyitems(config, items):
    """Orders the tests longest file first (above); a file's tests keep their order."""
    last = len(_RANK)
    items.sort(key=lambda i: _RANK.get(i.path.relative_to(config.rootpath).as_posix(), last))


def require_fluidsynth() -> None:
    """Skips locally without FluidSynth; fails under CI, where scripts/test.sh installs it."""
    from avgan.data.synthetic import render

    try:
        render.find_soundfont()
        missing = None if render.shutil.which("fluidsynth") else "fluidsynth"
    except FileNotFoundError:
        missing = "a General MIDI soundfont"
    if missing:
        message = f"{missing} is not installed (scripts/test.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


# Violin, cello, trumpet, flute, clarinet: strings, brass and woodwinds.
INSTRUMENT_PROGRAMS = (40, 42, 56, 73, 71)


@pytest.fixture(scope="session")
def instrument_wavs(tmp_path_factory) -> dict[int, str]:
    """A short melody rendered by FluidSynth for each program in INSTRUMENT_PROGRAMS."""
    require_fluidsynth()
    from avgan.data.synthetic.render import Note, render_notes

    notes = [Note(55, 0.0, 0.6), Note(62, 0.5, 0.5), Note(67, 1.0, 0.7), Note(72, 1.5, 0.45)]
    out = tmp_path_factory.mktemp("instruments")
    return {p: render_notes(notes, p, str(out / f"program{p}.wav")) for p in INSTRUMENT_PROGRAMS}


@pytest.fixture(scope="session")
def instrument_chunks(instrument_wavs) -> np.ndarray:
    """[20, 22050] float32: four 0.5 s chunks of each rendered instrument."""
    from avgan.data import audio

    chunks = [audio.chunk_waveform(audio.load_audio(p))[:4] for p in instrument_wavs.values()]
    return np.concatenate([c.numpy() for c in chunks])

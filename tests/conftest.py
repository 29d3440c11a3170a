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


# How scripts/test.sh's two workers share the run (--dist loadgroup --no-loadscope-reorder):
# each work unit is a file, so its module fixtures are built once, except that the files
# sharing the export package's fixture are one unit (built once, not once per worker),
# and the two longest files are two units each (a few seconds of fixtures twice, against
# minutes of one worker alone at the end). Units go out longest first, so the last ones
# are short. Durations: `scripts/test.sh --durations=0`, idle.
_LONGEST_FIRST = (
    "tests/training/test_gan.py",
    "tests/training/test_reliability.py",
    "tests/export",
    "tests/training/test_gan_cls.py",
    "tests/training/test_recipe.py",
    "tests/training/test_classifiers.py",
    "tests/export/test_recipe_export.py",
)
_SPLIT_IN_TWO = ("tests/training/test_gan.py", "tests/training/test_reliability.py")
_EXPORT_FIXTURE_FILES = tuple(
    f"tests/export/test_{name}.py"
    for name in ("cli", "parity", "serving", "serving_inputs", "tflite")
)


_UNIT = pytest.StashKey[str]()  # an item's unit without its half


def _work_unit(file: str, index_in_file: int) -> str:
    if file in _EXPORT_FIXTURE_FILES:
        return "tests/export"
    if file in _SPLIT_IN_TWO:
        return f"{file}#{index_in_file % 2}"
    return file


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Groups the tests into work units for xdist (above) and orders the units."""
    seen: dict[str, int] = {}
    for item in items:
        file = item.path.relative_to(config.rootpath).as_posix()
        unit = _work_unit(file, seen.setdefault(file, 0))
        seen[file] += 1
        item.add_marker(pytest.mark.xdist_group(unit))
        item.stash[_UNIT] = unit.split("#")[0]
    rank = {unit: i for i, unit in enumerate(_LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.stash[_UNIT], len(rank)))  # stable


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

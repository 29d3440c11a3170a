"""avgan.data.constants: the data's units, defined once and re-exported where used before."""

import subprocess
import sys

from avgan.data import audio, builder, constants, features, layout, pipeline, urmp
from avgan.data.synthetic import build


def test_values():
    assert constants.SAMPLE_RATE == 44100
    assert constants.CHUNK_SECONDS == 0.5
    assert constants.CHUNK_SAMPLES == 22050 and isinstance(constants.CHUNK_SAMPLES, int)
    assert constants.IMAGE_SIZE == 64


def test_the_old_names_are_the_same_objects():
    names = {
        audio: ("SAMPLE_RATE", "CHUNK_SECONDS", "CHUNK_SAMPLES", "IMAGE_SIZE"),
        builder: ("SAMPLE_RATE", "CHUNK_SECONDS", "CHUNK_SAMPLES"),
        pipeline: ("CHUNK_SAMPLES", "IMAGE_SIZE"),
        features: ("SAMPLE_RATE",),
        layout: ("SAMPLE_RATE", "CHUNK_SECONDS"),
        urmp: ("CHUNK_SAMPLES",),
        build: ("SAMPLE_RATE", "CHUNK_SAMPLES"),
    }
    for module, attributes in names.items():
        for name in attributes:
            assert getattr(module, name) is getattr(constants, name), (module.__name__, name)


def test_importing_them_loads_nothing_heavy():
    # builder and the synthetic build run in TensorFlow-free worker processes; features
    # must not need tensorflow-io.
    code = (
        "import sys\n"
        "import avgan.data.builder, avgan.data.synthetic.build\n"
        "assert 'tensorflow' not in sys.modules\n"
        "import avgan.data.features\n"
        "assert 'tensorflow_io' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)

"""Shared by the evaluation tests: a small synthetic ensemble of cellos with poses."""

import pytest

from avgan.data.synthetic import build
from tests.conftest import require_fluidsynth


@pytest.fixture(scope="session")
def cellos(tmp_path_factory):
    """5 cello recordings of 4 s (2 held out): ~24 training and ~16 held-out chunks."""
    require_fluidsynth()
    root = str(tmp_path_factory.mktemp("probe") / "cellos")
    config = build.preset_config(
        "tiny", seed=3, instruments=("cello",), recordings=5, validation_recordings=2
    )
    build.build(root, config, workers=2, progress=False)
    return root

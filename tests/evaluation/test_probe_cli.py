"""`python -m avgan.probe` on a small synthetic ensemble: the table, the JSON, the errors."""

import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def _probe(*flags):
    return subprocess.run(
        [sys.executable, "-m", "avgan.probe", *flags],
        cwd=REPO,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_probe_table_and_json(cellos, tmp_path):
    from avgan.models.encoders import SoundClassifier

    encoder = SoundClassifier(num_classes=1, scale=0.125)
    encoder(np.zeros((1, 22050), np.float32))
    path = str(tmp_path / "untrained" / "encoder.keras")
    os.makedirs(os.path.dirname(path))
    encoder.save(path)
    pitched = SoundClassifier(num_classes=1, scale=0.125, pitch_classes=128)
    pitched(np.zeros((1, 22050), np.float32))
    pitched_path = str(tmp_path / "pitched.keras")
    pitched.save(pitched_path)
    out = str(tmp_path / "probe.json")

    done = _probe(
        f"--data={cellos}",
        "--instruments=cello",
        f"--encoder={path}",
        f"--encoder=pitchy={pitched_path}",
        f"--out={out}",
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The parameters that vary among the cello's chunks (4 s recordings have no rests).
    assert lines[0].split() == ["instrument", "encoding", "hand", "bow", "string", "mean"]
    assert lines[1].startswith("cello") and "log-mel (raw)" in lines[1]
    assert lines[2].split()[:2] == ["cello", "untrained"]  # named after its folder
    # The pitch-aware encoder's encoding, then its note posterior (no posterior without
    # a pitch head).
    assert lines[3].split()[1] == "pitchy" and lines[4].split()[1:3] == ["pitchy", "posterior"]
    with open(out) as f:
        result = json.load(f)
    cello = result["instruments"]["cello"]
    assert cello["chunks"]["train"] > 10 and cello["chunks"]["test"] > 5
    raw = cello["probe"]["log-mel (raw)"]
    # The string (which pitch range a note lies in) is in the sound's spectrum.
    assert raw["correlation"]["string"] > 0.5
    assert set(raw["skipped"]) == {f"fingering{i}" for i in range(7)} | {"playing"}
    assert result["encoders"] == {"untrained": path, "pitchy": pitched_path}
    assert list(cello["probe"]) == ["log-mel (raw)", "untrained", "pitchy", "pitchy posterior"]
    assert set(cello["probe"]["pitchy posterior"]["correlation"]) == {"hand", "bow", "string"}


def test_bad_flags_are_one_line(cellos, tmp_path):
    missing = _probe(f"--data={cellos}", f"--encoder=x={tmp_path}/none.keras")
    assert missing.returncode == 1
    assert missing.stderr.strip().endswith(
        f"--encoder x={tmp_path}/none.keras: no such file {tmp_path}/none.keras"
    )
    other = _probe(f"--data={cellos}", "--instruments=tuba")
    assert other.returncode == 1
    assert "--instruments tuba: not in" in other.stderr.strip().splitlines()[-1]

"""Multi-worker training through the real entry point (two processes, slow)."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_two_workers_end_with_identical_checkpoints(tmp_path):
    # Each worker is `python -m avgan.train --strategy=multi_worker` with its own
    # TF_CONFIG; the script exits non-zero if their checkpoints differ.
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "multiworker_check.py"),
         f"--out={tmp_path}"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 replicas in sync" in result.stdout
    assert "max |worker0 - worker1| = 0" in result.stdout

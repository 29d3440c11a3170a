"""The console-script entry point `avgan-humaneval` (avgan.humaneval.__main__:run)."""

import sys

import pytest

from avgan.humaneval.__main__ import main, run


def test_run_exits_with_mains_status_and_names_the_installed_command(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["/venv/bin/avgan-humaneval", "-h"])
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: avgan-humaneval [-h] {prepare,serve,summarize}")


def test_run_returns_2_on_a_missing_study(monkeypatch, tmp_path, capsys):
    missing = str(tmp_path / "nowhere")
    monkeypatch.setattr(sys, "argv", ["avgan-humaneval", "summarize", "--study", missing])
    with pytest.raises(SystemExit) as exit_info:
        run()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_python_m_keeps_its_program_name(capsys):
    with pytest.raises(SystemExit):
        main(["-h"])
    assert capsys.readouterr().out.startswith("usage: python -m avgan.humaneval [-h]")

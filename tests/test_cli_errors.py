"""avgan.cli's quiet TensorFlow and one-line errors, in process (no command is run)."""

import os

import pytest
from absl import app

from avgan import cli


@pytest.mark.parametrize(
    "argv, verbose",
    [
        (["prog", "--mode=s2i"], False),
        (["prog", "--verbose"], True),
        (["prog", "--verbose=true"], True),
        (["prog", "--verbose", "--noverbose"], False),
        (["prog", "--", "--verbose"], False),  # after --, an argument, not a flag
    ],
)
def test_verbose_is_read_before_the_flags_are_parsed(argv, verbose):
    assert cli.wants_verbose(argv) is verbose


def test_tensorflow_is_quieted_unless_verbose_or_set_by_the_user(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    assert cli.quiet_tensorflow(["prog", "--verbose"]) is True
    assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ
    assert cli.quiet_tensorflow(["prog"]) is False
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")  # the user's own choice stays
    cli.quiet_tensorflow(["prog"])
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1"


def _fail_with(error: BaseException, capsys, monkeypatch, argv=("prog",)) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", list(argv))
    with pytest.raises(SystemExit) as exit_info, cli.one_line_errors("prog"):
        raise error
    return exit_info.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    "error, line, code",
    [
        (app.UsageError("--out: needed"), "prog: --out: needed\n", 1),
        (ValueError("x.wav: not a WAV file"), "prog: x.wav: not a WAV file\n", 1),
        (
            FileNotFoundError(2, "No such file or directory", "x.png"),
            "prog: x.png: No such file or directory\n",
            1,
        ),
    ],
)
def test_a_user_error_is_one_line(error, line, code, capsys, monkeypatch):
    assert _fail_with(error, capsys, monkeypatch) == (code, line)


def test_verbose_shows_the_traceback_before_the_line(capsys, monkeypatch):
    code, err = _fail_with(ValueError("bad"), capsys, monkeypatch, ("prog", "--verbose"))
    assert code == 1
    assert err.startswith("Traceback (most recent call last)")
    assert err.endswith("ValueError: bad\nprog: bad\n")


def test_a_bug_keeps_its_traceback():
    with pytest.raises(KeyError), cli.one_line_errors("prog"):
        raise KeyError("a bug")


def test_help_leaves_out_the_flags_tensorflow_defines():
    import tensorflow  # noqa: F401  (defines absl flags of its own, e.g. --tt_check_filter)
    from tensorflow.python.tpu import tensor_tracer_flags  # noqa: F401

    text = cli.help_text("prog", "Does a thing.\n")
    assert text.startswith("Does a thing.\n\nflags of prog:\n")
    assert "  --verbose  " in text
    assert "--tt_" not in text and "--helpshort" not in text

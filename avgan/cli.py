"""What every avgan command line shares (absl flags), for the entry points.

- `--help` (or `-h`) prints what the command does (its module docstring) and its own
  flags, to stdout, and exits 0. absl's own `--help` exits 1, and under a console
  script it lists no flags of the command (only those of the script's wrapper).
- A flag error is one line on stderr that names the flag, then where to find the
  flags; exit 2. absl prints the whole usage before the error.
- A user error is one line on stderr, `PROG: message`, and exit 1: a `UsageError` from
  the command (a value the config refuses, a missing file), and a `ValueError`,
  `OSError` or TensorFlow `NotFoundError` from deeper down (an unreadable file, a folder
  that is not a data set; their messages name the file). absl prints the usage before
  a `UsageError`, and a traceback for anything else. Other exceptions are bugs and keep
  their traceback.
- TensorFlow's C++ log is silenced: on a CPU-only machine TensorFlow 2.17 prints about
  ten lines on import that read like failures ("Unable to register cuFFT factory",
  cuDNN and cuBLAS alike, "Could not find cuda drivers", "TF-TRT Warning: Could not find
  TensorRT", oneDNN and CPU-instruction notices).
- `--verbose` keeps both: TensorFlow's C++ log, and the traceback before an error's line.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterator

from absl import app, flags

HELP_ARGS = ("-h", "--help", "-help", "--helpshort", "--helpfull", "-?")

flags.DEFINE_bool(
    "verbose",
    False,
    "Show TensorFlow's C++ log (CUDA, TensorRT, CPU notices) and an error's traceback.",
)

# Read by TensorFlow's C++ runtime when `import tensorflow` loads it, so it is set before
# that (no entry module imports TensorFlow at module level; tests/test_cli.py checks).
# 3, not 2: TF 2.17 logs the CUDA plugin registrations ("Unable to register cuFFT
# factory: ...") at ERROR level on every import, GPU or not; level 3 keeps FATAL only.
# A value the user set in the environment is kept.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def wants_verbose(argv: list[str]) -> bool:
    """Whether the command line asks for --verbose (its last --verbose/--noverbose wins),
    read before the flags are parsed (TensorFlow may load while they are)."""
    verbose = False
    for arg in argv[1:]:
        if arg == "--":
            break
        if arg in ("--verbose", "-verbose") or arg.lower() in ("--verbose=true", "--verbose=1"):
            verbose = True
        elif arg in ("--noverbose", "-noverbose") or arg.lower() in (
            "--verbose=false",
            "--verbose=0",
        ):
            verbose = False
    return verbose


def quiet_tensorflow(argv: list[str]) -> bool:
    """Sets QUIET_ENV (where not already set) unless `argv` asks for --verbose.

    Returns:
        Whether --verbose was asked for.
    """
    verbose = wants_verbose(argv)
    if not verbose:
        for name, value in QUIET_ENV.items():
            os.environ.setdefault(name, value)
    return verbose


def _is_verbose() -> bool:
    return bool(flags.FLAGS["verbose"].value) or wants_verbose(sys.argv)


def _message(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(getattr(error, "message", None) or error)  # TF's OpError keeps it in .message


def _user_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that are a user's input rather than a bug: files and values."""
    found: tuple[type[BaseException], ...] = (ValueError, OSError)
    tf = sys.modules.get("tensorflow")  # only if the command loaded it; not imported here
    if tf is not None:
        found += (tf.errors.NotFoundError, tf.errors.PermissionDeniedError)
    return found


@contextlib.contextmanager
def one_line_errors(prog: str) -> Iterator[None]:
    """Turns a user error in the block into one line on stderr and an exit (see above)."""
    try:
        yield
    except app.UsageError as e:
        _fail(prog, _message(e), e.exitcode)
    except Exception as e:
        if not isinstance(e, _user_errors()):
            raise  # a bug: its traceback
        _fail(prog, _message(e), 1)


def _fail(prog: str, message: str, exitcode: int) -> None:
    if _is_verbose():
        traceback.print_exc()
    sys.stderr.write(f"{prog}: {message}\n")
    sys.exit(exitcode)


# Modules whose flags are not the command's: absl's own, and those TensorFlow defines on
# import (a builder that imports it at module level would list its TPU flags).
_FOREIGN_FLAGS = ("absl.", "tensorflow.", "tensorboard.", "keras.")


def help_text(prog: str, doc: str | None) -> str:
    """The command's docstring, then every flag it defined, then --verbose (this module's)."""
    sections = []
    by_module = flags.FLAGS.flags_by_module_dict().items()
    for module, defined in sorted(by_module, key=lambda item: (item[0] == __name__, item[0])):
        if module.startswith(_FOREIGN_FLAGS):
            continue
        for flag in defined:
            sections += textwrap.wrap(
                _describe(flag), 88, initial_indent=f"  --{flag.name}  ", subsequent_indent=" " * 6
            )
    text = (doc or f"{prog}\n").rstrip()
    return f"{text}\n\nflags of {prog}:\n" + "\n".join(sections) + "\n"


def _describe(flag: flags.Flag) -> str:
    values = getattr(flag.parser, "enum_values", None)
    kind = f"one of {', '.join(values)}" if values else flag.flag_type()
    text = flag.help
    if values and text.startswith("<"):  # absl puts "<a|b|c>: " before an enum's help
        text = text.split(">: ", 1)[-1]
    default = "" if flag.default is None else f"; default {flag.default_as_str}"
    return f"{text} ({kind}{default})"


def flags_parser(prog: str, doc: str | None) -> Callable[[list[str]], list[str]]:
    """An absl `flags_parser` with the help and the flag errors above."""

    def parse(argv: list[str]) -> list[str]:
        if any(arg in HELP_ARGS for arg in argv[1:]):
            sys.stdout.write(help_text(prog, doc))
            sys.exit(0)
        try:
            return flags.FLAGS(argv)
        except flags.Error as e:
            sys.stderr.write(f"{prog}: {e}\nRun `{prog} --help` for its flags.\n")
            sys.exit(2)

    return parse


def guard(main: Callable[[list[str]], object], prog: str) -> Callable[[list[str]], object]:
    """`main` with its user errors as one line (`one_line_errors`)."""

    def guarded(argv: list[str]) -> object:
        with one_line_errors(prog):
            return main(argv)

    return guarded


def run(main: Callable[[list[str]], object], script: str) -> None:
    """`app.run(main)` with the help, the errors and the quiet TensorFlow above.

    Args:
        main: the entry point's main; the help text is its module's docstring.
        script: the console script's name (e.g. 'avgan-train'); the messages name the
            command as it was run: that, or `python -m <module>`.
    """
    quiet_tensorflow(sys.argv)
    module = sys.modules[main.__module__]
    prog = script
    if os.path.basename(sys.argv[0]) != script:
        spec = getattr(module, "__spec__", None)
        prog = f"python -m {spec.name if spec else main.__module__}"
    app.run(guard(main, prog), flags_parser=flags_parser(prog, module.__doc__))

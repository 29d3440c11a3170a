"""What every avgan command line shares (absl flags), for the entry points.

- `--help` (or `-h`) prints what the command does (its module docstring) and its own
  flags, to stdout, and exits 0. absl's own `--help` exits 1, and under a console
  script it lists no flags of the command (only those of the script's wrapper).
- A flag error is one line on stderr that names the flag, then where to find the
  flags; exit 2. absl prints the whole usage before the error.
- A `UsageError` from the command (a value the config refuses, a missing file) is one
  line on stderr, `PROG: message`; exit 1. absl prints the usage before it too.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable

from absl import app, flags

HELP_ARGS = ("-h", "--help", "-help", "--helpshort", "--helpfull", "-?")


def help_text(prog: str, doc: str | None) -> str:
    """The command's docstring, then every flag it defined (absl's own left out)."""
    sections = []
    for module, defined in sorted(flags.FLAGS.flags_by_module_dict().items()):
        if module.startswith("absl."):
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


def run(main: Callable[[list[str]], object], script: str) -> None:
    """`app.run(main)` with the help and flag errors above.

    Args:
        main: the entry point's main; the help text is its module's docstring.
        script: the console script's name (e.g. 'avgan-train'); the messages name the
            command as it was run: that, or `python -m <module>`.
    """
    module = sys.modules[main.__module__]
    prog = script
    if os.path.basename(sys.argv[0]) != script:
        spec = getattr(module, "__spec__", None)
        prog = f"python -m {spec.name if spec else main.__module__}"

    def guarded(argv: list[str]) -> object:
        try:
            return main(argv)
        except app.UsageError as e:
            sys.stderr.write(f"{prog}: {e}\n")
            sys.exit(e.exitcode)

    app.run(guarded, flags_parser=flags_parser(prog, module.__doc__))

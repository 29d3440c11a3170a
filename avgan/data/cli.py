"""`avgan-data BUILDER [flags]`: build a data set in the Sub-URMP layout.

    avgan-data synthetic --out DIR [--preset small] ...    = python -m avgan.data.synthetic ...
    avgan-data urmp --urmp DIR --out DIR ...               = python -m avgan.data.urmp ...
    avgan-data inis --images DIR --audio DIR --out DIR ... = python -m avgan.data.inis ...

The flags after BUILDER are the builder's own (absl); `avgan-data BUILDER --help` lists
them. Only the chosen builder is imported, so its flags are defined once and the other
builders' imports (TensorFlow, PyAV) are not paid for.
"""

from __future__ import annotations

import importlib
import sys

from avgan import cli

PROG = "avgan-data"

# name -> (module with run(argv, flags_parser), one line for the usage).
BUILDERS = {
    "synthetic": (
        "avgan.data.synthetic.__main__",
        "the synthetic ensemble: rendered notes and drawn players, no download",
    ),
    "urmp": (
        "avgan.data.urmp",
        "Sub-URMP pairs from a raw URMP download (videos, separated tracks)",
    ),
    "inis": ("avgan.data.inis", "INIS-style pairs from image folders and solo recordings"),
}
_HELP = ("-h", "--help")


def usage() -> str:
    """The usage text: the command's form and one line per builder."""
    width = max(len(name) for name in BUILDERS)
    lines = [
        f"usage: {PROG} BUILDER [flags]",
        "",
        "Builds a data set in the Sub-URMP layout. BUILDER is one of:",
        *(f"  {name:<{width}}  {summary}" for name, (_, summary) in BUILDERS.items()),
        "",
        f"`{PROG} BUILDER --help` lists the builder's flags.",
    ]
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point `avgan-data`: runs the builder named by the first argument.

    Args:
        argv: the program name, the builder, then the builder's flags; default sys.argv.

    Exits with status 0 after printing the usage for -h/--help, 2 (usage on stderr) for
    no builder or an unknown one, 1 with one line for an error of the builder (see
    `avgan.cli`), else as the builder's command line does.
    """
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 2:
        print(f"{PROG}: no builder given\n\n{usage()}", file=sys.stderr)
        sys.exit(2)
    name = argv[1]
    if name in _HELP:
        print(usage())
        sys.exit(0)
    if name not in BUILDERS:
        print(f"{PROG}: unknown builder {name!r}\n\n{usage()}", file=sys.stderr)
        sys.exit(2)
    run_builder(name, argv[2:])


def run_builder(name: str, args: list[str], prog: str | None = None) -> None:
    """Runs builder `name` (a key of BUILDERS) on its flags `args`, as the command `prog`
    (default `avgan-data NAME`; `python -m avgan.data.urmp|inis` pass their own).

    TensorFlow's C++ log is silenced unless --verbose (set before the builder loads
    TensorFlow); --help prints the builder's docstring and flags and exits 0; a flag
    error is one line (exit 2), and an error of the builder (a folder it refuses, an
    unreadable file) one line (exit 1; the traceback too with --verbose): `avgan.cli`.
    """
    module_name = BUILDERS[name][0]
    builder_argv = [prog or f"{PROG} {name}", *args]
    # absl names sys.argv[0] in its messages and lists that module's key flags under --help.
    sys.argv = builder_argv
    cli.quiet_tensorflow(builder_argv)  # before the builder imports TensorFlow
    builder = importlib.import_module(module_name)
    parser = cli.flags_parser(builder_argv[0], builder.__doc__)
    with cli.one_line_errors(builder_argv[0]):
        builder.run(builder_argv, flags_parser=parser)


if __name__ == "__main__":
    run()

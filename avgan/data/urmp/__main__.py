"""`python -m avgan.data.urmp [flags]`: the same command as `avgan-data urmp`.

The builder is `avgan.data.urmp` (its docstring is the help); the command line, quiet
TensorFlow, `--help` and one-line errors are `avgan.data.cli`'s, an entry point.
"""

import sys

from avgan.data import cli

if __name__ == "__main__":
    cli.run_builder("urmp", sys.argv[1:], prog="python -m avgan.data.urmp")

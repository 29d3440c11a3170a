"""`python -m avgan.data.inis [flags]`: the same command as `avgan-data inis`.

The builder is `avgan.data.inis` (its docstring is the help); the command line, quiet
TensorFlow, `--help` and one-line errors are `avgan.data.cli`'s, an entry point.
"""

import sys

from avgan.data import cli

if __name__ == "__main__":
    cli.run_builder("inis", sys.argv[1:], prog="python -m avgan.data.inis")

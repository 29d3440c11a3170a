"""Build the synthetic ensemble: `python -m avgan.data.synthetic --out DIR --preset small`.

Flags:
  --out DIR            output folder (Sub-URMP layout); rerunning resumes a killed build
  --preset             tiny | small | full (small: 13 x 32 recordings of 2.5 s; full: ~17.5k pairs)
  --seed N             everything is deterministic from the seed
  --soundfont PATH     a General MIDI .sf2 (default: TimGM6mb from timgm6mb-soundfont)
  --workers N          parallel processes (default: all cores)
  --contact-sheet [PNG]  also write a contact sheet (default DIR/contact_sheet.png)
"""

from __future__ import annotations

import json
import os
import sys
import time

from absl import app, flags

from avgan import cli
from avgan.data.synthetic import build, sheet

PROG = "python -m avgan.data.synthetic"

FLAGS = flags.FLAGS
flags.DEFINE_string("out", None, "Output folder for the Sub-URMP layout.", required=True)
flags.DEFINE_enum("preset", "small", list(build.PRESETS), "Size of the ensemble.")
flags.DEFINE_integer("seed", 0, "Random seed; the build is deterministic from it.")
flags.DEFINE_string("soundfont", None, "General MIDI soundfont (.sf2) to render with.")
flags.DEFINE_integer("workers", os.cpu_count() or 1, "Parallel worker processes.", lower_bound=1)
flags.DEFINE_float("min_dbfs", None, "Drop chunks quieter than this (default -40 dBFS).")
flags.DEFINE_string(
    "contact_sheet", None, "Write a contact sheet PNG here ('' for DIR/contact_sheet.png)."
)


def _accept_dashed_contact_sheet(argv: list[str]) -> list[str]:
    """`--contact-sheet` (as the README writes it), with or without a value."""
    out = []
    for i, arg in enumerate(argv):
        if arg == "--contact-sheet":
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            out.append("--contact_sheet" if nxt and not nxt.startswith("-") else "--contact_sheet=")
        elif arg.startswith("--contact-sheet="):
            out.append("--contact_sheet=" + arg.split("=", 1)[1])
        else:
            out.append(arg)
    return out


def main(argv: list[str]) -> None:
    del argv
    config = build.preset_config(
        FLAGS.preset, seed=FLAGS.seed, soundfont=FLAGS.soundfont, min_dbfs=FLAGS.min_dbfs
    )
    start = time.perf_counter()
    summary = build.build(FLAGS.out, config, workers=FLAGS.workers)
    print(
        f"built {FLAGS.out} in {time.perf_counter() - start:.1f} s: "
        f"{json.dumps(summary['pairs'])} pairs, "
        f"{summary['silent_chunks_dropped']} silent chunks dropped"
    )
    if FLAGS.contact_sheet is not None:
        path = FLAGS.contact_sheet or os.path.join(FLAGS.out, "contact_sheet.png")
        print(f"contact sheet: {sheet.contact_sheet(FLAGS.out, path)}")


def run(argv: list[str] | None = None, flags_parser=None) -> None:
    """The command line: parses the flags of `argv` (default sys.argv) and builds.

    Args:
        argv: the program name, then the flags; `--contact-sheet` may be dashed.
        flags_parser: absl's flag parser; default `avgan.cli.flags_parser` (this
            docstring and the flags under --help, one-line flag errors). `avgan-data`
            passes its own, naming `avgan-data synthetic`.
    """
    argv = _accept_dashed_contact_sheet(sys.argv if argv is None else argv)
    cli.quiet_tensorflow(argv)  # the build needs no TensorFlow today; quiet if it ever does
    prog = PROG if flags_parser is None else argv[0]
    parser = flags_parser or cli.flags_parser(prog, __doc__)
    # `avgan-data` also catches a builder's errors; here for `python -m` alone.
    app.run(cli.guard(main, prog), argv=argv, flags_parser=parser)


if __name__ == "__main__":
    run()

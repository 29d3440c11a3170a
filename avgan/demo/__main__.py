"""A page to try the exported models: `python -m avgan.demo --models export/models`.

Serves, on http://127.0.0.1:8000/ by default, Sound -> picture (upload or record a
sound, choose its half second, see the log-mel the model heard and 8 pictures from 8
seeds) and Picture -> sound (upload a picture or use the camera, see and play the
generated sounds). It loads the newest version of s2i and i2s under --models (the tree
`avgan-export --out DIR` writes), or the SavedModels --s2i / --i2s name; a direction
without a model is left out and the page says why. Inference runs through the
SavedModels' signatures only; nothing is downloaded. See docs/demo.md.

    avgan-demo --models export/models
    avgan-demo --s2i export/models/s2i/3 --port 8080
    avgan-demo --models export/models --host 0.0.0.0 --allowed_host lab-pc.local
"""

from __future__ import annotations

import os
import sys

from absl import app, flags

from avgan import cli

PROG = "python -m avgan.demo"

FLAGS = flags.FLAGS
flags.DEFINE_string(
    "models", "export/models", "The TF Serving tree avgan-export wrote (DIR/s2i/N, DIR/i2s/N)."
)
flags.DEFINE_string("s2i", None, "An S2I SavedModel folder (or model folder) to use instead.")
flags.DEFINE_string("i2s", None, "An I2S SavedModel folder (or model folder) to use instead.")
flags.DEFINE_string("host", "127.0.0.1", "Address to listen on; 127.0.0.1 is this machine only.")
flags.DEFINE_integer("port", 8000, "Port to listen on (0: any free port).", lower_bound=0)
flags.DEFINE_multi_string(
    "allowed_host",
    [],
    "Also answer requests for this host name (a reverse proxy's public name); repeatable. "
    "Default: the --host address, plus localhost/127.0.0.1 when it is a loopback address.",
)
flags.DEFINE_float(
    "max_upload_mb", 32.0, "The largest file the page takes, in MB (2**20 bytes).", lower_bound=0.1
)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected argument {argv[1]!r}: give the models with --models")
    from avgan.humaneval import guard

    # Refused before the models load: a bad --host costs no TensorFlow start-up.
    hosts = guard.served_hosts(FLAGS.host, FLAGS.allowed_host)
    from avgan.demo.app import create_app
    from avgan.demo.models import load_models
    from avgan.humaneval.server import Server

    models = load_models(FLAGS.models, FLAGS.s2i, FLAGS.i2s)
    max_upload = int(FLAGS.max_upload_mb * 2**20)
    flask_app = create_app(models, allowed_hosts=hosts, max_upload_bytes=max_upload)
    try:
        server = Server(
            flask_app, FLAGS.host, FLAGS.port, max_body_bytes=flask_app.config["MAX_CONTENT_LENGTH"]
        )
    except OSError as e:
        raise ValueError(
            f"--host {FLAGS.host} --port {FLAGS.port}: cannot listen: {e.strerror}"
        ) from None
    for direction in ("s2i", "i2s"):
        model = models.get(direction)
        what = (
            f"{model.label}, {os.path.abspath(model.path)}" if model else models.missing[direction]
        )
        print(f"{direction.upper()}: {what}", file=sys.stderr)
    if not guard.is_loopback(FLAGS.host):
        print(
            f"warning: serving on {FLAGS.host}: anyone who can reach it can run the models; "
            "the browser allows the microphone and camera only on https or localhost pages",
            file=sys.stderr,
        )
    print(
        f"demo page: {guard.page_url(hosts, server.port)} (Ctrl-C stops it)",
        file=sys.stderr,
        flush=True,
    )
    server.run()


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point `avgan-demo` (and `python -m avgan.demo`): the help,
    one-line errors and quiet TensorFlow of `avgan.cli`."""
    argv = sys.argv if argv is None else argv
    cli.quiet_tensorflow(argv)
    prog = "avgan-demo" if os.path.basename(argv[0]) == "avgan-demo" else PROG
    app.run(cli.guard(main, prog), argv=argv, flags_parser=cli.flags_parser(prog, __doc__))


if __name__ == "__main__":
    run()

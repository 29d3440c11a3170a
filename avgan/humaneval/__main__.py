"""python -m avgan.humaneval {prepare,serve,summarize} ...   (installed: avgan-humaneval ...)

  prepare   --models DIR [DIR ...] [--ground_truth DIR] [--sets 10] --out STUDY
            [--seed N] [--size 64] [--instruments NAME ...]
  serve     --study STUDY [--host 127.0.0.1] [--port 8000] [--db PATH]
            [--allowed_host NAME ...] [--debug]
  summarize --study STUDY [--db PATH]

The input layout is described in avgan/humaneval/study.py.
"""

from __future__ import annotations

import argparse
import sys

PROG = "python -m avgan.humaneval"


def parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line's parser; `prog` is the command its usage and errors name."""
    p = argparse.ArgumentParser(prog=prog, description="Human evaluation.")
    sub = p.add_subparsers(dest="command", required=True)

    prep = sub.add_parser("prepare", help="build a blind rating study from method folders")
    prep.add_argument(
        "--models",
        nargs="+",
        required=True,
        metavar="DIR",
        help="one folder per method: DIR/<instrument>/<name>.png|jpg; method name = "
        "DIR/method.json's 'name' or DIR's basename",
    )
    prep.add_argument(
        "--ground_truth",
        metavar="DIR",
        help="real pictures, same layout (or a Sub-URMP root: its img/validation/ is used)",
    )
    prep.add_argument("--ground_truth_name", default="ground truth", help="its method name")
    prep.add_argument("--sets", type=int, default=10, help="sets per instrument (paper: 10)")
    prep.add_argument("--out", required=True, metavar="STUDY", help="new (or empty) folder")
    prep.add_argument("--seed", type=int, default=None, help="default: random (recorded)")
    prep.add_argument(
        "--size", type=int, default=64, help="resize every picture to SIZE x SIZE; 0 keeps sizes"
    )
    prep.add_argument("--instruments", nargs="+", metavar="NAME", help="only these instruments")

    serve = sub.add_parser("serve", help="run the rating web app")
    serve.add_argument("--study", required=True, metavar="STUDY")
    serve.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", default=None, help="SQLite file (default STUDY/scores.sqlite)")
    serve.add_argument(
        "--allowed_host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (e.g. a reverse proxy's public name); "
        "repeatable. Default: the --host address, plus localhost/127.0.0.1 when loopback",
    )
    serve.add_argument(
        "--debug",
        action="store_true",
        help="Flask's development server with its debugger and reloader instead of waitress "
        "(loopback --host only)",
    )

    summ = sub.add_parser("summarize", help="write STUDY/summary.{md,json,png}")
    summ.add_argument("--study", required=True, metavar="STUDY")
    summ.add_argument("--db", default=None, help="SQLite file (default STUDY/scores.sqlite)")
    return p


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Runs one command.

    Args:
        argv: the arguments after the program name; default sys.argv[1:].
        prog: the command named in usage and error messages.

    Returns:
        The exit status: 0, or 2 after printing `error: ...` for a missing or existing
        folder or bad input. argparse exits with 2 itself on bad arguments.
    """
    args = parser(prog).parse_args(argv)
    try:
        if args.command == "prepare":
            from avgan.humaneval.study import prepare

            prepare(
                args.models,
                args.out,
                ground_truth=args.ground_truth,
                sets=args.sets,
                seed=args.seed,
                size=args.size,
                instruments=args.instruments,
                ground_truth_name=args.ground_truth_name,
            )
        elif args.command == "serve":
            serve(args)
        else:
            from avgan.humaneval.summarize import run

            run(args.study, args.db)
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        print(f"error: {_message(e)}", file=sys.stderr)
        return 2
    return 0


def _message(error: Exception) -> str:
    """One line naming the file: 'PATH: No such file or directory', not '[Errno 2] ...'."""
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(error)


def serve(args: argparse.Namespace) -> None:
    """`serve`: waitress (Flask's development server with --debug) until Ctrl-C.

    Raises:
        ValueError: a bad --allowed_host, a wildcard --host without one, or --debug on a
            host other machines can reach (the debugger runs code sent to it).
    """
    from avgan.humaneval import guard
    from avgan.humaneval.app import create_app

    hosts = guard.served_hosts(args.host, args.allowed_host)
    loopback = guard.is_loopback(args.host)
    if args.debug and not loopback:
        raise ValueError(
            f"--debug with --host {args.host}: Flask's debugger runs code sent to it, so it "
            "serves only a loopback --host (127.0.0.1)"
        )
    app = create_app(args.study, args.db, allowed_hosts=hosts)
    if not loopback:
        print(
            f"warning: serving on {args.host}: anyone who can reach it can rate "
            "(there are no accounts)",
            file=sys.stderr,
        )
    print(
        f"rating page: {guard.page_url(hosts, args.port)} (hosts: {', '.join(hosts)})",
        file=sys.stderr,
    )
    if args.debug:
        app.run(host=args.host, port=args.port, threaded=True, debug=True)
        return
    from avgan.humaneval.server import Server

    Server(app, args.host, args.port).run()


def run() -> None:
    """Console-script entry point `avgan-humaneval`: exits with main()'s status."""
    sys.exit(main(prog="avgan-humaneval"))


if __name__ == "__main__":
    sys.exit(main())

"""``python -m gan_mnist.export``: the generator outside this package.

``--to DIR`` writes into a new (or empty) folder a TensorFlow SavedModel of
G alone (with ``--tflite`` also ``generator.tflite``) and ``export.json``,
which records where the weights came from; ``--web DIR`` writes a static
page that runs G in the browser (see ``web``). Either takes the moving
average of G's weights when the run has one, else G's weights. Each folder
is whole or absent.
"""

import os
import sys

from . import cli
from .errors import UsageError
from .fileio import check_new_folder
from .sampling import sources

PROG = cli.prog("export")


def parse_args(argv):
    p = cli.ArgumentParser(PROG, "Write the generator as a TensorFlow SavedModel "
                           "(and TFLite) that needs nothing of this package.")
    cli.add_source_flags(p, "export")
    for name, kw, help_ in (
            ("--to", dict(metavar="DIR"),
             "folder for the SavedModel (must not exist, or be empty)"),
            ("--tflite", dict(action="store_true"),
             "with --to: also write generator.tflite with TensorFlow's converter"),
            ("--web", dict(metavar="DIR"), "folder for a web page that runs the "
             "generator offline (open DIR/index.html; must not exist, or be empty)")):
        p.add_argument(name, help=help_, **kw)
    args = cli.source_flags(p.parse_args(argv))
    if not (args.to or args.web):
        raise UsageError("give --to DIR (a SavedModel), --web DIR (a web page) or both")
    if args.tflite and not args.to:
        raise UsageError("--tflite: only with --to DIR")
    for flag, path in (("--to", args.to), ("--web", args.web)):
        if path:
            check_new_folder(path, flag)
    if args.to and args.web and os.path.abspath(args.to) == os.path.abspath(args.web):
        raise UsageError(f"--to and --web: both name {args.to}; give two folders")
    return args


def main(argv=None):
    def body():
        args = parse_args(argv)
        src = sources.load(args.output, args.checkpoint, args.pretrained)
        info = sources.describe(src)
        if args.web:
            from . import web
            index = web.write_page(src.weights, args.web, info)
            print(f"wrote {args.web} (open {index}) from {src.label}")
        if args.to:
            from .sampling import serving
            serving.export(src.weights, info, args.to, args.tflite)
            made = "SavedModel" + (f", {serving.TFLITE_FILE}" if args.tflite else "")
            print(f"wrote {args.to} ({made}, {serving.INFO_FILE}) from {src.label}")

    cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

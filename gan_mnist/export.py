"""``python -m gan_mnist.export``: the generator as a SavedModel (and TFLite).

Writes into a new (or empty) folder a TensorFlow SavedModel of G alone: the
moving average of G's weights when the run has one, else G's weights; with
``--tflite`` also ``generator.tflite``; and ``export.json``, which records
where the weights came from. The folder is whole or absent.
"""

import sys

from . import cli
from .fileio import check_new_folder
from .sampling import sources

PROG = cli.prog("export")


def parse_args(argv):
    p = cli.ArgumentParser(PROG, "Write the generator as a TensorFlow SavedModel "
                           "(and TFLite) that needs nothing of this package.")
    cli.add_source_flags(p, "export")
    p.add_argument("--to", required=True, metavar="DIR",
                   help="folder to write (must not exist, or be empty)")
    p.add_argument("--tflite", action="store_true",
                   help="also write generator.tflite with TensorFlow's converter")
    args = p.parse_args(argv)
    check_new_folder(args.to, "--to")
    return args


def main(argv=None):
    def body():
        args = parse_args(argv)
        src = sources.load(args.output, args.checkpoint, args.pretrained)
        from .sampling import serving
        serving.export(src.weights, sources.describe(src), args.to, args.tflite)
        made = "SavedModel" + (f", {serving.TFLITE_FILE}" if args.tflite else "")
        print(f"wrote {args.to} ({made}, {serving.INFO_FILE}) from {src.label}")

    cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

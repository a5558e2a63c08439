"""``python -m gan_mnist.export``: the generator outside this package.

``--to DIR`` writes into a new (or empty) folder a TensorFlow SavedModel of
G alone (with ``--tflite`` also ``generator.tflite``) and ``export.json``,
which records where the weights came from (with ``--rejection P`` also D,
as the SavedModel's ``rejection`` signature: see ``sampling.serving``); ``--web DIR`` writes a static
page that runs G in the browser (see ``web``). Either takes the moving
average of G's weights when the run has one, else G's weights. Each folder
is whole or absent.
"""

import os
import sys

from . import cli
from .errors import UsageError
from .fileio import check_new_folder
from .sampling import rejection, sources

PROG = cli.prog("export")
BURN_IN_SEED = 0  # the noise of the burn-in that fixes --rejection's l* and gamma


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
    p.add_argument("--rejection", type=float, metavar="P",
                   help="with --to: add D as a 'rejection' signature that gives each "
                        "image's keep probability for discriminator rejection sampling, "
                        "gamma at the P-th percentile (e.g. 50); needs a checkpoint, or "
                        "the pretrained file's D")
    args = cli.source_flags(p.parse_args(argv))
    if not (args.to or args.web):
        raise UsageError("give --to DIR (a SavedModel), --web DIR (a web page) or both")
    if args.tflite and not args.to:
        raise UsageError("--tflite: only with --to DIR")
    if args.rejection is not None:
        if not args.to:
            raise UsageError("--rejection: only with --to DIR (the web page runs G alone)")
        rejection.check_percentile(args.rejection)
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
            drs = None if args.rejection is None else _rejection(src, args.rejection)
            serving.export(src.weights, info, args.to, args.tflite, drs)
            made = ("SavedModel" + (" with D's rejection signature" if drs else "")
                    + (f", {serving.TFLITE_FILE}" if args.tflite else ""))
            print(f"wrote {args.to} ({made}, {serving.INFO_FILE}) from {src.label}")

    cli.run_command(PROG, body)


def _rejection(src, percentile):
    """serving.Rejection for ``src``: its D, and l* and gamma from the burn-in
    that ``generate --rejection P --seed BURN_IN_SEED`` starts with."""
    from .sampling import serving
    from .sampling.generator import Generator
    disc = sources.load_discriminator(src)
    gen = Generator(src.weights, src.averaged)
    try:
        l_max, gamma = rejection.calibrate_with_seed(gen, disc, BURN_IN_SEED, percentile)
    finally:
        gen.close()
    return serving.Rejection(disc, l_max, gamma, percentile, BURN_IN_SEED)


if __name__ == "__main__":
    sys.exit(main())

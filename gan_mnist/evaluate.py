"""``python -m gan_mnist.evaluate``: measure what a generator learned.

Generates ``--num`` digits (seeded) from the newest checkpoint of a run, a
checkpoint, or the pretrained generator, or reads a set of images from any
source, and prints FID, MNIST score, class KL, precision and recall against
the 10000 MNIST test images, the histogram of predicted digits, and the same
figures for 10000 real training images: the floor to read the others
against (``--no-floor`` skips it). The figures go to JSON too: beside the
checkpoint (``model-<N>.eval.json``) or at ``--json PATH``.
"""

import os
import sys

from . import cli, data
from .config import DEFAULTS
from .errors import UsageError
from .fileio import write_json
from .measure import scoring
from .meter import Meter
from .rundir import names
from .sampling import generator, sources

PROG = cli.prog("evaluate")
DEFAULT_NUM = 10000


def parse_args(argv):
    p = cli.ArgumentParser(PROG, "Measure a generator (or a set of images) "
                           "against the MNIST test set.")
    cli.add_source_flags(p, "evaluate")
    p.add_argument("--images", metavar="FILE",
                   help="evaluate this set instead: .npz (key 'images' or first "
                        "array) or .npy of uint8 (N, 28, 28) / (N, 784) in "
                        "0..255, or floats in [-1, 1]")
    p.add_argument("--num", type=int, default=DEFAULT_NUM,
                   help="images to generate, or to use of --images")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the generator's noise")
    action = p.add_argument("--data-dir", help="folder with the MNIST IDX files")
    action.shown_default = f"{DEFAULTS['data_dir']}, else the files packaged with gan_mnist"
    p.add_argument("--json", metavar="FILE",
                   help="write the figures here (default: beside the "
                        "checkpoint; none for --images)")
    p.add_argument("--raw-weights", action="store_true",
                   help="for a run trained with --g-average: evaluate G's own "
                        "weights, not their average (JSON: model-N.raw.eval.json)")
    p.add_argument("--no-floor", dest="floor", action="store_false",
                   help="skip the figures of 10000 real training images")
    return p.parse_args(argv)


def images_to_evaluate(args, meter):
    """(images, source, default JSON path) for the flags given."""
    if args.images:
        return scoring.load_images(args.images), f"--images {args.images}", None
    gen, prefix = sources.open_generator(args.output, args.checkpoint,
                                         args.pretrained, not args.raw_weights)
    print(f"evaluating {prefix}", file=sys.stderr)
    try:
        images = generator.generate(gen, args.num, args.seed, meter=meter)
    finally:
        gen.close()
    if args.pretrained:
        return images, "the pretrained generator", None
    if args.raw_weights:
        return (images, f"checkpoint {prefix} (raw weights)",
                names.evaluation(prefix, raw=True))
    return images, f"checkpoint {prefix}", names.evaluation(prefix)


def main(argv=None):
    args = parse_args(argv)

    def body():
        if args.num < scoring.MIN_IMAGES:
            raise UsageError(f"--num {args.num}: must be >= {scoring.MIN_IMAGES}")
        # Checked first so that a typo does not waste the whole evaluation.
        if args.json and not os.path.isdir(
                os.path.dirname(os.path.abspath(args.json))):
            raise UsageError(f"--json {args.json}: its folder does not exist")
        data_dir, found = data.locate(args.data_dir)
        if found:
            print(found, file=sys.stderr)
        for split in ("test", "train") if args.floor else ("test",):
            data.check_split(data_dir, split)
        meter = Meter(sys.stderr)
        images, source, json_path = images_to_evaluate(args, meter)
        results = scoring.score_images(images, data_dir, args.num, source=source,
                                       meter=meter)
        floor = scoring.real_floor(data_dir, meter=meter) if args.floor else None
        print(scoring.format_table(results, floor))
        json_path = args.json or json_path
        if json_path:
            out = dict(results, source=source)
            if floor is not None:
                out["floor"] = floor
            write_json(json_path, out)
            print(f"wrote {json_path}")
        return 0

    return cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

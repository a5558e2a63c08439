"""``python -m gan_mnist.evaluate``: measure what a generator learned.

Generates ``--num`` digits (seeded) from the newest checkpoint of a run, a
checkpoint, or the pretrained generator, or reads a set of images from any
source, and prints FID, MNIST score, class KL, precision and recall against
the 10000 MNIST test images, the histogram of predicted digits, and the same
figures for 10000 real training images: the floor to read the others
against (``--no-floor`` skips it). The figures go to JSON too: beside the
checkpoint (``model-<N>.eval.json``) or at ``--json PATH``.
"""

import sys

from . import cli, data
from .config import DEFAULTS
from .cpu import check_memory
from .errors import UsageError
from .fileio import check_new_file, write_json
from .measure import image_files, scoring
from .meter import Meter
from .rundir import names
from .sampling import sources

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
    p.add_argument("--overwrite", action="store_true",
                   help="replace the --json file if it exists")
    action = p.add_argument("--seed", type=int, help="random seed of the generator's noise")
    action.shown_default = 0
    cli.add_sampling_flags(p)
    args = p.parse_args(argv)
    cli.source_flags(args, {"--images": args.images})
    cli.refuse_inert([
        ("--raw-weights", args.raw_weights, not (args.images or args.pretrained),
         "only for a checkpoint's generator (its average or its own weights)"),
        ("--seed", args.seed is not None, not args.images,
         "the noise of a generator; --images are evaluated as they are"),
        ("--overwrite", args.overwrite, args.json, "only with --json FILE"),
        ("--rejection", args.rejection is not None, not args.images,
         "draws a generator's samples; --images are evaluated as they are"),
        ("--refine", args.refine is not None, not args.images,
         "draws a generator's samples; --images are evaluated as they are")])
    sources.check_sampling(args.rejection, args.refine)
    args.seed = 0 if args.seed is None else args.seed
    if args.num < scoring.MIN_IMAGES:
        raise UsageError(f"--num {args.num}: must be >= {scoring.MIN_IMAGES}")
    if args.json:  # checked first, so that a typo does not waste the work
        check_new_file(args.json, "--json", args.overwrite)
    if not args.images:  # the images, their features and the classifier's copy
        check_memory(args.num * 784 * 12, f"--num {args.num}", "evaluate fewer images")
    return args


def images_to_evaluate(args, meter, images=None):
    """(images, source, how they were drawn or None, default JSON path) for
    the flags given (``images``: those of --images, read already)."""
    if args.images:
        return images, f"--images {args.images}", None, None
    src = sources.load(args.output, args.checkpoint, args.pretrained,
                       not args.raw_weights)
    print(f"evaluating {src.label}", file=sys.stderr)
    images, how = sources.draw(src, args.num, args.seed, args.rejection, args.refine,
                               meter)
    if args.pretrained:
        return images, "the pretrained generator", how, None
    label = f"checkpoint {src.prefix}" + (" (raw weights)" if args.raw_weights else "")
    return images, label, how, names.evaluation(src.prefix, args.raw_weights,
                                                args.rejection, args.refine)


def main(argv=None):
    def body():
        args = parse_args(argv)
        data_dir, found = data.locate(args.data_dir)
        for split in ("test", "train") if args.floor else ("test",):
            data.check_split(data_dir, split)
        images = None
        if args.images:  # read (and checked) before anything is said
            images = scoring.check_images(image_files.load_images(args.images),
                                          args.num, f"--images {args.images}")
        if found:
            print(found, file=sys.stderr)
        meter = Meter(sys.stderr)
        images, source, how, json_path = images_to_evaluate(args, meter, images)
        results = scoring.score_images(images, data_dir, args.num, source=source,
                                       meter=meter)
        floor = scoring.real_floor(data_dir, meter=meter) if args.floor else None
        if how:
            print(how)
        print(scoring.format_table(results, floor))
        json_path = args.json or json_path
        if json_path:
            out = dict(results, source=source)
            if how:
                out["sampling"] = {"rejection_percentile": args.rejection, "drawn": how}
                if args.refine:
                    out["sampling"]["refine_steps"] = args.refine
            if floor is not None:
                out["floor"] = floor
            write_json(json_path, out)
            print(f"wrote {json_path}")
        return 0

    return cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

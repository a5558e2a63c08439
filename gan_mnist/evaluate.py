"""``python -m gan_mnist.evaluate``: measure what a generator learned.

    python -m gan_mnist.evaluate [--output RUN | --checkpoint PATH] [--num 10000]
    python -m gan_mnist.evaluate --images samples.npz [--num 10000]
    python -m gan_mnist.evaluate --pretrained

Generates ``--num`` digits (seeded) from the newest checkpoint of a run, or
reads a set of images from any source, and prints FID, MNIST score, class KL,
precision and recall against the 10000 MNIST test images (see ``metrics``),
the histogram of predicted digits, and the same figures for 10000 real
training images: the floor to read the others against (``--no-floor`` skips
it). The figures go to JSON too: beside the checkpoint
(``model-<N>.eval.json``) or at ``--json PATH``. Bad input exits with status
2 and a one-line message.
"""

import os
import sys

import numpy as np

from . import checkpoints, evaluation, sampling
from .config import DEFAULTS
from .errors import ArgumentParser, UsageError, run_command
from .evaluation import MIN_IMAGES
from .fileio import write_json
from .metrics import FIGURES

PROG = "python -m gan_mnist.evaluate"
DEFAULT_NUM = 10000

# The label and format of each figure's row in the table.
_ROWS = dict(zip(FIGURES, (
    ("FID (lower is better)", "{:.3f}"),
    ("MNIST score (1..10)", "{:.3f}"),
    ("class KL (0..2.303)", "{:.4f}"),
    ("precision (0..1)", "{:.3f}"),
    ("recall (0..1)", "{:.3f}"),
)))


def load_images(path):
    """Read images from an .npy, or an .npz (its ``images`` array, else its
    first one). Returns the array as stored; raises UsageError naming the
    file when it is missing or unreadable."""
    if not os.path.isfile(path):
        raise UsageError(f"--images {path}: no such file")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            return loaded
        with loaded:
            if not loaded.files:
                raise UsageError(f"--images {path}: the .npz holds no array")
            key = "images" if "images" in loaded.files else loaded.files[0]
            return loaded[key]
    except (OSError, ValueError, EOFError) as e:
        msg = " ".join(str(e).split())
        raise UsageError(f"--images {path}: not a readable .npy/.npz ({msg})"
                         ) from None


def format_table(results, floor=None):
    """A readable table of ``results`` (and ``floor``, a dict of the same
    keys, as a second column), one metric a line, then the digit counts."""
    title = f"{results['num_images']} images against the MNIST test set"
    head = f"{'':24}{'images':>12}"
    if floor is not None:
        title += f" (real floor: {floor['num_images']} training images)"
        head += f"{'real floor':>12}"
    lines = [title, head]
    for key in FIGURES:
        label, fmt = _ROWS[key]
        line = f"{label:24}{fmt.format(results[key]):>12}"
        if floor is not None:
            line += f"{fmt.format(floor[key]):>12}"
        lines.append(line)
    lines.append("digit counts    " + "".join(f"{d:>6}" for d in range(10)))
    lines.append("  images        " +
                 "".join(f"{c:>6}" for c in results["class_histogram"]))
    if floor is not None:
        lines.append("  real floor    " +
                     "".join(f"{c:>6}" for c in floor["class_histogram"]))
    return "\n".join(lines)


def parse_args(argv):
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    checkpoints.add_source_flags(p, "evaluate")
    p.add_argument("--images",
                   help="evaluate this set instead: .npz (key 'images' or first "
                        "array) or .npy of uint8 (N, 28, 28) / (N, 784) in "
                        "0..255, or floats in [-1, 1]")
    p.add_argument("--num", type=int, default=DEFAULT_NUM,
                   help="images to generate, or to use of --images (default "
                        f"{DEFAULT_NUM})")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the generator's noise (default 0)")
    p.add_argument("--data-dir", default=DEFAULTS["data_dir"],
                   help="folder with the MNIST IDX files")
    p.add_argument("--json", help="write the figures here (default: beside the "
                                  "checkpoint; none for --images)")
    p.add_argument("--raw-weights", action="store_true",
                   help="for a run trained with --g-average: evaluate G's own "
                        "weights, not their average (JSON: model-N.raw.eval.json)")
    p.add_argument("--no-floor", dest="floor", action="store_false",
                   help="skip the figures of 10000 real training images")
    return p.parse_args(argv)


def images_to_evaluate(args):
    """(images, source, default JSON path) for the flags given."""
    if args.images:
        return load_images(args.images), f"--images {args.images}", None
    gen, prefix = sampling.open_generator(args.output, args.checkpoint,
                                          args.pretrained, not args.raw_weights)
    print(f"generating {args.num} images from {prefix}", file=sys.stderr)
    try:
        images = sampling.generate(gen, args.num, args.seed)
    finally:
        gen.close()
    if args.pretrained:
        return images, "the pretrained generator", None
    if args.raw_weights:
        return images, f"checkpoint {prefix} (raw weights)", prefix + ".raw.eval.json"
    return images, f"checkpoint {prefix}", prefix + ".eval.json"


def main(argv=None):
    args = parse_args(argv)

    def body():
        if args.num < MIN_IMAGES:
            raise UsageError(f"--num {args.num}: must be >= {MIN_IMAGES}")
        # Checked first so that a typo does not waste the whole evaluation.
        if args.json and not os.path.isdir(
                os.path.dirname(os.path.abspath(args.json))):
            raise UsageError(f"--json {args.json}: its folder does not exist")
        images, source, json_path = images_to_evaluate(args)
        results = evaluation.evaluate_array(images, args.data_dir, args.num,
                                            source=source)
        floor = evaluation.real_floor(args.data_dir) if args.floor else None
        print(format_table(results, floor))
        json_path = args.json or json_path
        if json_path:
            out = dict(results, source=source)
            if floor is not None:
                out["floor"] = floor
            write_json(json_path, out)
            print(f"wrote {json_path}")
        return 0

    return run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

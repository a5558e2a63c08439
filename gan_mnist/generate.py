"""``python -m gan_mnist.generate``: digits from a trained generator.

A file ending in .png or .jpg gets one grid image (black 5 px gaps); a file
ending in .npz gets the images as uint8 (N, 28, 28) under the key
``images``, the format that the evaluate command's ``--images`` reads.
"""

import io
import sys

import numpy as np

from . import cli
from .cpu import check_memory
from .errors import UsageError
from .fileio import check_new_file, write_bytes
from .rundir import grid
from .sampling import sources

PROG = cli.prog("generate")
IMAGE_EXTS = (".png", ".jpg", ".jpeg")
DEFAULT_STEPS = 8


def parse_args(argv):
    p = cli.ArgumentParser(PROG, "Write digits of a trained generator as a grid "
                           "image or an .npz of images.")
    cli.add_source_flags(p, "sample from")
    p.add_argument("--num", type=int, default=64, help="images to generate")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="file to write: .png, .jpg or .npz")
    p.add_argument("--seed", type=int, default=0, help="random seed of the noise")
    p.add_argument("--interpolate", action="store_true",
                   help="rows that walk the latent space between two random points")
    action = p.add_argument("--steps", type=int, help="images per row with --interpolate")
    action.shown_default = DEFAULT_STEPS
    p.add_argument("--overwrite", action="store_true",
                   help="replace --out if it exists")
    cli.add_sampling_flags(p)
    args = cli.source_flags(p.parse_args(argv))
    cli.refuse_inert([("--steps", args.steps is not None, args.interpolate,
                       "only with --interpolate (images per row of the walk)"),
                      ("--rejection", args.rejection is not None, not args.interpolate,
                       "not with --interpolate: a walk keeps every step"),
                      ("--refine", args.refine is not None, not args.interpolate,
                       "not with --interpolate: it would bend the straight walk")])
    sources.check_sampling(args.rejection, args.refine)
    args.steps = DEFAULT_STEPS if args.steps is None else args.steps
    if args.num < 1:
        raise UsageError(f"--num {args.num}: must be at least 1")
    if args.steps < 2:
        raise UsageError(f"--steps {args.steps}: must be at least 2")
    if not args.out.lower().endswith(IMAGE_EXTS + (".npz",)):
        raise UsageError(f"--out {args.out}: end it in .png, .jpg or .npz")
    check_new_file(args.out, "--out", args.overwrite)
    if not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed {args.seed}: must be >= 0")
    # The images in float32, their uint8 copy and a grid or compressed file.
    check_memory(args.num * 784 * 10, f"--num {args.num}", "ask for fewer images")
    return args


def write(path, images, cols=None):
    """Write (n, 784) images in [-1, 1] to ``path`` as a grid or an .npz."""
    if path.lower().endswith(".npz"):
        buf = io.BytesIO()
        np.savez_compressed(buf, images=grid.to_uint8(images).reshape(-1, 28, 28))
        write_bytes(path, buf.getvalue())
    else:
        grid.save_grid(path, images, grid.grid_shape(len(images), cols))


def main(argv=None):
    def body():
        args = parse_args(argv)
        src = sources.load(args.output, args.checkpoint, args.pretrained)
        images, how = sources.draw(src, args.num, args.seed, args.rejection, args.refine,
                                   interpolate=args.interpolate, steps=args.steps)
        write(args.out, images, args.steps if args.interpolate else None)
        print(f"wrote {len(images)} images from {src.label} to {args.out}"
              + (f", {how}" if how else ""))

    cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

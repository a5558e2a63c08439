"""``python -m gan_mnist.generate``: digits from a trained generator.

A file ending in .png or .jpg gets one grid image (black 5 px gaps); a file
ending in .npz gets the images as uint8 (N, 28, 28) under the key
``images``, the format that the evaluate command's ``--images`` reads.
"""

import io
import os
import sys

import numpy as np

from . import cli
from .errors import UsageError
from .fileio import write_bytes
from .rundir import grid
from .sampling import generator, sources

PROG = cli.prog("generate")
IMAGE_EXTS = (".png", ".jpg", ".jpeg")


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
    p.add_argument("--steps", type=int, default=8,
                   help="images per row with --interpolate")
    args = p.parse_args(argv)
    if args.num < 1:
        raise UsageError(f"--num {args.num}: must be at least 1")
    if args.steps < 2:
        raise UsageError(f"--steps {args.steps}: must be at least 2")
    if not args.out.lower().endswith(IMAGE_EXTS + (".npz",)):
        raise UsageError(f"--out {args.out}: end it in .png, .jpg or .npz")
    if not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        raise UsageError(f"--out {args.out}: its folder does not exist")
    if not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed {args.seed}: must be >= 0")
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
        gen, origin = sources.open_generator(args.output, args.checkpoint,
                                             args.pretrained)
        try:
            images = generator.generate(gen, args.num, args.seed,
                                        args.interpolate, args.steps)
        finally:
            gen.close()
        write(args.out, images, args.steps if args.interpolate else None)
        print(f"wrote {len(images)} images from {origin} to {args.out}")

    cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

"""``python -m gan_mnist.generate``: digits from a trained generator.

    python -m gan_mnist.generate --output RUN --num 64 --out digits.png
    python -m gan_mnist.generate --output RUN --num 10000 --out samples.npz
    python -m gan_mnist.generate --output RUN --interpolate --out walk.png
    python -m gan_mnist.generate --pretrained --out digits.png

A file ending in .png or .jpg gets one grid image (black 5 px gaps); a file
ending in .npz gets the images as uint8 (N, 28, 28) under the key
``images``, the format ``python -m gan_mnist.evaluate --images`` reads.
"""

import argparse
import io
import math
import os
import sys

import numpy as np

from . import checkpoints, sampling
from .errors import ArgumentParser, UsageError, run_command
from .fileio import write_bytes

PROG = "python -m gan_mnist.generate"
IMAGE_EXTS = (".png", ".jpg", ".jpeg")


def parse_args(argv):
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n")[0],
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    checkpoints.add_source_flags(p, "sample from")
    p.add_argument("--num", type=int, default=64, help="images to generate")
    p.add_argument("--out", required=True, help="file to write: .png, .jpg or .npz")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise")
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


def grid_shape(n, cols=None):
    """(rows, cols) of a grid for n images: square-ish unless cols is given."""
    cols = cols or math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def write(path, images, cols=None):
    """Write (n, 784) images in [-1, 1] to ``path`` as a grid or an .npz."""
    from . import grid
    if path.lower().endswith(".npz"):
        buf = io.BytesIO()
        np.savez_compressed(buf, images=grid.to_uint8(images).reshape(-1, 28, 28))
        write_bytes(path, buf.getvalue())
    else:
        grid.save_grid(path, images, grid_shape(len(images), cols))


def main(argv=None):
    def body():
        args = parse_args(argv)
        gen, origin = sampling.open_generator(args.output, args.checkpoint,
                                              args.pretrained)
        try:
            images = sampling.generate(gen, args.num, args.seed, args.interpolate,
                                       args.steps)
        finally:
            gen.close()
        write(args.out, images, args.steps if args.interpolate else None)
        print(f"wrote {len(images)} images from {origin} to {args.out}")

    run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

"""A run's results as a Markdown table and a strip of grids, for the docs.

    python scripts/shipped/report.py --output runs/defaults --epochs 10 50 100 200 300 500 \
        --grids docs/defaults-grids.png

Reads the evaluation figures that ``--eval-every`` left in the run's
metrics.csv (``epochs`` counts epochs trained: 10 is the row of epoch 9),
adds the real-data floor (10000 MNIST training images against the test set)
and prints the table. ``--grids`` writes the fixed-noise grids of those
epochs side by side, with the number of epochs above none of them: the
caption in the docs names them, in order.
"""

import argparse
import os

import numpy as np

from gan_mnist.measure import scoring
from gan_mnist.measure.figures import FIGURES
from gan_mnist.rundir import names
from gan_mnist.rundir.metrics_csv import read_rows

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))



def table(rows, epochs, floor):
    by_epoch = {r["epoch"] + 1: r for r in rows if "fid" in r}
    lines = ["| epochs | FID | MNIST score | class KL | precision | recall |",
             "| --- | --- | --- | --- | --- | --- |"]
    for e in epochs:
        if e in by_epoch:
            r = by_epoch[e]
            lines.append(f"| {e} | " + " | ".join(f"{r[k]:.3f}" for k in FIGURES) + " |")
    lines.append("| real training images | " +
                 " | ".join(f"{floor[k]:.3f}" for k in FIGURES) + " |")
    return "\n".join(lines)


def grid_strip(folder, epochs, path):
    from skimage.io import imread

    from gan_mnist.rundir import grid
    images = [imread(os.path.join(folder, f"sample{e - 1}.jpg")) for e in epochs]
    gap = np.full((images[0].shape[0], 12), 255, np.uint8)
    parts = [images[0]]
    for img in images[1:]:
        parts += [gap, img]
    grid.save_image(path, np.concatenate(parts, axis=1))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--output", required=True, help="the run folder")
    p.add_argument("--epochs", type=int, nargs="+", required=True)
    p.add_argument("--data-dir", default=os.path.join(ROOT, "MNIST_data"))
    p.add_argument("--grids", help="write the grids of --epochs side by side here")
    args = p.parse_args(argv)
    rows = read_rows(os.path.join(args.output, names.METRICS_FILE))
    floor = scoring.real_floor(args.data_dir)
    print(table(rows, args.epochs, floor))
    if args.grids:
        grid_strip(args.output, args.epochs, args.grids)
        print("wrote", args.grids)


if __name__ == "__main__":
    main()

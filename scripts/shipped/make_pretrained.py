"""Make the generator that ships with the package.

    python scripts/shipped/make_pretrained.py --out runs/ttq/quality-s2 --seed 2

trains (or, if interrupted, resumes) ``python -m gan_mnist.train --recipe
RECIPE --seed SEED --max-epoch EPOCHS`` in OUT, evaluates its last
checkpoint on 10000 samples (noise seed 0, against the MNIST test set), and
writes

- ``gan_mnist/sampling/pretrained_generator.npz``: G's six weights as the run's
  grids use them (the moving average when the recipe keeps one), float32,
  the run's D for ``--rejection`` and ``--refine``, and an ``info`` text:
  the command, seed, epochs and the figures, plain, with ``--rejection 50``
  and with ``--rejection 50 --refine 30``;
- ``docs/pretrained-grid.png``: 8x8 digits from it (noise seed 0);
- ``docs/pretrained-sampling.png``: the same noise seed drawn plain, with
  ``--rejection 50`` and with ``--rejection 50 --refine 30``, side by side.

``python -m gan_mnist.evaluate --pretrained`` reproduces the figures.
"""

import argparse
import os
import subprocess
import sys

import numpy as np

from gan_mnist import config
from gan_mnist.rundir import checkpoints, grid
from gan_mnist.sampling import pretrained

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/pretrained", help="the run folder")
    p.add_argument("--recipe", default="quality", choices=sorted(config.RECIPES))
    p.add_argument("--seed", type=int, default=2, help="2: the shipped file's")
    p.add_argument("--max-epoch", type=int, default=100)
    p.add_argument("--npz", default=pretrained.PATH)
    p.add_argument("--grid", default=os.path.join(ROOT, "docs", "pretrained-grid.png"))
    p.add_argument("--sampling-grids", default=os.path.join(ROOT, "docs", "pretrained-sampling.png"),
                   help="plain, --rejection 50 and --rejection 50 --refine 30, side by side")
    args = p.parse_args(argv)
    command = ["python", "-m", "gan_mnist.train", "--output", args.out, "--recipe",
               args.recipe, "--seed", str(args.seed), "--max-epoch", str(args.max_epoch)]
    resume = ["--restore"] if checkpoints.latest(args.out) else []
    subprocess.run([sys.executable, *command[1:], *resume], check=True, cwd=ROOT)

    prefix = checkpoints.latest(args.out)
    from gan_mnist.measure import scoring
    from gan_mnist.sampling import rejection, sources
    src = sources.load(checkpoint=prefix)
    weights, averaged = src.weights, src.averaged
    keys = ("fid", "mnist_score", "class_kl", "precision", "recall",
            "class_entropy", "sample_entropy", "class_histogram", "num_images")
    evaluation = {}
    for label, percentile, steps in (("evaluation", None, None),
                                     ("evaluation_rejection50", 50, None),
                                     ("evaluation_rejection50_refine30", 50, 30)):
        images, how = sources.draw(src, 10000, 0, percentile, steps)
        figures = scoring.score_images(images, os.path.join(ROOT, "MNIST_data"))
        evaluation[label] = dict({k: figures[k] for k in keys},
                                 **({"drawn": how} if how else {}))
    grids = [grid.make_grid(sources.draw(src, 64, 0, percentile, steps)[0])
             for percentile, steps in ((None, None), (50, None), (50, 30))]
    grid.save_image(args.grid, grids[0])  # what generate --seed 0 writes
    gap = np.full((grids[0].shape[0], 14), 255, np.uint8)
    grid.save_image(args.sampling_grids,
                    np.concatenate([grids[0], gap, grids[1], gap, grids[2]], axis=1))
    info = {"command": " ".join(command), "recipe": args.recipe,
            "flags": config.recipe_flags(args.recipe), "seed": args.seed,
            "epochs": checkpoints.epochs_of(prefix),
            "weights": "moving average of G's weights" if averaged else "G's weights",
            **evaluation, "evaluation_noise_seed": 0}
    pretrained.save(args.npz, weights, info, rejection.from_checkpoint(prefix))
    print(f"wrote {args.npz} ({os.path.getsize(args.npz) / 1e6:.2f} MB), {args.grid} "
          f"and {args.sampling_grids}")
    for label in evaluation:
        print(label, {k: round(v, 4) if isinstance(v, float) else v
                      for k, v in info[label].items()})


if __name__ == "__main__":
    main()

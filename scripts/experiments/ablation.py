"""Ablation of the training options: the tutorial's defaults, each option of
``--recipe improved`` alone, and the recipe, trained with the same random seed and
evaluated as they go.

    python scripts/experiments/ablation.py --out runs/ablation --max-epoch 50

Each configuration trains with ``python -m gan_mnist.train`` in
``OUT/<name>`` (an interrupted ablation continues where it stopped: a run
with checkpoints is resumed with ``--restore``), evaluating every
``--eval-every`` epochs on ``--eval-num`` samples. Then it writes

- ``OUT/ablation.md``: a summary (FID of every configuration at every
  evaluated epoch, the other figures at the last), the recipe's check
  against its targets, then FID, MNIST score, class KL, precision and
  recall of every configuration at every evaluated epoch;
- ``OUT/ablation.png``: the FID and class-KL curves of all configurations;
- ``OUT/grids.png``: the fixed-noise grids of the tutorial's defaults (top) and
  the recipe (bottom) after 10, 30 and 50 epochs (``--grid-epochs``).

Only epochs up to ``--max-epoch`` enter the table and the plot, so a
configuration trained on further (the recipe's stability check, see docs/results.md) leaves them unchanged.
"""

import argparse
import os

import numpy as np
import runlib

from gan_mnist import config
from gan_mnist.fileio import atomic_path, write_text
from gan_mnist.measure.figures import FIGURES


def _single_options(recipe):
    """name -> flags of each field of ``recipe`` alone."""
    configs = {}
    for field, value in config.RECIPES[recipe].items():
        words = config.as_flag(field, value)
        configs["=".join([words[0][2:], *words[1:]])] = words
    return configs


# name -> flags; the first is the tutorial's behaviour, the last the recipe.
CONFIGS = {"defaults": [], **_single_options("improved"),
           "recipe": ["--recipe", "improved"]}


def train(name, flags, args, seed=None):
    """Train (or resume) one configuration; returns its metrics rows."""
    seed = args.seed if seed is None else seed
    folder = os.path.join(args.out, name if seed == args.seed else f"{name}-s{seed}")
    return runlib.train_run(folder, flags, seed, args.max_epoch, args.eval_every,
                            args.eval_num, args.limit)


def table(results):
    """Markdown: one row per configuration and evaluated epoch."""
    lines = ["| configuration | epochs | " + " | ".join(FIGURES) + " |",
             "| --- | --- | " + " | ".join("---" for _ in FIGURES) + " |"]
    for name, rows in results.items():
        for r in rows:
            if "fid" in r:
                lines.append(f"| {name} | {r['epoch'] + 1} | " + " | ".join(
                    f"{r[k]:.3f}" for k in FIGURES) + " |")
    return "\n".join(lines) + "\n"


def summary(results, last):
    """Markdown: one row per configuration, its FID after every evaluated
    epoch up to ``last``, then the other figures after ``last`` epochs."""
    epochs = sorted({r["epoch"] + 1 for rows in results.values() for r in rows
                     if "fid" in r and r["epoch"] < last})
    head = [f"FID {e}" for e in epochs] + [f"{k} {last}" for k in FIGURES[1:]]
    lines = ["| configuration | " + " | ".join(head) + " |",
             "| --- | " + " | ".join("---" for _ in head) + " |"]
    for name, rows in results.items():
        fids = [runlib.at(rows, e) for e in epochs]
        end = runlib.at(rows, last)
        cells = [f"{r['fid']:.1f}" if r else "" for r in fids]
        cells += [f"{end[k]:.3f}" if end else "" for k in FIGURES[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def verdict(results):
    """Markdown lines: the recipe against the targets it was chosen for
    (FID at 30 epochs at most a quarter of the defaults'; at 50 epochs an MNIST
    score of at least 8 and a class KL of at most 0.05)."""
    base30 = runlib.at(results.get("defaults", []), 30)
    rec30, rec50 = (runlib.at(results.get("recipe", []), e) for e in (30, 50))
    if not (base30 and rec30 and rec50):
        return ""
    checks = [
        (f"FID at 30 epochs: recipe {rec30['fid']:.1f} vs defaults {base30['fid']:.1f}"
         f" (ratio {rec30['fid'] / base30['fid']:.3f}, target <= 0.25)",
         rec30["fid"] <= 0.25 * base30["fid"]),
        (f"MNIST score at 50 epochs: {rec50['mnist_score']:.2f} (target >= 8)",
         rec50["mnist_score"] >= 8),
        (f"class KL at 50 epochs: {rec50['class_kl']:.3f} (target <= 0.05)",
         rec50["class_kl"] <= 0.05),
    ]
    return "\n" + "".join(f"- {'met' if ok else 'MISSED'}: {text}\n"
                           for text, ok in checks)


def plot(results, path):
    """FID, MNIST score and class KL against epochs, one line per configuration;
    the recipe drawn bold, the tutorial's defaults in black."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = (("fid", "FID (log scale; lower is better)", True),
              ("mnist_score", "MNIST score (higher is better)", False),
              ("class_kl", "class KL (log scale; lower is better)", True))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), dpi=100)
    # the single options in colours that are neither the defaults' nor the recipe's
    others = iter([c for c in plt.get_cmap("tab10").colors if c not in
                   (plt.get_cmap("tab10").colors[3], plt.get_cmap("tab10").colors[7])])
    for name, rows in results.items():
        rows = [r for r in rows if "fid" in r]
        if not rows:
            continue
        style = dict(marker="o", ms=3, label=name)
        if name == "recipe":
            style.update(lw=2.5, color="tab:red")
        elif name == "defaults":
            style.update(lw=2.5, color="black")
        else:
            style.update(color=next(others, "tab:gray"))
        for ax, (key, _, _) in zip(axes, panels):
            ax.plot([r["epoch"] + 1 for r in rows], [r[key] for r in rows], **style)
    for ax, (_, title, log) in zip(axes, panels):
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("epochs trained")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def side_by_side(folders, epochs, path):
    """Fixed-noise grids: one row per run folder, one column per number of
    epochs trained, 10 white pixels apart."""
    from skimage.io import imread

    from gan_mnist.rundir import grid
    rows = []
    for folder in folders:
        grids = [imread(os.path.join(folder, f"sample{e - 1}.jpg")) for e in epochs]
        gap = np.full((grids[0].shape[0], 10), 255, np.uint8)
        rows.append(np.concatenate(sum(([g, gap] for g in grids), [])[:-1], axis=1))
        rows.append(np.full((10, rows[-1].shape[1]), 255, np.uint8))
    grid.save_image(path, np.concatenate(rows[:-1], axis=0))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/ablation")
    p.add_argument("--max-epoch", type=int, default=50)
    p.add_argument("--eval-every", type=int, default=10)
    p.add_argument("--eval-num", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, help="training images (quick trials)")
    p.add_argument("--only", nargs="*", help="configurations to run (default: all)")
    p.add_argument("--grid-epochs", type=int, nargs="*", default=[10, 30, 50],
                   help="epochs of the grids in grids.png (default: 10 30 50)")
    args = p.parse_args(argv)
    names = args.only or list(CONFIGS)
    unknown = set(names) - set(CONFIGS)
    if unknown:
        p.error(f"--only {' '.join(sorted(unknown))}: not one of {', '.join(CONFIGS)}")
    os.makedirs(args.out, exist_ok=True)
    results = {n: train(n, CONFIGS[n], args) for n in names}
    report = (summary(results, args.max_epoch) + verdict(results) +
              "\nEvery evaluation:\n\n" + table(results))
    write_text(os.path.join(args.out, "ablation.md"), report)
    plot(results, os.path.join(args.out, "ablation.png"))
    if "defaults" in names and "recipe" in names:
        side_by_side([os.path.join(args.out, n) for n in ("defaults", "recipe")],
                     [e for e in args.grid_epochs if e <= args.max_epoch],
                     os.path.join(args.out, "grids.png"))
    print(report)


if __name__ == "__main__":
    main()

"""Pictures of a run, drawn from its files: the loss curves and the grids' GIF.

- ``losses.png``: d_loss and g_loss, D(x) and D(G(z)), and the evaluation
  figures when the run has them, over the epochs;
- ``progress.gif``: the fixed-noise grids ``sample<E>.jpg`` over the epochs
  (at most ``MAX_FRAMES``, evenly spaced, always with the newest).

Training calls ``refresh`` as it goes; the views command calls it for any
run folder.
"""

import os

import numpy as np

from ..errors import UsageError
from ..fileio import atomic_path, write_bytes
from ..measure.figures import FIGURES
from . import names
from .metrics_csv import read_rows

MAX_FRAMES = 100


def plot_losses(rows, path):
    """Draw metrics rows (dicts from metrics.csv) to ``path`` (a PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    evals = [k for k in FIGURES if any(k in r for r in rows)]
    panels = 2 + (2 if evals else 0)
    fig, axes = plt.subplots(1, panels, figsize=(4.5 * panels, 3.6), dpi=100)

    def curves(ax, keys, title, log=False):
        for key, label in keys:
            pts = [(r["epoch"], r[key]) for r in rows if key in r]
            if pts:
                ax.plot(*zip(*pts), marker="o" if len(pts) < len(rows) else None,
                        ms=3, label=label)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend(fontsize=8)

    curves(axes[0], [("d_loss", "d_loss"), ("g_loss", "g_loss")],
           "losses (epoch means)")
    curves(axes[1], [("d_real", "D(x)"), ("d_fake", "D(G(z))")],
           "discriminator outputs")
    axes[1].set_ylim(0, 1)
    if evals:
        curves(axes[2], [("fid", "FID")], "FID (log scale, lower is better)", log=True)
        curves(axes[3], [("mnist_score", "MNIST score"), ("class_kl", "class KL"),
                         ("precision", "precision"), ("recall", "recall")],
               "evaluation")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def sample_frames(folder, max_frames=MAX_FRAMES):
    """Paths of ``sample<E>.jpg`` in epoch order: at most ``max_frames``,
    evenly spaced, first and newest included."""
    found = sorted((int(m.group(1)), n) for n in os.listdir(folder)
                   for m in [names.SAMPLE_GRID.match(n)] if m)
    if len(found) > max_frames:
        idx = np.unique(np.linspace(0, len(found) - 1, max_frames).round().astype(int))
        found = [found[i] for i in idx]
    return [os.path.join(folder, n) for _, n in found]


def read_image(path):
    """A grid image as a uint8 array; UsageError naming a damaged file."""
    import imageio.v3 as iio
    try:
        return iio.imread(path)
    except Exception as e:  # imageio raises many kinds for a damaged file
        raise UsageError(f"{path}: not a readable image ({type(e).__name__}); "
                         "delete it and the pictures are drawn without it") from None


def write_gif(frames, path, seconds_per_frame=0.1):
    """Animate image files ``frames`` into ``path`` (the last frame held 2 s)."""
    images = [read_image(f) for f in frames]
    for f, image in zip(frames, images):
        if image.shape != images[-1].shape:  # the newest grid sets the size
            raise UsageError(
                f"{f}: an image of {image.shape[1]}x{image.shape[0]}, not "
                f"{images[-1].shape[1]}x{images[-1].shape[0]} like the run's newest "
                "grid; move it out of the run folder")
    durations = [seconds_per_frame * 1000] * len(images)
    durations[-1] = 2000
    import imageio.v3 as iio
    data = iio.imwrite("<bytes>", np.stack(images), extension=".gif",
                       duration=durations if len(images) > 1 else 2000, loop=0)
    write_bytes(path, data)


def refresh(folder):
    """Rebuild losses.png and progress.gif of the run in ``folder`` from its
    metrics.csv and sample grids; returns the paths written."""
    written = []
    rows = read_rows(os.path.join(folder, names.METRICS_FILE))
    if rows:
        plot_losses(rows, os.path.join(folder, names.LOSSES_FILE))
        written.append(os.path.join(folder, names.LOSSES_FILE))
    frames = sample_frames(folder)
    if frames:
        write_gif(frames, os.path.join(folder, names.GIF_FILE))
        written.append(os.path.join(folder, names.GIF_FILE))
    return written

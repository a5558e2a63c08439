"""Pictures of a run: TensorBoard events, the loss curves and the grids' GIF.

    python -m gan_mnist.views --output RUN     # rebuild losses.png, progress.gif

During training ``train.py`` calls ``EventLog`` every epoch and
``refresh(folder)`` after it, so the pictures follow the run:

- ``logs/``: TensorBoard event files with the scalars of metrics.csv and the
  fixed-noise grid (``tensorboard --logdir output/logs``);
- ``losses.png``: d_loss and g_loss, D(x) and D(G(z)), and the evaluation
  figures when the run has them, over the epochs;
- ``progress.gif``: the fixed-noise grids ``sample<E>.jpg`` over the epochs
  (at most ``MAX_FRAMES``, evenly spaced, always with the newest).
"""

import os
import re
import socket
import sys
import time

import numpy as np

from . import rundir
from .errors import ArgumentParser, UsageError, exit_with
from .fileio import atomic_path, write_bytes
from .metrics_csv import read_rows

LOSSES_FILE = "losses.png"
GIF_FILE = "progress.gif"

MAX_FRAMES = 100
EVAL_KEYS = ("fid", "mnist_score", "class_kl", "precision", "recall")


class EventLog:
    """Append-only TensorBoard event file in ``folder/logs``.

    Each instance writes its own file, as TensorBoard expects of each process.
    ``start_step`` marks a resume: TensorBoard then drops the events that an
    earlier, interrupted process wrote for that step and later ones, so the
    curves show each epoch once.
    """

    def __init__(self, folder, start_step=0):
        from ._tf import tf
        from tensorflow.core.util import event_pb2
        self._event_pb2 = event_pb2
        logdir = os.path.join(folder, rundir.LOGS_DIR)
        os.makedirs(logdir, exist_ok=True)
        name = f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}"
        self._writer = tf.io.TFRecordWriter(os.path.join(logdir, name))
        self._write(event_pb2.Event(file_version="brain.Event:2"))
        if start_step:
            self._write(event_pb2.Event(
                step=start_step,
                session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)))
        self.flush()

    def _write(self, event):
        event.wall_time = time.time()
        self._writer.write(event.SerializeToString())

    def scalars(self, step, values):
        """Log {tag: float} at ``step``."""
        from tensorflow.core.framework import summary_pb2
        summary = summary_pb2.Summary(value=[
            summary_pb2.Summary.Value(tag=k, simple_value=float(v))
            for k, v in values.items()])
        self._write(self._event_pb2.Event(step=step, summary=summary))

    def image(self, step, tag, pixels):
        """Log a uint8 grayscale image (h, w) at ``step``."""
        from tensorflow.core.framework import summary_pb2
        img = summary_pb2.Summary.Image(
            height=pixels.shape[0], width=pixels.shape[1], colorspace=1,
            encoded_image_string=encode_png(pixels))
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=img)])
        self._write(self._event_pb2.Event(step=step, summary=summary))

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def encode_png(pixels):
    import imageio.v3 as iio
    return iio.imwrite("<bytes>", pixels, extension=".png")


def plot_losses(rows, path):
    """Draw metrics rows (dicts from metrics.csv) to ``path`` (a PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    evals = [k for k in EVAL_KEYS if any(k in r for r in rows)]
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
                   for m in [re.match(r"sample(\d+)\.jpg$", n)] if m)
    if len(found) > max_frames:
        idx = np.unique(np.linspace(0, len(found) - 1, max_frames).round().astype(int))
        found = [found[i] for i in idx]
    return [os.path.join(folder, n) for _, n in found]


def write_gif(frames, path, seconds_per_frame=0.1):
    """Animate image files ``frames`` into ``path`` (the last frame held 2 s)."""
    import imageio.v3 as iio
    images = [iio.imread(f) for f in frames]
    durations = [seconds_per_frame * 1000] * len(images)
    durations[-1] = 2000
    data = iio.imwrite("<bytes>", np.stack(images), extension=".gif",
                       duration=durations if len(images) > 1 else 2000, loop=0)
    write_bytes(path, data)


def refresh(folder):
    """Rebuild losses.png and progress.gif of the run in ``folder`` from its
    metrics.csv and sample grids; returns the paths written."""
    written = []
    rows = read_rows(os.path.join(folder, rundir.METRICS_FILE))
    if rows:
        plot_losses(rows, os.path.join(folder, LOSSES_FILE))
        written.append(os.path.join(folder, LOSSES_FILE))
    frames = sample_frames(folder)
    if frames:
        write_gif(frames, os.path.join(folder, GIF_FILE))
        written.append(os.path.join(folder, GIF_FILE))
    return written


def main(argv=None):
    p = ArgumentParser(prog="python -m gan_mnist.views",
                                description="Rebuild losses.png and progress.gif of a run.")
    p.add_argument("--output", default="output", help="the run folder")
    args = p.parse_args(argv)
    try:
        if not os.path.isdir(args.output):
            raise UsageError(f"--output {args.output}: no such folder")
        written = refresh(args.output)
        if not written:
            raise UsageError(f"--output {args.output}: no metrics.csv and no "
                             "sample grids to draw")
    except UsageError as e:
        exit_with(e, "python -m gan_mnist.views")
    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    sys.exit(main())

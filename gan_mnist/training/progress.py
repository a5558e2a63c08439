"""What training prints: a progress line within an epoch, one line per epoch.

On a terminal the progress line is redrawn in place; in a log file a line is
printed at most every ``every`` seconds, so a log stays readable. Both show
the time left for the epoch and for the run.
"""

import sys
import time

import numpy as np

from ..meter import duration


def logger(out):
    """A function printing one line to ``out`` at once."""
    return lambda msg: print(msg, file=out, flush=True)


class Progress:
    """Progress within an epoch, with time left for the epoch and the run."""

    def __init__(self, out=None, every=30.0):
        self.out, self.every = sys.stdout if out is None else out, every
        self.tty = hasattr(self.out, "isatty") and self.out.isatty()
        self.last = time.time()
        self.epoch_seconds = []

    def step(self, epoch, j, iters, started, epochs_left):
        """After step ``j`` (1..iters) of ``epoch``, begun at ``started``."""
        now = time.time()
        if not self.tty and now - self.last < self.every:
            return
        if self.tty and j % 20:
            return
        self.last = now
        rate = j / max(now - started, 1e-9)
        epoch_left = (iters - j) / max(rate, 1e-9)
        run_left = epoch_left + self.per_epoch(iters / max(rate, 1e-9)) * epochs_left
        line = (f"epoch {epoch} iter {j}/{iters}  {rate:.1f} it/s  epoch left "
                f"{duration(epoch_left)}  run left {duration(run_left)}")
        if self.tty:
            self.out.write("\r" + line + "\033[K")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def per_epoch(self, guess):
        """Seconds an epoch takes: the mean of the last five, else ``guess``."""
        return np.mean(self.epoch_seconds[-5:]) if self.epoch_seconds else guess

    def epoch_done(self, seconds):
        self.epoch_seconds.append(seconds)
        if self.tty:
            self.out.write("\r\033[K")

    def epoch_line(self, row, epochs_left):
        """The log line of a finished epoch (a metrics.csv row), and a second
        line of evaluation figures when the row has them."""
        left = self.per_epoch(row["seconds"]) * epochs_left
        line = (f"epoch {row['epoch']}  d_loss {row['d_loss']:.4f}  g_loss "
                f"{row['g_loss']:.4f}  D(x) {row['d_real']:.3f}  D(G(z)) "
                f"{row['d_fake']:.3f}  {row['seconds']:.1f}s  left {duration(left)}")
        if "fid" in row:
            line += (f"\n  eval: FID {row['fid']:.2f}  MNIST score "
                     f"{row['mnist_score']:.2f}  class KL {row['class_kl']:.3f}  "
                     f"precision {row['precision']:.3f}  recall {row['recall']:.3f}")
        return line

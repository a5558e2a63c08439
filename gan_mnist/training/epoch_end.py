"""What each epoch leaves in the run folder, in the order that makes a kill
at any moment harmless: the two grids, metrics.csv, the TensorBoard events,
the pictures, then the checkpoint ``model-<epochs done>``, last (once it
exists, all of its epoch's files do). Every file is written whole or not at
all, so a resume simply writes a later, unfinished epoch's files again.
"""

import io
import os
import time

import numpy as np

from .. import streams
from ..config import GRID_SIZE
from ..fileio import write_bytes
from ..measure.figures import FIGURES, TERMS
from ..measure.scoring import score_images
from ..rundir import grid, names, pictures
from ..rundir.metrics_csv import write_rows

VIEWS_EVERY = 60.0   # seconds between redraws of losses.png and progress.gif
EVAL_BATCH = 1000    # generated images per run call in an evaluation


class EpochEnd:
    """Writes the end-of-epoch files of one run. ``z_fixed``: the (64, Z)
    noise of its ``sample<E>.jpg`` grids; ``events``: its EventLog."""

    def __init__(self, sess, tg, hp, z_fixed, events, log):
        self.sess, self.tg, self.hp = sess, tg, hp
        self.z_fixed, self.events, self.log = z_fixed, events, log
        self.views_drawn = 0.0

    def __call__(self, rows, last):
        """After the epoch of ``rows[-1]``; ``last``: the run stops after it
        (the pictures are then drawn whatever the time since the last)."""
        sess, tg, hp = self.sess, self.tg, self.hp
        folder, epoch = hp.output, rows[-1]["epoch"]
        x = sess.run(tg.x_sample, {tg.z_sample: self.z_fixed})
        fixed_grid = grid.save_grid(os.path.join(folder, names.sample_grid(epoch)), x)
        x = sess.run(tg.x_sample, {tg.z_sample: random_noise(hp, epoch)})
        grid.save_grid(os.path.join(folder, names.random_grid(epoch)), x)
        write_rows(os.path.join(folder, names.METRICS_FILE), rows)
        self.events.scalars(epoch, {k: v for k, v in rows[-1].items() if k != "epoch"})
        self.events.image(epoch, "samples (fixed noise)", fixed_grid)
        self.events.flush()
        if last or time.time() - self.views_drawn > VIEWS_EVERY:
            self.views_drawn = time.time()
            try:
                pictures.refresh(folder)
            except Exception as e:  # a picture is not worth the run
                self.log(f"could not redraw {names.LOSSES_FILE}/{names.GIF_FILE}: "
                         f"{type(e).__name__}: {e}")
        sess.run(tg.set_global_step, {tg.epoch: epoch + 1})
        tg.saver.save(sess, os.path.join(folder, names.CHECKPOINT_PREFIX),
                      global_step=epoch + 1)


def fixed_noise(hp, folder, reuse):
    """The (64, Z) noise behind every ``sample<epoch>.jpg`` of the run.

    Drawn once from the random seed and saved as fixed_noise.npy, so grids
    stay comparable across a resume; on restore the saved noise is used (a
    run of the tutorial's script has none, and gets new noise).
    """
    path = os.path.join(folder, names.FIXED_NOISE_FILE)
    shape = (GRID_SIZE[0] * GRID_SIZE[1], hp.z_size)
    if reuse and os.path.exists(path):
        try:
            z = np.load(path)
            if z.shape == shape and z.dtype == np.float32:
                return z
        except (OSError, ValueError):
            pass
    z = streams.noise(shape[0], hp.z_size, [hp.seed, streams.FIXED_NOISE])
    buf = io.BytesIO()
    np.save(buf, z)
    write_bytes(path, buf.getvalue())
    return z


def random_noise(hp, epoch):
    """(64, Z) fresh noise for ``random_sample<epoch>.jpg``, from (seed, epoch)."""
    n = GRID_SIZE[0] * GRID_SIZE[1]
    return streams.noise(n, hp.z_size, [hp.seed, streams.RANDOM_SAMPLE, epoch])


def evaluate_now(sess, tg, hp):
    """Evaluation figures of the current generator on ``hp.eval_num``
    samples from noise fixed for the run (so epochs compare fairly)."""
    z = streams.noise(hp.eval_num, hp.z_size, [hp.seed, streams.EVAL])
    x = np.concatenate([sess.run(tg.x_sample, {tg.z_sample: z[i:i + EVAL_BATCH]})
                        for i in range(0, len(z), EVAL_BATCH)])
    result = score_images(x, hp.data_dir)
    return {k: float(result[k]) for k in FIGURES + TERMS}

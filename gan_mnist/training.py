"""The training run: from a checked ``preflight.Plan`` to a folder of grids,
metrics and checkpoints.

    train(plan)
      build the graph (train_graph)          -> TrainGraph
      check the checkpoint, or clear the folder; save config.json
      start_session: load the data, restore or initialise the variables
      for each epoch: run_epoch, then finish_epoch

Each epoch ends in this order, each file written whole or not at all:
grids, metrics.csv, the pictures, then the checkpoint. A run killed at any
moment therefore resumes from its newest checkpoint, and the rows or grids
of a later, unfinished epoch are simply written again.
"""

import io
import os
import shlex
import sys
import time

import numpy as np

from . import checkpoints, config, grid, pictures, rundir, streams
from ._tf import session, tf, v1
from .config import GRID_SIZE
from .evaluation import evaluate_array
from .events import EventLog
from .fileio import write_bytes
from .interrupt import EXIT_DIVERGED, EXIT_SIGNAL, SignalFlag, Stopped
from .metrics import FIGURES
from .metrics_csv import read_rows, write_rows
from .progress import Progress, logger
from .train_graph import build_train_graph, global_iteration

PROG = "python -m gan_mnist.train"
VIEWS_EVERY = 60.0   # seconds between redraws of losses.png and progress.gif
EVAL_BATCH = 1000    # generated images per run call in an evaluation


def train(plan, out=sys.stdout, stop_after=None):
    """Carry out ``plan``: train from its start to ``hp.max_epoch`` epochs,
    or to ``stop_after`` when that is fewer (the schedule still spans
    ``hp.max_epoch``); returns the number of epochs done.

    Raises UsageError when the checkpoint does not fit the flags (before
    anything on disk changes), and ``Stopped`` when a signal or a non-finite
    loss ends the run early.
    """
    hp, folder, log = plan.hp, plan.hp.output, logger(out)
    if tf.config.list_physical_devices("GPU"):
        # Some GPU kernels are not deterministic without it; exact resume
        # needs them to be. On the CPU it changes nothing.
        tf.config.experimental.enable_op_determinism()
    tg = build_train_graph(hp, len(plan.images))
    new_average = False
    if plan.resume:
        checkpoints.check_intact(plan.checkpoint, folder)
        saved = [(v.op.name, v.shape.as_list()) for v in
                 tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)]
        # --g-average on a run trained without it: the average starts here.
        new_average = bool(checkpoints.check_variables(
            plan.checkpoint, hp, saved, optional={s.op.name for s in tg.g_average}))
        rows = read_rows(os.path.join(folder, rundir.METRICS_FILE))
        # From here on files change: every check has passed.
        removed = rundir.clear_leftovers(folder)
        if removed:
            log(f"removed {removed} temporary files of writes cut short")
    else:
        rows = []
        removed = rundir.clear(folder)
        if removed:
            log(f"removed {removed} files of an earlier run from {folder}")
    config.save(hp, folder)

    with tg.graph.as_default(), session(tg.graph, session_config(hp)) as sess:
        start = start_session(sess, tg, plan, new_average, log)
        z_fixed = fixed_noise(hp, folder, reuse=plan.resume)
        rows = [r for r in rows if r["epoch"] < start]
        end = min(hp.max_epoch, stop_after or hp.max_epoch)
        if start >= end:
            flag = (f"--stop-after {stop_after}" if end < hp.max_epoch
                    else f"--max-epoch {hp.max_epoch}")
            log(f"{start} epochs done already ({flag}); pass a larger "
                f"{flag.split()[0]} to train on")
            return start
        progress = Progress(out)
        events = EventLog(folder, start_step=start)
        views_drawn = 0.0
        try:
            with SignalFlag() as stop:
                for epoch in range(start, end):
                    rows.append(run_epoch(sess, tg, hp, epoch, stop, progress, end))
                    redraw = (time.time() - views_drawn > VIEWS_EVERY
                              or epoch + 1 == end)
                    if redraw:
                        views_drawn = time.time()
                    finish_epoch(sess, tg, hp, rows, z_fixed, events, redraw, log)
                    log(progress.epoch_line(rows[-1], end - epoch - 1))
        finally:
            events.close()
    if end < hp.max_epoch:
        log(f"stopped after {end} of {hp.max_epoch} epochs (--stop-after); "
            f"go on with: {PROG} --output {shlex.quote(folder)} --restore")
    return end


def session_config(hp):
    """Session options: with --precision bfloat16, TensorFlow's oneDNN
    mixed-precision rewrite, which runs the matmuls and their neighbours in
    bfloat16 and keeps variables, Adam and checkpoints in float32."""
    cfg = v1.ConfigProto()
    if hp.precision == "bfloat16":
        rewrite = cfg.graph_options.rewrite_options
        rewrite.auto_mixed_precision_onednn_bfloat16 = type(rewrite).ON
    return cfg


def start_session(sess, tg, plan, new_average, log):
    """Load the training set into the graph, then restore the variables
    from the plan's checkpoint or initialise them; returns the epochs done."""
    sess.run(tg.data_init, {tg.images: plan.images,
                            tg.order: np.arange(len(plan.images), dtype=np.int32)})
    if not plan.resume:
        sess.run(tg.init)
        return 0
    if new_average:
        averages = {s.op.name for s in tg.g_average}
        v1.train.Saver([v for v in tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
                        if v.op.name not in averages]).restore(sess, plan.checkpoint)
        sess.run(tg.reset_average)
        log(f"{plan.checkpoint} has no average of G's weights; it starts from the weights")
    else:
        tg.saver.restore(sess, plan.checkpoint)
    # The Saver keeps deleting the oldest beyond max_to_keep across a resume.
    tg.saver.recover_last_checkpoints(
        [p for _, p in checkpoints.complete(plan.hp.output)])
    log(f"restored {plan.checkpoint}")
    return int(sess.run(tg.global_step))


def run_epoch(sess, tg, hp, epoch, stop, progress, end=None):
    """Train one epoch; returns its metrics.csv row (means over its steps,
    seconds taken, and the evaluation figures when one is due). ``end``: the
    epochs the run stops at this time (for the time left; default
    ``hp.max_epoch``).

    Steps run ``tg.steps_per_run`` at a time, the last few of an epoch one by
    one; a signal is noticed between two run calls.
    """
    order = streams.epoch_order(hp.seed, hp.shuffle, epoch, tg.num_train)
    sess.run(tg.set_order, {tg.order: order})
    iters = tg.iters_per_epoch
    sums = np.zeros(4)
    started = time.time()
    j = 0
    while j < iters:
        if stop.signum is not None:
            held = (f"{hp.output} holds {epoch} finished epochs; resume with: "
                    f"{PROG} --output {shlex.quote(hp.output)} --restore" if epoch
                    else "no epoch finished, so there is nothing to resume: "
                    "run the same command again to start")
            raise Stopped(f"stopped by {stop.name()} in epoch {epoch} at "
                          f"iteration {j}/{iters}; {held}", EXIT_SIGNAL[stop.signum])
        feed = {tg.iteration: global_iteration(tg, epoch, j)}
        if j + tg.steps_per_run <= iters:
            values = sess.run([tg.train_steps, tg.step_losses], feed)[1]
        else:
            values = [sess.run([tg.train_op, tg.d_loss, tg.g_loss, tg.d_real,
                                tg.d_fake], feed)[1:]]
        for row in values:  # d_loss, g_loss, D(x), D(G(z)) of one step
            if not np.all(np.isfinite(row)):
                raise Stopped(
                    f"epoch {epoch} iteration {j}: d_loss {row[0]}, "
                    f"g_loss {row[1]}: training diverged; "
                    + (f"{hp.output}/model-{epoch}, the newest checkpoint, "
                       "is the last good one" if epoch else "no epoch finished")
                    + "; try a lower --learning-rate", EXIT_DIVERGED)
            sums += row
            j += 1
        progress.step(epoch, j, iters, started, (end or hp.max_epoch) - epoch - 1)
    seconds = time.time() - started
    progress.epoch_done(seconds)
    d_loss, g_loss, d_real, d_fake = sums / iters
    row = dict(epoch=epoch, d_loss=d_loss, g_loss=g_loss, d_real=d_real,
               d_fake=d_fake, seconds=seconds)
    if hp.eval_every and (epoch + 1) % hp.eval_every == 0:
        row.update(evaluate_now(sess, tg, hp))
    return row


def finish_epoch(sess, tg, hp, rows, z_fixed, events, redraw, log):
    """After the epoch of ``rows[-1]``: its two grids, metrics.csv, the
    TensorBoard events, the pictures (when ``redraw``), then the checkpoint
    ``model-<epochs done>``, last: once it exists, all of the epoch's files
    do."""
    folder, epoch = hp.output, rows[-1]["epoch"]
    x = sess.run(tg.x_sample, {tg.z_sample: z_fixed})
    fixed_grid = grid.save_grid(os.path.join(folder, f"sample{epoch}.jpg"), x)
    x = sess.run(tg.x_sample, {tg.z_sample: random_noise(hp, epoch)})
    grid.save_grid(os.path.join(folder, f"random_sample{epoch}.jpg"), x)
    write_rows(os.path.join(folder, rundir.METRICS_FILE), rows)
    events.scalars(epoch, {k: v for k, v in rows[-1].items() if k != "epoch"})
    events.image(epoch, "samples (fixed noise)", fixed_grid)
    events.flush()
    if redraw:
        try:
            pictures.refresh(folder)
        except Exception as e:  # a picture is not worth the run
            log(f"could not redraw {pictures.LOSSES_FILE}/{pictures.GIF_FILE}: "
                f"{type(e).__name__}: {e}")
    sess.run(tg.set_global_step, {tg.epoch: epoch + 1})
    tg.saver.save(sess, os.path.join(folder, rundir.CHECKPOINT_PREFIX),
                  global_step=epoch + 1)


def fixed_noise(hp, folder, reuse):
    """The (64, Z) noise behind every ``sample<epoch>.jpg`` of the run.

    Drawn once from the seed and saved as fixed_noise.npy, so grids stay
    comparable across a resume; on restore the saved noise is used (a run of
    the seed script has none, and gets new noise).
    """
    path = os.path.join(folder, rundir.FIXED_NOISE_FILE)
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
    result = evaluate_array(x, hp.data_dir)
    return {k: float(result[k]) for k in FIGURES}

"""The training run: from a checked ``preflight.Plan`` to a folder of grids,
metrics and checkpoints.

    train(plan)
      build the graph (graph.train_graph)     -> TrainGraph
      check the checkpoint, or clear the folder; save config.json
      start_session: load the data, restore or initialise the variables
      for each epoch: run_epoch, then EpochEnd (epoch_end)

A run killed at any moment resumes from its newest checkpoint (see
``epoch_end`` for the order of the files).
"""

import os
import sys
import time

import numpy as np

from .. import streams
from .._tf import session, tf, v1
from ..graph.train_graph import build_train_graph, global_iteration
from ..rundir import checkpoints, config_json, history, names, survey
from ..rundir.events import EventLog
from ..rundir.metrics_csv import read_rows
from .epoch_end import EpochEnd, evaluate_now, fixed_noise
from .interrupt import EXIT_DIVERGED, EXIT_SIGNAL, SignalFlag, Stopped, resume_command
from .progress import Progress, logger

# Variables a checkpoint may lack: an average or spectral normalisation's
# vectors of an option switched on at a resume.
AVERAGE_SUFFIX = checkpoints.AVERAGE_SUFFIX
OPTIONAL = (AVERAGE_SUFFIX, "/sn_u")


def train(plan, out=None, stop_after=None):
    """Carry out ``plan``: train from its start to ``hp.max_epoch`` epochs,
    or to ``stop_after`` when that is fewer (the schedule still spans
    ``hp.max_epoch``); returns the number of epochs done.

    Raises UsageError when the checkpoint does not fit the flags (before
    anything on disk changes), and ``Stopped`` when a signal or a non-finite
    loss ends the run early.
    """
    out = sys.stdout if out is None else out
    hp, folder, log = plan.hp, plan.hp.output, logger(out)
    as_given = hp  # config.json keeps the data folder as given, not where found
    hp = hp._replace(data_dir=plan.data_dir)
    end = min(hp.max_epoch, stop_after or hp.max_epoch)
    done = checkpoints.epochs_of(plan.checkpoint) if plan.resume else 0
    if tf.config.list_physical_devices("GPU"):
        # Some GPU kernels are not deterministic without it; exact resume
        # needs them to be. On the CPU it changes nothing.
        tf.config.experimental.enable_op_determinism()
    tg = build_train_graph(hp, len(plan.images))
    missing = []
    if plan.resume:
        checkpoints.check_intact(plan.checkpoint, folder)
        saved = [(v.op.name, v.shape.as_list()) for v in
                 tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)]
        # --g-average or --spectral-norm switched on for a run trained
        # without: the average starts from the weights, the vectors afresh.
        missing = checkpoints.check_variables(
            plan.checkpoint, hp, saved, optional={name for name, _ in saved
                                                  if name.endswith(OPTIONAL)})
        if done >= end:  # nothing to train: nothing in the folder changes
            flag = (f"--stop-after {stop_after}" if end < hp.max_epoch
                    else f"--max-epoch {hp.max_epoch}")
            log(f"{done} epochs done already ({flag}); pass a larger "
                f"{flag.split()[0]} to train on")
            return done
        rows = read_rows(os.path.join(folder, names.METRICS_FILE))
        # From here on files change: every check has passed.
        if plan.set_aside:
            aside = history.set_aside(folder, done)
            log(f"epochs {done + 1}..{plan.set_aside[-1]} set aside in "
                f"{os.path.join(folder, aside)} (--branch)")
        removed = survey.clear_leftovers(folder)
        if removed:
            log(f"removed {removed} temporary files of writes cut short")
    else:
        rows = []
        removed = survey.clear(folder)
        if removed:
            log(f"removed {removed} files of an earlier run from {folder}")
    config_json.save(as_given, folder)

    with tg.graph.as_default(), session(tg.graph, session_config(hp)) as sess:
        start = start_session(sess, tg, plan, missing, log)
        z_fixed = fixed_noise(hp, folder, reuse=plan.resume)
        rows = [r for r in rows if r["epoch"] < start]
        progress = Progress(out)
        events = EventLog(folder, start_step=start)
        finish = EpochEnd(sess, tg, hp, z_fixed, events, log)
        try:
            with SignalFlag() as stop:
                for epoch in range(start, end):
                    rows.append(run_epoch(sess, tg, hp, epoch, stop, progress, end))
                    finish(rows, last=epoch + 1 == end)
                    log(progress.epoch_line(rows[-1], end - epoch - 1))
        finally:
            events.close()
    if end < hp.max_epoch:
        log(f"stopped after {end} of {hp.max_epoch} epochs (--stop-after); "
            f"go on with: {resume_command(folder)}")
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


def start_session(sess, tg, plan, missing, log):
    """Load the training set into the graph, then restore the variables
    from the plan's checkpoint (but the optional ones it lacks, ``missing``)
    or initialise them; returns the epochs done."""
    sess.run(tg.data_init, {tg.images: plan.images,
                            tg.order: np.arange(len(plan.images), dtype=np.int32)})
    if not plan.resume:
        sess.run(tg.init)
        return 0
    if missing:
        sess.run(tg.init)  # what the checkpoint lacks starts as a new run's would
        v1.train.Saver([v for v in tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
                        if v.op.name not in missing]).restore(sess, plan.checkpoint)
        if any(name.endswith(AVERAGE_SUFFIX) for name in missing):
            sess.run(tg.reset_average)
            log(f"{plan.checkpoint} has no average of G's weights; it starts "
                "from the weights")
    else:
        tg.saver.restore(sess, plan.checkpoint)
    # The Saver keeps deleting the oldest beyond max_to_keep across a resume.
    tg.saver.recover_last_checkpoints(
        [p for _, p in checkpoints.complete(plan.hp.output)])
    log(f"restored {plan.checkpoint}")
    return int(sess.run(tg.global_step))


def _stopped_by_signal(stop, hp, epoch, j, iters):
    held = (f"{hp.output} holds {epoch} finished epochs; resume with: "
            f"{resume_command(hp.output)}" if epoch
            else "no epoch finished, so there is nothing to resume: "
            "run the same command again to start")
    return Stopped(f"stopped by {stop.name()} in epoch {epoch} at iteration "
                   f"{j}/{iters}; {held}", EXIT_SIGNAL[stop.signum])


def _diverged(hp, epoch, j, row):
    return Stopped(
        f"epoch {epoch} iteration {j}: d_loss {row[0]}, g_loss {row[1]}: "
        "training diverged; "
        + (f"{hp.output}/{names.checkpoint(epoch)}, the newest checkpoint, "
           "is the last good one" if epoch else "no epoch finished")
        + "; try a lower --learning-rate", EXIT_DIVERGED)


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
            raise _stopped_by_signal(stop, hp, epoch, j, iters)
        feed = {tg.iteration: global_iteration(tg, epoch, j)}
        if j + tg.steps_per_run <= iters:
            values = sess.run([tg.train_steps, tg.step_losses], feed)[1]
        else:
            values = [sess.run([tg.train_op, tg.d_loss, tg.g_loss, tg.d_real,
                                tg.d_fake], feed)[1:]]
        for row in values:  # d_loss, g_loss, D(x), D(G(z)) of one step
            if not np.all(np.isfinite(row)):
                raise _diverged(hp, epoch, j, row)
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

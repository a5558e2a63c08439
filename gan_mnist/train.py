"""Train the GAN: ``python -m gan_mnist.train [flags]``.

With no flags this is the seed script's run: 500 epochs at batch 256 over the
MNIST training set in file order, a grid of the fixed noise
(``output/sample<epoch>.jpg``) and one of fresh noise
(``output/random_sample<epoch>.jpg``) after every epoch, then a checkpoint
``output/model-<epochs done>``. ``--restore`` continues from the newest
checkpoint.

Each epoch ends in this order, each file written whole or not at all:
grids, metrics.csv, checkpoint. A run killed at any moment therefore resumes
from its newest checkpoint, and the rows or grids of a later, unfinished
epoch are simply written again.
"""

import argparse
import io
import os
import secrets
import signal
import sys
import time

import numpy as np

from . import config, rundir
from .config import DEFAULTS, GRID_SIZE, HParams
from .errors import ArgumentParser, UsageError, exit_with
from .fileio import write_bytes
from .metrics_csv import read_rows, write_rows
from .sampling import noise

PROG = "python -m gan_mnist.train"
FIXED_NOISE_STREAM = 6    # numpy streams, apart from the graph's (model.py)
RANDOM_SAMPLE_STREAM = 7
SHUFFLE_STREAM = 8
EVAL_STREAM = 9
VIEWS_EVERY = 60.0        # seconds between rebuilds of losses.png/progress.gif
EXIT_DIVERGED = 1
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


class Stopped(Exception):
    """Training stopped early by a signal or a non-finite loss."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------- flags ---

class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Never wrap inside a flag name such as --learning-rate."""

    def _split_lines(self, text, width):
        import textwrap
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def parse_args(argv=None):
    """Flags -> (explicit, restore): the flags the user gave, as a dict of
    HParams fields, and whether --restore was given."""
    p = ArgumentParser(
        prog=PROG, description="Train the vanilla GAN of the tutorial on MNIST.",
        formatter_class=_HelpFormatter)

    def flag(name, type_, help_):
        p.add_argument("--" + name.replace("_", "-"), dest=name, type=type_,
                       default=argparse.SUPPRESS,
                       help=f"{help_} (default: {DEFAULTS[name]})")

    flag("max_epoch", int, "epochs to train in all")
    flag("batch_size", int, "real images per step")
    flag("h1_size", int, "generator's first / discriminator's second hidden layer")
    flag("h2_size", int, "generator's second / discriminator's first hidden layer")
    flag("z_size", int, "length of the noise vector")
    flag("learning_rate", float, "Adam learning rate")
    flag("keep_prob", float, "dropout keep probability in the discriminator")
    flag("data_dir", str, "folder with the MNIST IDX files")
    flag("output", str, "folder for grids, checkpoints and metrics.csv")
    flag("seed", int, "seed of every random number; default: drawn and saved")
    p.add_argument("--shuffle", dest="shuffle", action="store_true",
                   default=argparse.SUPPRESS,
                   help="new order of the training set each epoch, from the seed "
                        "and the epoch (default: file order, as the seed)")
    flag("limit", int, "train on the first N training images only")
    flag("eval_every", int, "evaluate FID, MNIST score, class KL, precision "
         "and recall every K epochs into metrics.csv; 0: never")
    flag("eval_num", int, "generated images per evaluation in training")
    flag("beta1", float, "Adam's beta1")
    flag("label_smoothing", float, "one-sided label smoothing: D's target for "
         "real images is 1 minus this")
    p.add_argument("--init", dest="init", choices=config.INITS,
                   default=argparse.SUPPRESS,
                   help=f"weight initialisation (default: {DEFAULTS['init']})")
    flag("leaky_relu", float, "slope of D's activations below 0; 0: relu")
    flag("g_average", float, "decay of a moving average of G's weights, "
         "updated every iteration and used for grids, evaluation and "
         "sampling (e.g. 0.999); 0: none")
    p.add_argument("--recipe", choices=sorted(config.RECIPES),
                   default=argparse.SUPPRESS,
                   help="set several options at once; 'improved' is " +
                        config.recipe_flags("improved").replace("%", "%%") +
                        "; flags given as well override it (default: none, "
                        "the tutorial's settings)")
    p.add_argument("--restore", action="store_true",
                   help="continue from the newest checkpoint in --output; the "
                        "run's config.json supplies the flags not given")
    args = vars(p.parse_args(argv))
    restore = args.pop("restore")
    return args, restore


def resolve(explicit, restore):
    """The run's HParams: flags given > --recipe > the run's config.json (on
    restore) > the defaults. The output folder is always where the run is
    now. A recipe's values are saved in config.json like flags, so a resume
    needs no --recipe."""
    explicit = dict(explicit)
    recipe = config.RECIPES.get(explicit.pop("recipe", None), {})
    folder = explicit.get("output", DEFAULTS["output"])
    stored = config.load(folder) if restore and os.path.isdir(folder) else None
    base = stored if stored is not None else HParams()
    return config.validate(base._replace(**recipe)._replace(
        **dict(explicit, output=folder)))


# --------------------------------------------------------------- restore ---

def check_checkpoint(prefix, hp, saver_vars, optional=()):
    """Raise UsageError unless the checkpoint has every variable the graph
    saves, with the shapes the flags give; names in ``optional`` may be
    missing. Returns the missing ones. Reads nothing into memory."""
    from ._tf import tf
    try:
        found = dict(tf.train.list_variables(prefix))
    except Exception as e:  # a damaged checkpoint: say which, briefly
        raise UsageError(f"checkpoint {prefix}: unreadable ({type(e).__name__}); "
                         "delete it to fall back to the one before") from None
    missing = [name for name, _ in saver_vars if name not in found]
    for name in missing:
        if name not in optional:
            raise UsageError(f"checkpoint {prefix} lacks variable {name!r}; it "
                             "was not written by this model")
    for name, shape in saver_vars:
        if name in found and list(found[name]) != list(shape):
            hint = ", ".join(" ".join(config.as_flag(f, getattr(hp, f)))
                             for f in config.SHAPE_FIELDS)
            raise UsageError(
                f"checkpoint {prefix}: {name} has shape {list(found[name])}, "
                f"the flags ({hint}) give {list(shape)}; pass the sizes the "
                "run was trained with")
    return missing


# ------------------------------------------------------------- the loop ---

class Progress:
    """Progress within an epoch, with time left for the epoch and the run.

    On a terminal one line is redrawn; in a log a line is printed at most
    every ``every`` seconds, so a log stays readable.
    """

    def __init__(self, out=sys.stdout, every=30.0):
        self.out, self.every = out, every
        self.tty = hasattr(out, "isatty") and out.isatty()
        self.last = time.time()
        self.epoch_seconds = []

    def step(self, epoch, j, iters, started, epochs_left):
        now = time.time()
        if not self.tty and now - self.last < self.every:
            return
        if self.tty and j % 20:
            return
        self.last = now
        rate = j / max(now - started, 1e-9)
        epoch_left = (iters - j) / max(rate, 1e-9)
        per_epoch = (np.mean(self.epoch_seconds[-5:]) if self.epoch_seconds
                     else iters / max(rate, 1e-9))
        line = (f"epoch {epoch} iter {j}/{iters}  {rate:.1f} it/s  epoch left "
                f"{_duration(epoch_left)}  run left "
                f"{_duration(epoch_left + per_epoch * epochs_left)}")
        if self.tty:
            self.out.write("\r" + line + "\033[K")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def epoch_done(self, seconds):
        self.epoch_seconds.append(seconds)
        if self.tty:
            self.out.write("\r\033[K")


def _logger(out):
    """A function printing one line to ``out`` at once."""
    return lambda msg: print(msg, file=out, flush=True)


def _duration(seconds):
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class SignalFlag:
    """Turns the first SIGINT/SIGTERM into a flag that the loop checks after
    each step, so training stops between steps; a second one stops at once."""

    def __init__(self):
        self.signum = None
        self.old = {}

    def __enter__(self):
        for s in EXIT_SIGNAL:
            self.old[s] = signal.signal(s, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signum = signum
        for s, h in self.old.items():
            signal.signal(s, h)

    def __exit__(self, *exc):
        for s, h in self.old.items():
            signal.signal(s, h)


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
    z = noise(shape[0], hp.z_size, [hp.seed, FIXED_NOISE_STREAM])
    buf = io.BytesIO()
    np.save(buf, z)
    write_bytes(path, buf.getvalue())
    return z


def random_noise(hp, epoch):
    """(64, Z) fresh noise for ``random_sample<epoch>.jpg``, from (seed, epoch)."""
    n = GRID_SIZE[0] * GRID_SIZE[1]
    return noise(n, hp.z_size, [hp.seed, RANDOM_SAMPLE_STREAM, epoch])


def epoch_order(hp, epoch, n):
    """Row order of an epoch: file order, or with --shuffle a permutation
    from (seed, epoch), so a resumed run sees the same orders."""
    if not hp.shuffle:
        return np.arange(n, dtype=np.int32)
    rng = np.random.default_rng([hp.seed, SHUFFLE_STREAM, epoch])
    return rng.permutation(n).astype(np.int32)


def session_config():
    """Session options (threading; see the README's throughput section)."""
    from ._tf import v1
    return v1.ConfigProto()


def train(hp, restore=False, out=sys.stdout):
    """Run (or continue) training; returns the number of epochs done.

    Raises UsageError for bad input before anything on disk changes, and
    Stopped when a signal or a non-finite loss ends the run early.
    """
    from . import model
    from ._tf import session, v1
    from .data import load_mnist

    log = _logger(out)

    folder = hp.output
    if restore:
        prefix = rundir.latest_checkpoint(folder)
        if prefix is None:
            raise UsageError(f"--restore: no checkpoint in {folder!r} (model-N.index "
                             "with its data file); run without --restore to start")
        rundir.check_writable(folder)
    else:
        rundir.check_fresh(folder)
    images, _ = load_mnist(hp.data_dir, "train", hp.limit)
    images = images.reshape(len(images), -1)
    if hp.batch_size > len(images):
        raise UsageError(f"--batch-size {hp.batch_size}: larger than the "
                         f"{len(images)} training images")
    if hp.seed is None:
        hp = hp._replace(seed=secrets.randbelow(2**31))
        log(f"seed {hp.seed} (drawn; --seed {hp.seed} repeats this run)")

    tg = model.build_train_graph(hp, len(images), hp.seed)
    new_average = False
    if restore:
        saved = [(v.op.name, v.shape.as_list()) for v in
                 tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)]
        # --g-average on a run trained without it: the average starts here.
        new_average = bool(check_checkpoint(
            prefix, hp, saved, optional={s.op.name for s in tg.g_average}))
    else:
        removed = rundir.clear(folder)
        if removed:
            log(f"removed {removed} files of an earlier run from {folder}")
    config.save(hp, folder)  # first write of the run, after every check

    with tg.graph.as_default(), session(tg.graph, session_config()) as sess:
        return _loop(hp, tg, sess, images, restore and prefix, out, new_average)


def _loop(hp, tg, sess, images, prefix, out, new_average=False):
    """Train from the restored or initialised state to hp.max_epoch."""
    from . import views

    log = _logger(out)

    folder = hp.output
    restore = bool(prefix)
    sess.run(tg.data_init, {tg.images: images,
                            tg.order: np.arange(len(images), dtype=np.int32)})
    if restore and new_average:
        from ._tf import v1
        averages = {s.op.name for s in tg.g_average}
        v1.train.Saver([v for v in tg.graph.get_collection(v1.GraphKeys.GLOBAL_VARIABLES)
                        if v.op.name not in averages]).restore(sess, prefix)
        sess.run(tg.reset_average)
        log(f"{prefix} has no average of G's weights; it starts from the weights")
    elif restore:
        tg.saver.restore(sess, prefix)
    if restore:
        tg.saver.recover_last_checkpoints(
            [p for _, p in rundir.checkpoints(folder)])
        log(f"restored {prefix}")
    else:
        sess.run(tg.init)
    start = int(sess.run(tg.global_step))
    z_fixed = fixed_noise(hp, folder, reuse=restore)
    csv_path = os.path.join(folder, rundir.METRICS_FILE)
    rows = [r for r in read_rows(csv_path) if r["epoch"] < start] if restore else []

    iters = len(images) // hp.batch_size
    fetches = [tg.train_op, tg.d_loss, tg.g_loss, tg.d_real, tg.d_fake]
    progress = Progress(out)
    if start >= hp.max_epoch:
        log(f"{start} epochs done already (--max-epoch {hp.max_epoch}); "
            "pass a larger --max-epoch to train on")
        return start
    events = views.EventLog(folder, start_step=start)
    last_views = 0.0
    try:
        with SignalFlag() as stop:
            for epoch in range(start, hp.max_epoch):
                sess.run(tg.set_order, {tg.order: epoch_order(hp, epoch, len(images))})
                sums = np.zeros(4)
                started = time.time()
                for j in range(iters):
                    if stop.signum is not None:
                        raise Stopped(
                            f"stopped by {signal.Signals(stop.signum).name} in "
                            f"epoch {epoch} at iteration {j}/{iters}; {folder} "
                            f"holds {epoch} finished epochs; resume with: {PROG} "
                            f"--output {folder} --restore", EXIT_SIGNAL[stop.signum])
                    values = sess.run(fetches, {tg.iteration: epoch * iters + j})[1:]
                    if not np.all(np.isfinite(values)):
                        raise Stopped(
                            f"epoch {epoch} iteration {j}: d_loss {values[0]}, "
                            f"g_loss {values[1]}: training diverged; "
                            + (f"{folder}/model-{epoch}, the newest checkpoint, "
                               "is the last good one" if epoch else
                               "no epoch finished")
                            + "; try a lower --learning-rate", EXIT_DIVERGED)
                    sums += values
                    progress.step(epoch, j + 1, iters, started,
                                  hp.max_epoch - epoch - 1)
                seconds = time.time() - started
                progress.epoch_done(seconds)
                d_loss, g_loss, d_real, d_fake = sums / iters
                row = dict(epoch=epoch, d_loss=d_loss, g_loss=g_loss,
                           d_real=d_real, d_fake=d_fake, seconds=seconds)
                if hp.eval_every and (epoch + 1) % hp.eval_every == 0:
                    row.update(evaluate_now(hp, sess, tg))
                rows.append(row)
                fixed_grid = end_of_epoch(hp, sess, tg, epoch, z_fixed, rows)
                events.scalars(epoch, {k: v for k, v in row.items() if k != "epoch"})
                events.image(epoch, "samples (fixed noise)", fixed_grid)
                events.flush()
                if time.time() - last_views > VIEWS_EVERY or epoch + 1 == hp.max_epoch:
                    last_views = time.time()
                    try:
                        views.refresh(folder)
                    except Exception as e:  # a picture is not worth the run
                        log(f"could not redraw {views.LOSSES_FILE}/{views.GIF_FILE}: "
                            f"{type(e).__name__}: {e}")
                # The checkpoint comes last: once it exists, all of the
                # epoch's files do.
                sess.run(tg.set_global_step, {tg.epoch: epoch + 1})
                tg.saver.save(sess, os.path.join(folder, rundir.CHECKPOINT_PREFIX),
                              global_step=epoch + 1)
                log(epoch_line(row, progress, hp.max_epoch - epoch - 1))
    finally:
        events.close()
    return hp.max_epoch


def end_of_epoch(hp, sess, tg, epoch, z_fixed, rows):
    """Write the epoch's two grids and metrics.csv; return the fixed grid."""
    from . import grid
    folder = hp.output
    x = sess.run(tg.x_sample, {tg.z_sample: z_fixed})
    fixed_grid = grid.save_grid(os.path.join(folder, f"sample{epoch}.jpg"), x)
    x = sess.run(tg.x_sample, {tg.z_sample: random_noise(hp, epoch)})
    grid.save_grid(os.path.join(folder, f"random_sample{epoch}.jpg"), x)
    write_rows(os.path.join(folder, rundir.METRICS_FILE), rows)
    return fixed_grid


def evaluate_now(hp, sess, tg):
    """Evaluation figures of the current generator on ``hp.eval_num``
    samples from noise fixed for the run (so epochs compare fairly)."""
    from . import evaluate
    z = noise(hp.eval_num, hp.z_size, [hp.seed, EVAL_STREAM])
    x = np.concatenate([sess.run(tg.x_sample, {tg.z_sample: z[i:i + 1000]})
                        for i in range(0, len(z), 1000)])
    result = evaluate.evaluate_array(x, hp.data_dir, hp.eval_num)
    return {k: float(result[k]) for k in evaluate.FIGURES}


def epoch_line(row, progress, epochs_left):
    """The log line of a finished epoch."""
    left = np.mean(progress.epoch_seconds[-5:]) * epochs_left
    line = (f"epoch {row['epoch']}  d_loss {row['d_loss']:.4f}  g_loss "
            f"{row['g_loss']:.4f}  D(x) {row['d_real']:.3f}  D(G(z)) "
            f"{row['d_fake']:.3f}  {row['seconds']:.1f}s  left {_duration(left)}")
    if "fid" in row:
        line += (f"\n  eval: FID {row['fid']:.2f}  MNIST score "
                 f"{row['mnist_score']:.2f}  class KL {row['class_kl']:.3f}  "
                 f"precision {row['precision']:.3f}  recall {row['recall']:.3f}")
    return line


def main(argv=None):
    try:
        explicit, restore = parse_args(argv)
        train(resolve(explicit, restore), restore)
    except UsageError as e:
        exit_with(e, PROG)
    except Stopped as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        sys.exit(e.status)


if __name__ == "__main__":
    main()

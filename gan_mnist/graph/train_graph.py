"""The whole training graph: data, noise and dropout drawn in the graph,
``steps_per_run`` training steps (``step.train_step``) chained per run call.

``build_train_graph(hp, num_train)`` returns a ``TrainGraph`` of the tensors
and ops that the training loop and the tests use. The training set lives in
the graph as a uint8 local variable, fed once, so a step needs no feed but
the global iteration; ``global_iteration`` is the one place that turns
(epoch, step in the epoch) into that number.
"""

import collections

from .._tf import tf, v1
from ..config import IMAGE_SIZE
from . import model
from .optim import SharedAdam, learning_rates
from .step import FIRST, Trainables, g_keep, train_step

TrainGraph = collections.namedtuple("TrainGraph", [
    "graph",           # the tf.Graph holding all below
    "num_train",       # int: N, images in the training set
    "iters_per_epoch",  # int: N // (B * d_steps) steps make an epoch
    "steps_per_run",   # int: K, the steps that one run of train_steps makes
    "images",          # placeholder (N, 784) uint8: feeds the data variable once
    "data_init",       # op: loads ``images`` into the data variable
    "order",           # placeholder (N,) int32: the epoch's row order
    "set_order",       # op: stores ``order`` for the epoch
    "iteration",       # placeholder int64 scalar: global iteration (of the
                       # first step, for train_steps)
    "train_op",        # op: one step: a D update, then a G update (then the
                       # average)
    "d_loss",          # scalar: mean per-pair D loss of the D update
    "g_loss",          # scalar: mean G loss of the G update
    "d_real",          # scalar: mean D(x) in the D update
    "d_fake",          # scalar: mean D(G(z)) in the D update
    "train_steps",     # op: K steps, iterations ``iteration`` ... + K - 1
    "step_losses",     # (K, 4): d_loss, g_loss, d_real, d_fake of each
    "z_sample",        # placeholder (n, Z) float32, named z_prior as in the tutorial
    "x_sample",        # (n, 784) in (-1, 1): G(z_sample), named x_generated
    "global_step",     # int32 variable: epochs done
    "epoch",           # placeholder int32
    "set_global_step",  # op: global_step <- epoch
    "init",            # op: initialise the model (global) variables
    "saver",           # tf.compat.v1.train.Saver of the tutorial's variables
                       # (and of g_average, when on)
    "g_params",
    "d_params",
    "g_average",       # shadow variables averaging g_params (the samples
                       # come from them); [] when --g-average is off
    "reset_average",   # op: set the shadows to the current G weights
    "inner",           # Inner: tensors of train_op's step, for tests
])

Inner = collections.namedtuple("Inner", [
    "x_real",   # (B, 784) the first D update's real batch
    "z",        # (B, Z) the noise of G(z)
    "d_masks",  # D update's dropout scales
    "g_masks",  # G update's dropout scales
    "x_reals",  # for each step of train_steps, its d_steps real batches
])

# The pieces a chain of steps is built from.
_Source = collections.namedtuple("_Source", [
    "data", "order", "iters_per_epoch", "trainables"])

# A chain of steps in one run call: the op that runs it, the steps' losses
# (n, 4), their real batches and the first step's inner tensors.
_Chain = collections.namedtuple("_Chain", ["run", "losses", "inner"])


def batch_from_data(data, order, j, batch_size):
    """Batch ``j`` of an epoch, scaled to [-1, 1].

    data: (N, 784) uint8 variable; order: (N,) int32 permutation of the rows
    for this epoch; j: int32 scalar. Batch j is rows order[j*B : (j+1)*B];
    the last N mod B rows of an epoch are left out so every batch is whole.
    Returns (B, 784) float32 in [-1, 1]: 2 * pixel / 255 - 1.
    """
    # A gather, not a slice: XLA needs a slice's start at compile time.
    rows = tf.gather(order, j * batch_size + tf.range(batch_size))
    pixels = tf.cast(tf.gather(data, rows), tf.float64)
    # The tutorial's arithmetic, in float64, then rounded once to float32:
    # the exact values that its feed_dict delivered.
    return tf.cast(pixels / 255.0 * 2.0 - 1.0, tf.float32)


def global_iteration(tg, epoch, j):
    """The ``iteration`` to feed for step ``j`` of ``epoch``: it picks the
    batch (``j`` of the epoch's order) and seeds the step's noise and
    dropout."""
    return epoch * tg.iters_per_epoch + j


def whole_chains(iters_per_epoch, k):
    """The chain length for ``--xla``: the first of k ... 2k that divides
    an epoch's iterations (1875 at batch 32: 5), so that no steps are left
    at an epoch's end for a second program, with its own few seconds of
    compiling; k when none does."""
    return next((n for n in range(k, 2 * k + 1) if iters_per_epoch % n == 0), k)


def _real_batches(hp, src, it, k):
    """The real batches of iteration ``it``, the k-th in its chain:
    ``hp.d_steps`` consecutive batches of the epoch's order, named x_data
    (the tutorial's name) for the first step's."""
    j = tf.cast(it % src.iters_per_epoch, tf.int32) * hp.d_steps
    suffix = "" if k == 0 else f"_step{k}"
    return [tf.identity(batch_from_data(src.data, src.order, j + i, hp.batch_size),
                        name=f"x_data{suffix}" + (f"_{i}" if i else ""))
            for i in range(hp.d_steps)]


def _steps(hp, src, first, n):
    """n steps from iteration ``first`` (int64 scalar), each after the one
    before: (their Steps, their real batches)."""
    steps, x_reals, after = [], [], FIRST
    total = max(1, hp.max_epoch * src.iters_per_epoch)
    for k in range(n):
        it = first + k
        x_reals.append(_real_batches(hp, src, it, k))
        rates = learning_rates(hp, it, total)
        steps.append(train_step(hp, src.trainables, x_reals[-1], it, rates, after,
                                g_keep(hp, it, src.iters_per_epoch)))
        after = steps[-1].after
    return steps, x_reals


def _inner(step, x_reals):
    return Inner(x_real=x_reals[0][0], z=step.z, d_masks=step.d_masks,
                 g_masks=step.g_masks, x_reals=x_reals)


def _compiled(hp, src, iteration, n):
    """n steps as one XLA program (``--xla``): a _Chain.

    XLA compiles the steps, variables' updates included, into one program
    at the first run: its fused loops replace the kernel-by-kernel
    execution (some 240 kernels a step at batch 32) that bounds small
    batches. The function's reads and writes of each variable keep their
    program order, as the explicit dependencies of ``train_step`` ask.
    """
    def steps(first):
        done, x_reals = _steps(hp, src, first, n)
        return tf.stack([s.losses for s in done]), _inner(done[0], x_reals)

    losses, inner = tf.function(steps, jit_compile=True, autograph=False)(iteration)
    return _Chain(tf.group(losses), losses, inner)


def _chains(hp, src, iteration, steps_per_run):
    """(the K-step chain, the one-step train_op's chain, K)."""
    if hp.xla:
        k = whole_chains(src.iters_per_epoch, steps_per_run)
        chain = _compiled(hp, src, iteration, k)
        # The one-step program for train_op: XLA compiles a program at its
        # first run, so it costs nothing unless a run (or a test) runs
        # single steps.
        one = _compiled(hp, src, iteration, 1) if k > 1 else chain
        return chain, one, k
    steps, x_reals = _steps(hp, src, iteration, steps_per_run)
    inner = _inner(steps[0], x_reals)
    # The chain's first step alone is one step.
    one = _Chain(steps[0].done, steps[0].losses[None], inner)
    chain = _Chain(tf.group(*[s.done for s in steps]),
                   tf.stack([s.losses for s in steps]), inner)
    return chain, one, steps_per_run


def build_train_graph(hp, num_train, max_to_keep=5, steps_per_run=4):
    """Build the whole training graph in a new tf.Graph.

    Args:
      hp: config.HParams; the random seed (``hp.seed``, an int) fixes every
        random number, the rest the sizes and the options.
      num_train: N, rows of the training set that ``images`` will hold;
        N >= hp.batch_size * hp.d_steps.
      max_to_keep: checkpoints the Saver keeps (the tutorial's Saver: 5).
      steps_per_run: K, the steps of ``train_steps`` (at most an epoch's).
    Returns a TrainGraph.

    One ``train_op`` run is one iteration of the tutorial's loop: the D
    update on the real batch and G(z) concatenated, then the G update with
    the same z against the updated D (see ``step``). ``train_steps`` chains
    K such steps in one run call: the same ops with the same numbers, bit
    for bit, but one call instead of K, and the next step's batch, noise
    and dropout drawn while the last one finishes.
    """
    iters_per_epoch = num_train // (hp.batch_size * hp.d_steps)
    graph = tf.Graph()
    with graph.as_default():
        images = v1.placeholder(tf.uint8, [num_train, IMAGE_SIZE], name="images")
        # A local variable: filled from the placeholder, so the data are in
        # neither the checkpoint nor the .meta graph, and stay uint8.
        data = v1.Variable(images, trainable=False, name="train_images",
                           collections=[v1.GraphKeys.LOCAL_VARIABLES])
        order = v1.placeholder(tf.int32, [num_train], name="order")
        order_var = v1.Variable(order, trainable=False, name="epoch_order",
                                collections=[v1.GraphKeys.LOCAL_VARIABLES])
        set_order = order_var.assign(order).op
        data_init = tf.group(data.initializer, order_var.initializer)
        iteration = v1.placeholder(tf.int64, [], name="iteration")
        epoch = v1.placeholder(tf.int32, [], name="epoch")

        global_step = v1.Variable(0, name="global_step", trainable=False)
        g_params, d_params = model.make_params(hp, hp.seed)
        # shadow -= (1 - decay) * (shadow - weight) after every step. A
        # shadow starts at its weight's initial value; there is no warm-up
        # (num_updates is None).
        ema = (v1.train.ExponentialMovingAverage(hp.g_average)
               if hp.g_average else None)
        sn_u = model.make_sn_vectors(hp, hp.seed) if hp.spectral_norm else []
        src = _Source(data, order_var, iters_per_epoch,
                      Trainables(g_params, d_params, SharedAdam(hp), ema, sn_u))
        chain, one, steps_per_run = _chains(
            hp, src, iteration, max(1, min(steps_per_run, iters_per_epoch)))

        g_average, reset_average = [], tf.no_op()
        if ema is not None:
            g_average = [ema.average(p) for p in g_params]
            reset_average = tf.group(*[s.assign(p) for s, p in zip(g_average, g_params)])

        z_sample = v1.placeholder(tf.float32, [None, hp.z_size], name="z_prior")
        # Samples come from the average when there is one: that is its point.
        x_sample = tf.identity(model.generator(z_sample, g_average or g_params),
                               name="x_generated")
        set_global_step = global_step.assign(epoch).op
        init = v1.global_variables_initializer()
        saver = v1.train.Saver(max_to_keep=max_to_keep)
        d_loss, g_loss, d_real, d_fake = tf.unstack(one.losses[0])
        return TrainGraph(
            graph=graph, num_train=num_train, iters_per_epoch=iters_per_epoch,
            steps_per_run=steps_per_run, images=images, data_init=data_init,
            order=order, set_order=set_order, iteration=iteration,
            train_op=one.run, d_loss=d_loss, g_loss=g_loss, d_real=d_real,
            d_fake=d_fake, train_steps=chain.run, step_losses=chain.losses,
            z_sample=z_sample, x_sample=x_sample, global_step=global_step,
            epoch=epoch, set_global_step=set_global_step, init=init,
            saver=saver, g_params=g_params, d_params=d_params,
            g_average=g_average, reset_average=reset_average,
            inner=one.inner._replace(x_reals=chain.inner.x_reals))

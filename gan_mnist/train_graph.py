"""The whole training graph: data, noise and dropout drawn in the graph, one
D update and one G update per ``train_op`` run.

``build_train_graph(hp, num_train)`` returns a ``TrainGraph`` of the tensors
and ops that the training loop (``training.py``) and the tests use. The
training set lives in the graph as a uint8 local variable, fed once, so a
step needs no feed but the global iteration; ``global_iteration`` is the one
place that turns (epoch, step in the epoch) into that number.
"""

import collections

from . import model, streams
from .optim import SharedAdam, learning_rates
from ._tf import tf, v1
from .config import IMAGE_SIZE

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
    # The seed's arithmetic, in float64, then rounded once to float32: the
    # exact values that its feed_dict delivered.
    return tf.cast(pixels / 255.0 * 2.0 - 1.0, tf.float32)


TrainGraph = collections.namedtuple("TrainGraph", [
    "graph",           # the tf.Graph holding all below
    "num_train",       # int: N, images in the training set
    "iters_per_epoch",  # int: N // B steps make an epoch
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
    "z_sample",        # placeholder (n, Z) float32, named z_prior as in the seed
    "x_sample",        # (n, 784) in (-1, 1): G(z_sample), named x_generated
    "global_step",     # int32 variable: epochs done
    "epoch",           # placeholder int32
    "set_global_step",  # op: global_step <- epoch
    "init",            # op: initialise the model (global) variables
    "saver",           # tf.compat.v1.train.Saver of the seed's variables
                       # (and of g_average, when on)
    "g_params",
    "d_params",
    "g_average",       # shadow variables averaging g_params (the samples
                       # come from them); [] when --g-average is off
    "reset_average",   # op: set the shadows to the current G weights
    "tensors",         # dict of inner tensors for tests: x_real, z, d_masks,
                       # g_masks of train_op's step; x_reals, each step's
                       # real batches (d_steps of them) in train_steps
])


def global_iteration(tg, epoch, j):
    """The ``iteration`` to feed for step ``j`` of ``epoch``: it picks the
    batch (``j`` of the epoch's order) and seeds the step's noise and
    dropout."""
    return epoch * tg.iters_per_epoch + j


def _d_update(hp, x_real, x_fake, d_params, adam, rate, masks, after):
    """One D update on the seed's concatenated batch [x_real; x_fake], sliced
    into real and fake; ``after`` (ops) must finish before it reads D's
    weights and Adam's beta powers. Returns (the update op, the per-pair
    loss terms (B, 1), real logits (B, 1), fake logits (B, 1))."""
    B = hp.batch_size
    with tf.control_dependencies(after):
        d_before = [p.read_value() for p in d_params]
    logits = model.discriminator(tf.concat([x_real, x_fake], 0), d_before,
                                 masks, hp.leaky_relu)
    real_logits = tf.slice(logits, [0, 0], [B, -1])
    fake_logits = tf.slice(logits, [B, 0], [-1, -1])
    d_terms = model.d_loss_terms(real_logits, fake_logits, 1.0 - hp.label_smoothing)
    # The seed minimises the (B, 1) loss tensor, i.e. its sum.
    d_total = tf.reduce_sum(d_terms)
    if hp.r1:
        d_total += 0.5 * hp.r1 * model.r1_penalty(real_logits, x_real)
    d_grads = tf.gradients(d_total, d_before)
    # Adam reads the shared beta powers as it applies: after the update
    # before has advanced them.
    with tf.control_dependencies(after):
        d_train = adam.apply(d_grads, d_params, rate)
    return d_train, d_terms, real_logits, fake_logits


def _step(hp, x_reals, iteration, g_params, d_params, adam, ema, rates, after):
    """One training step's ops: ``hp.d_steps`` D updates, each on its batch
    of ``x_reals`` and its own noise, then the G update against the updated
    D with the last D update's noise, then the average. ``after`` (ops) must
    finish before the step reads the variables.

    Returns a dict: ``done`` (op ending the step), ``weights_written``
    (op after which the next step may read the weights: G's update),
    ``average_done`` (op after which G's weights may be written again: the
    average has read them), ``losses`` (4,): d_loss, g_loss, D(x), D(G(z))
    (the D figures averaged over the D updates), and inner tensors.
    """
    B, seed, n_d = hp.batch_size, hp.seed, hp.d_steps
    with tf.control_dependencies(after["weights_written"]):
        g_now = [p.read_value() for p in g_params]
    d_done, d_stats, x_fake = after["weights_written"], [], None
    for k in range(n_d):
        # Noise and dropout depend on the counter alone: drawn ahead of the
        # step's dependencies, so they can overlap the step before.
        counter = iteration * n_d + k if n_d > 1 else iteration
        z = tf.random.stateless_normal(
            [B, hp.z_size], seed=model.stream_seed(seed, streams.Z, counter))
        masks = model.dropout_masks(2 * B, hp, seed, streams.D_DROP, counter)
        x_fake = model.generator(z, g_now)
        d_train, d_terms, real_logits, fake_logits = _d_update(
            hp, x_reals[k], x_fake, d_params, adam, rates[0], masks, d_done)
        d_done = [d_train]
        d_stats.append(tf.stack([tf.reduce_mean(d_terms),
                                 tf.reduce_mean(tf.sigmoid(real_logits)),
                                 tf.reduce_mean(tf.sigmoid(fake_logits))]))

    # G update, strictly after the D updates (and their beta powers). It
    # reuses the last D update's G(z): G's weights have not changed since.
    g_masks = model.dropout_masks(B, hp, seed, streams.G_DROP, iteration)
    with tf.control_dependencies(d_done):
        d_now = [p.read_value() for p in d_params]
    g_logits = model.discriminator(x_fake, d_now, g_masks, hp.leaky_relu)
    g_terms = model.g_loss_terms(g_logits)
    g_grads = tf.gradients(tf.reduce_sum(g_terms), g_now)
    # G's weights change only once the step before has averaged them.
    with tf.control_dependencies(d_done + after["average_done"]):
        g_train = adam.apply(g_grads, g_params, rates[1])
    average_done = []
    if ema is not None:
        with tf.control_dependencies([g_train]):
            average_done = [ema.apply(g_params)]
    d_loss, d_real, d_fake = tf.unstack(
        d_stats[0] if n_d == 1 else tf.reduce_mean(tf.stack(d_stats), 0))
    return dict(done=tf.group(g_train, *average_done),
                weights_written=[g_train], average_done=average_done,
                losses=tf.stack([d_loss, tf.reduce_mean(g_terms), d_real, d_fake]),
                z=z, d_masks=masks, g_masks=g_masks)


def whole_chains(iters_per_epoch, k):
    """The chain length for ``--xla``: the first of k ... 2k that divides
    an epoch's iterations (1875 at batch 32: 5), so that no steps are left
    at an epoch's end for a second program, with its own few seconds of
    compiling; k when none does."""
    return next((n for n in range(k, 2 * k + 1) if iters_per_epoch % n == 0), k)


def _compiled(chain, iteration, n):
    """``chain(iteration, n)``'s steps as one XLA program (``--xla``):
    returns (an op that runs it, the steps' losses (n, 4), their real
    batches as ``chain`` lists them, and a dict of the first step's
    ``x_real``, ``z``, ``d_masks`` and ``g_masks``).

    XLA compiles the steps, variables' updates included, into one program
    at the first run: its fused loops replace the kernel-by-kernel
    execution (some 240 kernels a step at batch 32) that bounds small
    batches. The function's reads and writes of each variable keep their
    program order, as the explicit dependencies of ``_step`` ask.
    """
    def steps(first):
        done, x_reals = chain(first, n)
        return (tf.stack([d["losses"] for d in done]), x_reals,
                {k: done[0][k] for k in ("z", "d_masks", "g_masks")})

    losses, x_reals, one = tf.function(steps, jit_compile=True,
                                       autograph=False)(iteration)
    return tf.group(losses), losses, x_reals, dict(one, x_real=x_reals[0][0])


def build_train_graph(hp, num_train, max_to_keep=5, steps_per_run=4):
    """Build the whole training graph in a new tf.Graph.

    Args:
      hp: config.HParams; the seed (``hp.seed``, an int) fixes every random
        number, the rest the sizes and the options.
      num_train: N, rows of the training set that ``images`` will hold;
        N >= hp.batch_size.
      max_to_keep: checkpoints the Saver keeps (the seed's Saver: 5).
      steps_per_run: K, the steps of ``train_steps`` (at most an epoch's).
    Returns a TrainGraph.

    One ``train_op`` run is one iteration of the seed's loop: the D update on
    the real batch and G(z) concatenated (D's outputs for the two halves are
    sliced apart), then the G update with the same z against the updated D.
    The G update differs from the seed's graph only in work, not mathematics:
    it reuses G(z) from the D update (G's variables have not changed) and runs
    D over the generated half alone, since the real half is sliced away from
    its loss and gets no gradient.

    ``train_steps`` chains K such steps in one run call: the same ops with
    the same numbers, bit for bit, but one call instead of K, and the next
    step's batch, noise and dropout drawn while the last one finishes.
    """
    B, seed = hp.batch_size, hp.seed
    iters_per_epoch = num_train // (B * hp.d_steps)
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
        g_params, d_params = model.make_params(hp, seed)
        adam = SharedAdam(hp)
        # shadow -= (1 - decay) * (shadow - weight) after every step. A
        # shadow starts at its weight's initial value; there is no warm-up
        # (num_updates is None).
        ema = (v1.train.ExponentialMovingAverage(hp.g_average)
               if hp.g_average else None)

        def batches(it, k):
            """The real batches of iteration ``it``, the k-th in the chain:
            d_steps consecutive batches of the epoch's order."""
            j = tf.cast(it % iters_per_epoch, tf.int32) * hp.d_steps
            suffix = "" if k == 0 else f"_step{k}"
            return [tf.identity(batch_from_data(data, order_var, j + i, B),
                                name=f"x_data{suffix}" + (f"_{i}" if i else ""))
                    for i in range(hp.d_steps)]

        def chain(first, n):
            """n steps from iteration ``first`` (int64 scalar): (their
            dicts from ``_step``, their real batches)."""
            steps, x_reals = [], []
            prev = dict(weights_written=[], average_done=[])
            for k in range(n):
                it = first + k
                x_reals.append(batches(it, k))
                rates = learning_rates(hp, it, max(1, hp.max_epoch * iters_per_epoch))
                prev = _step(hp, x_reals[-1], it, g_params, d_params, adam, ema,
                             rates, prev)
                steps.append(prev)
            return steps, x_reals

        # K steps in a chain; the first alone is one step (train_op).
        steps_per_run = max(1, min(steps_per_run, iters_per_epoch))
        if hp.xla:
            steps_per_run = whole_chains(iters_per_epoch, steps_per_run)
            train_steps, step_losses, x_reals, one = _compiled(
                chain, iteration, steps_per_run)
            train_op, losses = train_steps, step_losses[0]
            # The one-step program for train_op: XLA compiles a program at
            # its first run, so it costs nothing unless a run (or a test)
            # runs single steps.
            if steps_per_run > 1:
                train_op, losses, _, one = _compiled(chain, iteration, 1)
                losses = losses[0]
        else:
            steps, x_reals = chain(iteration, steps_per_run)
            one = steps[0]
            train_op, losses = one["done"], one["losses"]
            one = dict(one, x_real=x_reals[0][0])
            train_steps = tf.group(*[s["done"] for s in steps])
            step_losses = tf.stack([s["losses"] for s in steps])

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
        d_loss, g_loss, d_real, d_fake = tf.unstack(losses)
        return TrainGraph(
            graph=graph, num_train=num_train, iters_per_epoch=iters_per_epoch,
            steps_per_run=steps_per_run, images=images, data_init=data_init,
            order=order, set_order=set_order, iteration=iteration,
            train_op=train_op, d_loss=d_loss, g_loss=g_loss, d_real=d_real,
            d_fake=d_fake, train_steps=train_steps, step_losses=step_losses,
            z_sample=z_sample, x_sample=x_sample, global_step=global_step,
            epoch=epoch, set_global_step=set_global_step, init=init,
            saver=saver, g_params=g_params, d_params=d_params,
            g_average=g_average, reset_average=reset_average,
            tensors={"x_real": one["x_real"], "z": one["z"],
                     "d_masks": one["d_masks"], "g_masks": one["g_masks"],
                     "x_reals": x_reals})

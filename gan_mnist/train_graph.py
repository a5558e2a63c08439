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
from ._tf import tf, v1
from .config import IMAGE_SIZE

AVERAGE_SUFFIX = "/ExponentialMovingAverage"  # TensorFlow's name for a shadow


def batch_from_data(data, order, iteration, batch_size, iters_per_epoch):
    """The real batch of one iteration, scaled to [-1, 1].

    data: (N, 784) uint8 variable; order: (N,) int32 permutation of the rows
    for this epoch; iteration: int64 scalar, the global iteration. Batch j of
    an epoch is rows order[j*B : (j+1)*B]; the last N mod B rows of an epoch
    are left out so every batch is whole.
    Returns (B, 784) float32 in [-1, 1]: 2 * pixel / 255 - 1.
    """
    j = tf.cast(iteration % iters_per_epoch, tf.int32)
    rows = tf.slice(order, [j * batch_size], [batch_size])
    pixels = tf.cast(tf.gather(data, rows), tf.float64)
    # The seed's arithmetic, in float64, then rounded once to float32: the
    # exact values that its feed_dict delivered.
    return tf.cast(pixels / 255.0 * 2.0 - 1.0, tf.float32)


TrainGraph = collections.namedtuple("TrainGraph", [
    "graph",           # the tf.Graph holding all below
    "num_train",       # int: N, images in the training set
    "iters_per_epoch",  # int: N // B steps make an epoch
    "images",          # placeholder (N, 784) uint8: feeds the data variable once
    "data_init",       # op: loads ``images`` into the data variable
    "order",           # placeholder (N,) int32: the epoch's row order
    "set_order",       # op: stores ``order`` for the epoch
    "iteration",       # placeholder int64 scalar: global iteration
    "train_op",        # op: one D update, then one G update (then the average)
    "d_loss",          # scalar: mean per-pair D loss of the D update
    "g_loss",          # scalar: mean G loss of the G update
    "d_real",          # scalar: mean D(x) in the D update
    "d_fake",          # scalar: mean D(G(z)) in the D update
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
    "tensors",         # dict of inner tensors for tests: x_real, z, d_masks, g_masks
])


def global_iteration(tg, epoch, j):
    """The ``iteration`` to feed for step ``j`` of ``epoch``: it picks the
    batch (``j`` of the epoch's order) and seeds the step's noise and
    dropout."""
    return epoch * tg.iters_per_epoch + j


def build_train_graph(hp, num_train, max_to_keep=5):
    """Build the whole training graph in a new tf.Graph.

    Args:
      hp: config.HParams; the seed (``hp.seed``, an int) fixes every random
        number, the rest the sizes and the options.
      num_train: N, rows of the training set that ``images`` will hold;
        N >= hp.batch_size.
      max_to_keep: checkpoints the Saver keeps (the seed's Saver: 5).
    Returns a TrainGraph.

    One ``train_op`` run is one iteration of the seed's loop: the D update on
    the real batch and G(z) concatenated (D's outputs for the two halves are
    sliced apart), then the G update with the same z against the updated D.
    The G update differs from the seed's graph only in work, not mathematics:
    it reuses G(z) from the D update (G's variables have not changed) and runs
    D over the generated half alone, since the real half is sliced away from
    its loss and gets no gradient.
    """
    B, seed = hp.batch_size, hp.seed
    iters_per_epoch = num_train // B
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

        x_real = tf.identity(
            batch_from_data(data, order_var, iteration, B, iters_per_epoch),
            name="x_data")
        z = tf.random.stateless_normal(
            [B, hp.z_size], seed=model.stream_seed(seed, streams.Z, iteration))
        x_fake = model.generator(z, g_params)

        # D update: the seed's concatenated batch, sliced into real and fake.
        masks = model.dropout_masks(2 * B, hp, seed, streams.D_DROP, iteration)
        logits = model.discriminator(tf.concat([x_real, x_fake], 0), d_params,
                                     masks, hp.leaky_relu)
        real_logits = tf.slice(logits, [0, 0], [B, -1])
        fake_logits = tf.slice(logits, [B, 0], [-1, -1])
        d_terms = model.d_loss_terms(real_logits, fake_logits,
                                     1.0 - hp.label_smoothing)
        # One Adam object for both updates, as in the seed: its beta powers
        # are shared and advance twice per iteration.
        optimizer = v1.train.AdamOptimizer(hp.learning_rate, beta1=hp.beta1)
        # The seed minimises the (B, 1) loss tensor, i.e. its sum.
        d_train = optimizer.minimize(tf.reduce_sum(d_terms), var_list=d_params)

        # G update, strictly after the D update (and its beta powers).
        with tf.control_dependencies([d_train]):
            d_now = [p.read_value() for p in d_params]
            g_masks = model.dropout_masks(B, hp, seed, streams.G_DROP, iteration)
            g_logits = model.discriminator(x_fake, d_now, g_masks, hp.leaky_relu)
            g_terms = model.g_loss_terms(g_logits)
            g_grads = tf.gradients(tf.reduce_sum(g_terms), g_params)
            train_op = optimizer.apply_gradients(list(zip(g_grads, g_params)))

        g_average, reset_average = [], tf.no_op()
        if hp.g_average:
            # shadow -= (1 - decay) * (shadow - weight) after every step. A
            # shadow starts at its weight's initial value; there is no
            # warm-up (num_updates is None).
            ema = v1.train.ExponentialMovingAverage(hp.g_average)
            with tf.control_dependencies([train_op]):
                train_op = ema.apply(g_params)
            g_average = [ema.average(p) for p in g_params]
            reset_average = tf.group(*[s.assign(p) for s, p in zip(g_average, g_params)])

        z_sample = v1.placeholder(tf.float32, [None, hp.z_size], name="z_prior")
        # Samples come from the average when there is one: that is its point.
        x_sample = tf.identity(model.generator(z_sample, g_average or g_params),
                               name="x_generated")
        set_global_step = global_step.assign(epoch).op
        init = v1.global_variables_initializer()
        saver = v1.train.Saver(max_to_keep=max_to_keep)
        return TrainGraph(
            graph=graph, num_train=num_train, iters_per_epoch=iters_per_epoch,
            images=images, data_init=data_init, order=order, set_order=set_order,
            iteration=iteration, train_op=train_op,
            d_loss=tf.reduce_mean(d_terms), g_loss=tf.reduce_mean(g_terms),
            d_real=tf.reduce_mean(tf.sigmoid(real_logits)),
            d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)),
            z_sample=z_sample, x_sample=x_sample, global_step=global_step,
            epoch=epoch, set_global_step=set_global_step, init=init,
            saver=saver, g_params=g_params, d_params=d_params,
            g_average=g_average, reset_average=reset_average,
            tensors={"x_real": x_real, "z": z, "d_masks": masks,
                     "g_masks": g_masks})

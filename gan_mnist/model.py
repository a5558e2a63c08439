"""The GAN as a ``tf.compat.v1`` graph: pure functions from tensors to tensors.

Shapes use B for the batch size, Z for ``z_size``, H1/H2 for the hidden
sizes (256 and 512 by default) and 784 for one flattened 28x28 image.

Generator:     z (B, Z) -> relu (B, H1) -> relu (B, H2) -> tanh (B, 784)
Discriminator: x (n, 784) -> relu+dropout (n, H2) -> relu+dropout (n, H1)
               -> logit (n, 1)

The variables carry the seed script's names (``g_w1`` ... ``d_b3``,
``global_step``) with no scope, and the D and G updates share one Adam
optimizer, so a checkpoint holds exactly the seed's keys (``g_w1/Adam``,
``beta1_power``, ...) and restores either way.

Randomness is stateless: every random tensor is a function of the run's seed,
a stream number and a counter (the global iteration), never of hidden state.
That is what makes a resumed run bit-identical to an uninterrupted one.
"""

import collections

from ._tf import tf, v1
from .config import IMAGE_SIZE

INIT_STDDEV = 0.1  # the seed's truncated normal for every weight matrix

# Stream numbers of the stateless random ops (see ``stream_seed``).
STREAM_INIT = 0          # counter: the variable's index in layer_shapes()
STREAM_Z = 1             # counter: global iteration
STREAM_D_DROP = (2, 3)   # D update's dropout masks, layers 1 and 2
STREAM_G_DROP = (4, 5)   # G update's dropout masks, layers 1 and 2
N_STREAMS = 16


def stream_seed(seed, stream, counter):
    """The [2] int64 seed of a stateless random op.

    ``seed`` is the run's seed (python int), ``stream`` names what the numbers
    are for, ``counter`` (int or int64 tensor) says which draw. Distinct
    (stream, counter) pairs give independent numbers.
    """
    return tf.stack([tf.constant(seed * N_STREAMS + stream, tf.int64),
                     tf.cast(counter, tf.int64)])


def layer_shapes(hp):
    """Shapes of the generator's and discriminator's variables, in name order.

    Returns two lists of (name, shape): G is z -> h1 -> h2 -> 784, D is
    784 -> h2 -> h1 -> 1 (the seed reuses the two sizes in reverse).
    """
    g = [("g_w1", [hp.z_size, hp.h1_size]), ("g_b1", [hp.h1_size]),
         ("g_w2", [hp.h1_size, hp.h2_size]), ("g_b2", [hp.h2_size]),
         ("g_w3", [hp.h2_size, IMAGE_SIZE]), ("g_b3", [IMAGE_SIZE])]
    d = [("d_w1", [IMAGE_SIZE, hp.h2_size]), ("d_b1", [hp.h2_size]),
         ("d_w2", [hp.h2_size, hp.h1_size]), ("d_b2", [hp.h1_size]),
         ("d_w3", [hp.h1_size, 1]), ("d_b3", [1])]
    return g, d


def make_params(hp, seed):
    """Create the twelve model variables in the current graph.

    Weights: truncated normal (within 2 stddev), stddev 0.1, as the seed; or
    with ``hp.init == "glorot"`` uniform in +-sqrt(6 / (fan_in + fan_out)).
    Biases: zeros. The initial values come from ``seed`` alone.
    Returns (g_params, d_params): lists of six variables each, in the order
    w1, b1, w2, b2, w3, b3.
    """
    g_shapes, d_shapes = layer_shapes(hp)
    params = []
    for index, (name, shape) in enumerate(g_shapes + d_shapes):
        key = stream_seed(seed, STREAM_INIT, index)
        if len(shape) == 1:
            init = tf.zeros(shape)
        elif hp.init == "glorot":  # Glorot & Bengio 2010, uniform
            limit = (6.0 / (shape[0] + shape[1])) ** 0.5
            init = tf.random.stateless_uniform(shape, seed=key, minval=-limit,
                                               maxval=limit)
        else:
            init = tf.random.stateless_truncated_normal(shape, seed=key,
                                                        stddev=INIT_STDDEV)
        params.append(v1.Variable(init, name=name, dtype=tf.float32))
    return params[:6], params[6:]


def generator(z, params):
    """G(z): noise (n, Z) float32 -> images (n, 784) in (-1, 1)."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = tf.nn.relu(tf.nn.bias_add(tf.matmul(z, w1), b1))
    h2 = tf.nn.relu(tf.nn.bias_add(tf.matmul(h1, w2), b2))
    return tf.nn.tanh(tf.nn.bias_add(tf.matmul(h2, w3), b3))


def dropout_masks(n, hp, seed, streams, counter):
    """Dropout scales for the discriminator's two hidden layers.

    Returns float32 tensors (n, H2) and (n, H1) whose entries are 1/keep_prob
    (unit kept, with probability ``hp.keep_prob``) or 0 (dropped), drawn from
    (seed, stream, counter). Multiplying an activation by them is dropout as
    ``tf.nn.dropout`` does it: kept units are scaled so that the expected
    activation is unchanged.
    """
    # Random numbers are a tenth of an iteration's time, so each 32-bit word
    # from the generator serves two units: its 16-bit halves are uniform on
    # 0..65535, and a unit is kept when its half is below
    # round(keep_prob * 65536). For keep_prob 0.7 that is 45875/65536 =
    # 0.6999969, 3e-6 from 0.7, for half the random words (+5% iterations/s).
    threshold = int(round(hp.keep_prob * 65536))
    scales = []
    for stream, width in zip(streams, (hp.h2_size, hp.h1_size)):
        half = (width + 1) // 2
        words = tf.random.stateless_uniform(
            [n, half], seed=stream_seed(seed, stream, counter),
            minval=None, maxval=None, dtype=tf.uint32)
        halves = tf.reshape(tf.bitcast(words, tf.uint16), [n, 2 * half])
        if 2 * half != width:
            halves = halves[:, :width]
        keep = halves < threshold if threshold < 65536 else tf.ones([n, width], tf.bool)
        scales.append(tf.cast(keep, tf.float32) * (1.0 / hp.keep_prob))
    return tuple(scales)


def discriminator(x, params, scales=None, leak=0.0):
    """D's logit: images (n, 784) in [-1, 1] -> (n, 1) unbounded.

    D(x) = sigmoid(logit). ``scales`` is None (no dropout: evaluation) or the
    pair from ``dropout_masks``. ``leak`` > 0 replaces relu by leaky relu
    with that slope below 0.
    """
    def act(h):
        return tf.nn.leaky_relu(h, alpha=leak) if leak else tf.nn.relu(h)

    w1, b1, w2, b2, w3, b3 = params
    h1 = act(tf.nn.bias_add(tf.matmul(x, w1), b1))
    if scales is not None:
        h1 = h1 * scales[0]
    h2 = act(tf.nn.bias_add(tf.matmul(h1, w2), b2))
    if scales is not None:
        h2 = h2 * scales[1]
    return tf.nn.bias_add(tf.matmul(h2, w3), b3)


def d_loss_terms(real_logits, fake_logits, real_target=1.0):
    """Per-pair D loss -(log D(x) + log(1 - D(G(z)))), from logits.

    log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l)
    hold exactly, but unlike the seed's ``log(sigmoid(l))`` they never give
    log(0) = -inf when D is certain. Shapes (B, 1) -> (B, 1), values >= 0.
    ``real_target`` < 1 is one-sided label smoothing: the real term becomes
    the cross-entropy with that target, -(t log D(x) + (1 - t) log(1 - D(x))).
    """
    if real_target == 1.0:
        real = tf.nn.softplus(-real_logits)
    else:
        real = (real_target * tf.nn.softplus(-real_logits)
                + (1.0 - real_target) * tf.nn.softplus(real_logits))
    return real + tf.nn.softplus(fake_logits)


def g_loss_terms(fake_logits):
    """Per-sample G loss -log D(G(z)) from logits: (B, 1) -> (B, 1), >= 0."""
    return tf.nn.softplus(-fake_logits)


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


AVERAGE_SUFFIX = "/ExponentialMovingAverage"  # TensorFlow's name for a shadow


def average_variables(params):
    """Shadow variables for ``params``, named ``<name>/ExponentialMovingAverage``
    as tf.train.ExponentialMovingAverage names them, starting at the
    parameters' initial values. Not trainable; saved in checkpoints."""
    return [v1.Variable(p.initial_value, trainable=False,
                        name=p.op.name + AVERAGE_SUFFIX) for p in params]


def update_average(shadows, params, decay):
    """Op: shadow <- decay * shadow + (1 - decay) * param, for each pair
    (written as TensorFlow's ExponentialMovingAverage does, without its
    warm-up: a shadow starts at the initial weights)."""
    return tf.group(*[s.assign_sub((1.0 - decay) * (s.read_value() - p.read_value()))
                      for s, p in zip(shadows, params)])


TrainGraph = collections.namedtuple("TrainGraph", [
    "graph",           # the tf.Graph holding all below
    "images",          # placeholder (N, 784) uint8: feeds the data variable once
    "data_init",       # op: loads ``images`` into the data variable
    "order",           # placeholder (N,) int32: the epoch's row order
    "set_order",       # op: stores ``order`` for the epoch
    "iteration",       # placeholder int64 scalar: global iteration
    "train_op",        # op: one D update, then one G update
    "d_loss",          # scalar: mean per-pair D loss of the D update
    "g_loss",          # scalar: mean G loss of the G update
    "d_real",          # scalar: mean D(x) in the D update
    "d_fake",          # scalar: mean D(G(z)) in the D update
    "z_sample",        # placeholder (n, Z) float32
    "x_sample",        # (n, 784) in (-1, 1): G(z_sample)
    "global_step",     # int32 variable: epochs done
    "epoch",           # placeholder int32
    "set_global_step", # op: global_step <- epoch
    "init",            # op: initialise the model (global) variables
    "saver",           # tf.compat.v1.train.Saver of the seed's variables
                       # (and of g_average, when on)
    "g_params",
    "d_params",
    "g_average",       # shadow variables averaging g_params; [] when off
    "reset_average",   # op: set the shadows to the current G weights
    "tensors",         # dict of inner tensors for tests: x_real, z, d_masks, g_masks
])


def build_train_graph(hp, num_train, seed, max_to_keep=5):
    """Build the whole training graph in a new tf.Graph.

    Args:
      hp: config.HParams (sizes, batch_size, learning_rate, keep_prob).
      num_train: N, rows of the training set that ``images`` will hold.
      seed: the run's seed (int); all randomness derives from it.
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
    B = hp.batch_size
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
        g_params, d_params = make_params(hp, seed)

        x_real = batch_from_data(data, order_var, iteration, B, iters_per_epoch)
        z = tf.random.stateless_normal(
            [B, hp.z_size], seed=stream_seed(seed, STREAM_Z, iteration))
        x_fake = generator(z, g_params)

        # D update: the seed's concatenated batch, sliced into real and fake.
        masks = dropout_masks(2 * B, hp, seed, STREAM_D_DROP, iteration)
        logits = discriminator(tf.concat([x_real, x_fake], 0), d_params, masks,
                               hp.leaky_relu)
        real_logits = tf.slice(logits, [0, 0], [B, -1])
        fake_logits = tf.slice(logits, [B, 0], [-1, -1])
        d_terms = d_loss_terms(real_logits, fake_logits, 1.0 - hp.label_smoothing)
        # One Adam object for both updates, as in the seed: its beta powers
        # are shared and advance twice per iteration.
        optimizer = v1.train.AdamOptimizer(hp.learning_rate, beta1=hp.beta1)
        # The seed minimises the (B, 1) loss tensor, i.e. its sum.
        d_train = optimizer.minimize(tf.reduce_sum(d_terms), var_list=d_params)

        # G update, strictly after the D update (and its beta powers).
        with tf.control_dependencies([d_train]):
            d_now = [p.read_value() for p in d_params]
            g_masks = dropout_masks(B, hp, seed, STREAM_G_DROP, iteration)
            g_logits = discriminator(x_fake, d_now, g_masks, hp.leaky_relu)
            g_terms = g_loss_terms(g_logits)
            g_grads = tf.gradients(tf.reduce_sum(g_terms), g_params)
            train_op = optimizer.apply_gradients(list(zip(g_grads, g_params)))

        g_average, reset_average = [], tf.no_op()
        if hp.g_average:
            g_average = average_variables(g_params)
            reset_average = tf.group(*[s.assign(p) for s, p in zip(g_average, g_params)])
            with tf.control_dependencies([train_op]):
                train_op = update_average(g_average, g_params, hp.g_average)

        z_sample = v1.placeholder(tf.float32, [None, hp.z_size], name="z_sample")
        # Samples come from the average when there is one: that is its point.
        x_sample = generator(z_sample, g_average or g_params)
        set_global_step = global_step.assign(epoch).op
        init = v1.global_variables_initializer()
        saver = v1.train.Saver(max_to_keep=max_to_keep)
        return TrainGraph(
            graph=graph, images=images, data_init=data_init, order=order,
            set_order=set_order, iteration=iteration, train_op=train_op,
            d_loss=tf.reduce_mean(d_terms), g_loss=tf.reduce_mean(g_terms),
            d_real=tf.reduce_mean(tf.sigmoid(real_logits)),
            d_fake=tf.reduce_mean(tf.sigmoid(fake_logits)),
            z_sample=z_sample, x_sample=x_sample, global_step=global_step,
            epoch=epoch, set_global_step=set_global_step, init=init,
            saver=saver, g_params=g_params, d_params=d_params,
            g_average=g_average, reset_average=reset_average,
            tensors={"x_real": x_real, "z": z, "d_masks": masks,
                     "g_masks": g_masks})

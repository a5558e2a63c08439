"""The GAN's networks and losses as pure ``tf.compat.v1`` graph functions.

Shapes use B for the batch size, Z for ``z_size``, H1/H2 for the hidden
sizes (256 and 512 by default) and 784 for one flattened 28x28 image.

Generator:     z (B, Z) -> relu (B, H1) -> relu (B, H2) -> tanh (B, 784)
Discriminator: x (n, 784) -> relu+dropout (n, H2) -> relu+dropout (n, H1)
               -> logit (n, 1)

The variables carry the tutorial's names (``g_w1`` ... ``d_b3``) with no
scope, so a checkpoint holds exactly the tutorial's keys and restores either
way. ``train_graph`` puts these pieces together into one training step.

Randomness is stateless: every random tensor is a function of the run's random seed,
a stream number and a counter (``streams`` lists them), never of hidden state.
That is what makes a resumed run bit-identical to an uninterrupted one.
"""

from .. import streams
from .._tf import tf, v1
from ..config import IMAGE_SIZE

INIT_STDDEV = 0.1  # the tutorial's truncated normal for every weight matrix


def stream_seed(seed, stream, counter):
    """The [2] int64 seed of a stateless random op.

    ``seed`` is the run's random seed (python int), ``stream`` names what the numbers
    are for, ``counter`` (int or int64 tensor) says which draw. Distinct
    (stream, counter) pairs give independent numbers.
    """
    return tf.stack([tf.constant(seed * streams.COUNT + stream, tf.int64),
                     tf.cast(counter, tf.int64)])


def layer_shapes(hp):
    """Shapes of the generator's and discriminator's variables, in name order.

    Returns two lists of (name, shape): G is z -> h1 -> h2 -> 784, D is
    784 -> h2 -> h1 -> 1 (the tutorial reuses the two sizes in reverse).
    """
    g = [("g_w1", [hp.z_size, hp.h1_size]), ("g_b1", [hp.h1_size]),
         ("g_w2", [hp.h1_size, hp.h2_size]), ("g_b2", [hp.h2_size]),
         ("g_w3", [hp.h2_size, IMAGE_SIZE]), ("g_b3", [IMAGE_SIZE])]
    dh1, dh2 = d_sizes(hp)
    d = [("d_w1", [IMAGE_SIZE, dh2]), ("d_b1", [dh2]),
         ("d_w2", [dh2, dh1]), ("d_b2", [dh1]),
         ("d_w3", [dh1, 1]), ("d_b3", [1])]
    if hp.mbstd:  # the weight of the minibatch-deviation feature
        d.append(("d_w_mbstd", [1, 1]))
    return g, d


def d_sizes(hp):
    """(D's second, D's first) hidden width: --d-h1-size and --d-h2-size,
    else G's sizes reversed, as the tutorial has them."""
    return hp.d_h1_size or hp.h1_size, hp.d_h2_size or hp.h2_size


def make_params(hp, seed):
    """Create the model variables in the current graph: the tutorial's
    twelve, and D's minibatch-deviation weight with ``hp.mbstd``.

    Weights: truncated normal (within 2 stddev), stddev 0.1, as the tutorial; or
    with ``hp.init == "glorot"`` uniform in +-sqrt(6 / (fan_in + fan_out)).
    Biases: zeros. The initial values come from the random ``seed`` alone.
    Returns (g_params, d_params): lists of six variables each, in the order
    w1, b1, w2, b2, w3, b3 (D's then d_w_mbstd, seventh, with ``hp.mbstd``).
    """
    g_shapes, d_shapes = layer_shapes(hp)
    params = []
    for index, (name, shape) in enumerate(g_shapes + d_shapes):
        key = stream_seed(seed, streams.INIT, index)
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


SN_WEIGHTS = ("d_w1", "d_w2", "d_w3")  # what spectral normalisation divides


def make_sn_vectors(hp, seed):
    """Spectral normalisation's power-iteration vectors, one (1, out) unit
    row per D weight of ``SN_WEIGHTS``, named ``d_w1/sn_u`` ...: not
    trained, saved with the checkpoint, drawn from the random seed."""
    _, d_shapes = layer_shapes(hp)
    shapes = dict(d_shapes)
    vectors = []
    for i, name in enumerate(SN_WEIGHTS):
        u = tf.random.stateless_normal([1, shapes[name][1]],
                                       seed=stream_seed(seed, streams.INIT, 20 + i))
        vectors.append(v1.Variable(tf.math.l2_normalize(u, axis=1), trainable=False,
                                   name=name + "/sn_u"))
    return vectors


def spectral_normalize(w, u):
    """(w / sigma, the next u): ``w`` (in, out) divided by an estimate of its
    largest singular value sigma from one power iteration of the unit row
    ``u`` (1, out) (Miyato et al. 2018). The vectors carry no gradient; the
    division does, as in the paper."""
    v = tf.stop_gradient(tf.math.l2_normalize(tf.matmul(u, w, transpose_b=True), axis=1))
    u_next = tf.stop_gradient(tf.math.l2_normalize(tf.matmul(v, w), axis=1))
    sigma = tf.reduce_sum(tf.matmul(v, w) * u_next)
    return w / sigma, u_next


def minibatch_stddev(h, groups):
    """(n, 1): each row's group's mean over features of the standard
    deviation over the group (Karras et al. 2018). ``h`` (n, F) holds
    ``groups`` equal groups one after the other (real then generated in the
    D update), so that one half's deviation never tells of the other's."""
    g = tf.reshape(h, [groups, -1, h.shape[1]])
    mean_sq = tf.reduce_mean(tf.square(g - tf.reduce_mean(g, 1, keepdims=True)), 1)
    dev = tf.reduce_mean(tf.sqrt(mean_sq + 1e-8), 1, keepdims=True)     # (groups, 1)
    return tf.reshape(tf.tile(dev[:, None], [1, tf.shape(g)[1], 1]), [-1, 1])


def generator(z, params):
    """G(z): noise (n, Z) float32 -> images (n, 784) in (-1, 1)."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = tf.nn.relu(tf.nn.bias_add(tf.matmul(z, w1), b1))
    h2 = tf.nn.relu(tf.nn.bias_add(tf.matmul(h1, w2), b2))
    return tf.nn.tanh(tf.nn.bias_add(tf.matmul(h2, w3), b3))


def dropout_masks(n, hp, seed, streams, counter):
    """Dropout scales for the discriminator's two hidden layers.

    Returns float32 tensors (n, DH2) and (n, DH1) (D's widths, see
    ``d_sizes``) whose entries are 1/keep_prob (unit kept, with
    probability ``hp.keep_prob``) or 0 (dropped), drawn from
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
    dh1, dh2 = d_sizes(hp)
    for stream, width in zip(streams, (dh2, dh1)):
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


def discriminator(x, params, scales=None, leak=0.0, groups=1):
    """D's logit: images (n, 784) in [-1, 1] -> (n, 1) unbounded.

    D(x) = sigmoid(logit). ``scales`` is None (no dropout: evaluation) or the
    pair from ``dropout_masks``. ``leak`` > 0 replaces relu by leaky relu
    with that slope below 0. A seventh parameter (``--mbstd``) weighs the
    minibatch deviation of the last hidden layer over ``groups`` groups.
    """
    def act(h):
        return tf.nn.leaky_relu(h, alpha=leak) if leak else tf.nn.relu(h)

    w1, b1, w2, b2, w3, b3 = params[:6]
    h1 = act(tf.nn.bias_add(tf.matmul(x, w1), b1))
    if scales is not None:
        h1 = h1 * scales[0]
    h2 = act(tf.nn.bias_add(tf.matmul(h1, w2), b2))
    if scales is not None:
        h2 = h2 * scales[1]
    out = tf.matmul(h2, w3)
    if len(params) > 6:
        out += minibatch_stddev(h2, groups) * params[6]
    return tf.nn.bias_add(out, b3)


def d_loss_terms(real_logits, fake_logits, real_target=1.0):
    """Per-pair D loss -(log D(x) + log(1 - D(G(z)))), from logits.

    log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l)
    hold exactly, but unlike the tutorial's ``log(sigmoid(l))`` they never give
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


def g_loss_terms(fake_logits, loss="nonsaturating"):
    """Per-sample G loss from logits, (B, 1) -> (B, 1): the tutorial's
    -log D(G(z)) (>= 0), or with ``loss="hinge"`` -logit."""
    if loss == "hinge":
        return -fake_logits
    return tf.nn.softplus(-fake_logits)


def hinge_d_terms(real_logits, fake_logits, real_target=1.0):
    """Per-pair hinge D loss max(0, t - real) + max(0, 1 + fake), from
    logits: (B, 1) -> (B, 1), >= 0 (Lim & Ye 2017). The real margin ``t``
    is 1, or 1 minus one-sided label smoothing: the same softening of D's
    target for real images as for the cross-entropy."""
    return tf.nn.relu(real_target - real_logits) + tf.nn.relu(1.0 + fake_logits)


def top_k_mask(logits, k):
    """(B, 1) float32: 1 for the ``k`` rows (int32 scalar, may be a tensor)
    of the highest logits, the fakes D finds most convincing, else 0. Ranks
    by sorting, not tf.math.top_k, so that k may change within one XLA
    program."""
    order = tf.argsort(tf.reshape(logits, [-1]), direction="DESCENDING")
    ranks = tf.argsort(order)  # each row's place in that order
    return tf.cast(ranks < k, tf.float32)[:, None]


def r1_penalty(real_logits, x_real):
    """R1's sum over the batch of |grad_x D(x)|^2 (Mescheder et al. 2018):
    the squared gradient norm of each real image's logit (n, 1) with
    respect to the image (n, 784), summed; a scalar >= 0. D's training loss
    adds gamma/2 times it."""
    (grad_x,) = tf.gradients(tf.reduce_sum(real_logits), x_real)
    return tf.reduce_sum(tf.square(grad_x))

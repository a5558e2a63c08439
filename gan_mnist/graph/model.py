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
    d = [("d_w1", [IMAGE_SIZE, hp.h2_size]), ("d_b1", [hp.h2_size]),
         ("d_w2", [hp.h2_size, hp.h1_size]), ("d_b2", [hp.h1_size]),
         ("d_w3", [hp.h1_size, 1]), ("d_b3", [1])]
    return g, d


def make_params(hp, seed):
    """Create the twelve model variables in the current graph.

    Weights: truncated normal (within 2 stddev), stddev 0.1, as the tutorial; or
    with ``hp.init == "glorot"`` uniform in +-sqrt(6 / (fan_in + fan_out)).
    Biases: zeros. The initial values come from the random ``seed`` alone.
    Returns (g_params, d_params): lists of six variables each, in the order
    w1, b1, w2, b2, w3, b3.
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


def g_loss_terms(fake_logits):
    """Per-sample G loss -log D(G(z)) from logits: (B, 1) -> (B, 1), >= 0."""
    return tf.nn.softplus(-fake_logits)


def r1_penalty(real_logits, x_real):
    """R1's sum over the batch of |grad_x D(x)|^2 (Mescheder et al. 2018):
    the squared gradient norm of each real image's logit (n, 1) with
    respect to the image (n, 784), summed; a scalar >= 0. D's training loss
    adds gamma/2 times it."""
    (grad_x,) = tf.gradients(tf.reduce_sum(real_logits), x_real)
    return tf.reduce_sum(tf.square(grad_x))

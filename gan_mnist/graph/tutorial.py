"""The tutorial's graph, built the tutorial's way, for comparison.

Tests check the package's faster training step against it, restore
checkpoints it writes, and the benchmark times a loop around it. It keeps
every inefficiency of the original on purpose: G runs twice per iteration,
D runs over the concatenated real and generated batch in both updates, and
the losses take the log of a sigmoid. Only removed APIs are replaced by their
``tf.compat.v1`` equivalents (and ``tf.nn.dropout`` takes a drop rate now).
"""

import collections

from .._tf import tf, v1
from ..config import IMAGE_SIZE

TutorialGraph = collections.namedtuple("TutorialGraph", [
    "graph", "x_data", "z_prior", "keep_prob", "masks", "x_generated",
    "d_loss", "g_loss", "d_trainer", "g_trainer", "global_step", "init",
    "saver", "g_params", "d_params",
    "learning_rate",  # placeholder: feed the D or the G rate with its trainer
    "g_average"])     # op: update the average of G's weights (no-op if off)


def _layer(shape, name):
    return (v1.Variable(v1.truncated_normal(shape, stddev=0.1), name="%s_w%s" % name, dtype=tf.float32),
            v1.Variable(tf.zeros([shape[1]]), name="%s_b%s" % name, dtype=tf.float32))


def build_tutorial_graph(hp, with_masks=False, seed=None):
    """Build the tutorial's training graph in a new tf.Graph.

    Args:
      hp: config.HParams (sizes, batch_size, learning_rate); the options
        beyond the tutorial's that change one step (beta1, beta2,
        label_smoothing, leaky_relu, r1, g_average) are honoured the
        tutorial's way, so a test can
        compare one step of either graph with them. Feed ``learning_rate``
        with each trainer (the D or the G rate).
      with_masks: False uses ``tf.nn.dropout``; True takes D's dropout
        keep-masks from two placeholders (2B, H2) and (2B, H1) of 0/1, so a
        test can give this graph and the package's the same masks.
      seed: graph-level random seed for the initial weights (None:
        unseeded, as in the tutorial's script).
    """
    B = hp.batch_size
    graph = tf.Graph()
    with graph.as_default():
        if seed is not None:
            v1.set_random_seed(seed)
        x_data = v1.placeholder(tf.float32, [B, IMAGE_SIZE], name="x_data")
        z_prior = v1.placeholder(tf.float32, [B, hp.z_size], name="z_prior")
        keep_prob = v1.placeholder(tf.float32, name="keep_prob")
        global_step = v1.Variable(0, name="global_step", trainable=False)

        g_w1, g_b1 = _layer([hp.z_size, hp.h1_size], ("g", 1))
        g_w2, g_b2 = _layer([hp.h1_size, hp.h2_size], ("g", 2))
        g_w3, g_b3 = _layer([hp.h2_size, IMAGE_SIZE], ("g", 3))
        h1 = tf.nn.relu(tf.matmul(z_prior, g_w1) + g_b1)
        h2 = tf.nn.relu(tf.matmul(h1, g_w2) + g_b2)
        x_generated = tf.nn.tanh(tf.matmul(h2, g_w3) + g_b3)
        g_params = [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]

        masks = None
        if with_masks:
            masks = (v1.placeholder(tf.float32, [2 * B, hp.h2_size], name="mask1"),
                     v1.placeholder(tf.float32, [2 * B, hp.h1_size], name="mask2"))

        def act(h):
            return tf.nn.leaky_relu(h, alpha=hp.leaky_relu) if hp.leaky_relu else tf.nn.relu(h)

        def dropout(h, i):
            if masks is None:
                return tf.nn.dropout(h, rate=1.0 - keep_prob)
            return h * masks[i] * (1.0 / keep_prob)

        x_in = tf.concat([x_data, x_generated], 0)
        d_w1, d_b1 = _layer([IMAGE_SIZE, hp.h2_size], ("d", 1))
        d_w2, d_b2 = _layer([hp.h2_size, hp.h1_size], ("d", 2))
        d_w3, d_b3 = _layer([hp.h1_size, 1], ("d", 3))
        h1 = dropout(act(tf.matmul(x_in, d_w1) + d_b1), 0)
        h2 = dropout(act(tf.matmul(h1, d_w2) + d_b2), 1)
        h3 = tf.matmul(h2, d_w3) + d_b3
        y_data = tf.nn.sigmoid(tf.slice(h3, [0, 0], [B, -1]))
        y_generated = tf.nn.sigmoid(tf.slice(h3, [B, 0], [-1, -1]))
        d_params = [d_w1, d_b1, d_w2, d_b2, d_w3, d_b3]

        t = 1.0 - hp.label_smoothing
        real_term = tf.math.log(y_data) if t == 1.0 else (
            t * tf.math.log(y_data) + (1 - t) * tf.math.log(1 - y_data))
        d_loss = -(real_term + tf.math.log(1 - y_generated))
        g_loss = -tf.math.log(y_generated)
        d_objective = d_loss
        if hp.r1:
            (grad,) = tf.gradients(tf.reduce_sum(tf.slice(h3, [0, 0], [B, -1])), x_data)
            d_objective = tf.reduce_sum(d_loss) + 0.5 * hp.r1 * tf.reduce_sum(grad ** 2)
        learning_rate = v1.placeholder_with_default(
            tf.constant(hp.learning_rate, tf.float32), [], name="learning_rate")
        optimizer = v1.train.AdamOptimizer(learning_rate, beta1=hp.beta1,
                                           beta2=hp.beta2)
        d_trainer = optimizer.minimize(d_objective, var_list=d_params)
        g_trainer = optimizer.minimize(g_loss, var_list=g_params)
        g_average = tf.no_op()
        if hp.g_average:
            g_average = v1.train.ExponentialMovingAverage(hp.g_average).apply(g_params)
        init = v1.global_variables_initializer()
        saver = v1.train.Saver()
    return TutorialGraph(graph, x_data, z_prior, keep_prob, masks, x_generated,
                         d_loss, g_loss, d_trainer, g_trainer, global_step, init,
                         saver, g_params, d_params, learning_rate, g_average)

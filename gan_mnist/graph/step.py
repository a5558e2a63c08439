"""One training step as graph ops: ``d_steps`` D updates, then the G update.

Each D update runs D over the tutorial's concatenated batch [x_real; G(z)]
and slices the real half's logits from the fake half's. The G update then
trains G against the updated D with the last D update's z: it reuses that
G(z) (G's weights have not changed since) and runs D over the generated
half alone, since the tutorial slices the real half away from G's loss.

Steps are chained in one run call (``train_graph``); ``After`` carries the
ops of the step before that this step must wait for, so that chained steps
read and write every variable in the order one step per call would.
"""

import collections

from .. import streams
from .._tf import tf
from . import model

# The model's trainable state, built once per graph.
Trainables = collections.namedtuple("Trainables", [
    "g_params",   # G's six variables, w1 b1 w2 b2 w3 b3
    "d_params",   # D's six
    "adam",       # optim.SharedAdam: the tutorial's one Adam for both updates
    "ema",        # tf.compat.v1.train.ExponentialMovingAverage of G, or None
    "sn_u",       # spectral normalisation's vectors for d_w1, d_w2, d_w3
                  # (model.make_sn_vectors), or [] without --spectral-norm
])

# What a step waits for from the step before it (lists of ops; empty for
# the first step of a run call).
After = collections.namedtuple("After", [
    "weights_written",  # after these the weights may be read (G's update)
    "average_done",     # after these G's weights may be written again (the
                        # average has read them)
])
FIRST = After(weights_written=[], average_done=[])

Step = collections.namedtuple("Step", [
    "done",     # op that ends the step
    "after",    # After: what the next step waits for
    "losses",   # (4,) float32: d_loss, g_loss, D(x), D(G(z)); the D figures
                # averaged over the D updates
    "z",        # (B, Z) the last D update's noise, which the G update reuses
    "d_masks",  # the last D update's dropout scales, (2B, H2) and (2B, H1)
    "g_masks",  # the G update's, (B, H2) and (B, H1)
])


def normalized(weights, t):
    """D's weights as D uses them: with --spectral-norm each of d_w1, d_w2,
    d_w3 divided by its largest singular value (one power iteration from
    ``t.sn_u``). Returns (the weights, [the vectors' next values])."""
    if not t.sn_u:
        return weights, []
    weights, nexts = list(weights), []
    for i, u in zip((0, 2, 4), t.sn_u):
        weights[i], u_next = model.spectral_normalize(weights[i], u.read_value())
        nexts.append(u_next)
    return weights, nexts


def d_update(hp, x_real, x_fake, t, rate, masks, after):
    """One D update on [x_real; x_fake] (each (B, 784) in [-1, 1]), sliced
    into real and fake; ``after`` (ops) must finish before it reads D's
    weights and Adam's beta powers. Returns (the update op, the per-pair
    loss terms (B, 1), real logits (B, 1), fake logits (B, 1))."""
    B = hp.batch_size
    with tf.control_dependencies(after):
        d_before = [p.read_value() for p in t.d_params]
        d_used, u_next = normalized(d_before, t)
    logits = model.discriminator(tf.concat([x_real, x_fake], 0), d_used,
                                 masks, hp.leaky_relu, groups=2)
    real_logits = tf.slice(logits, [0, 0], [B, -1])
    fake_logits = tf.slice(logits, [B, 0], [-1, -1])
    if hp.loss == "hinge":
        d_terms = model.hinge_d_terms(real_logits, fake_logits,
                                      1.0 - hp.label_smoothing)
    else:
        d_terms = model.d_loss_terms(real_logits, fake_logits,
                                     1.0 - hp.label_smoothing)
    # The tutorial minimises the (B, 1) loss tensor, i.e. its sum.
    d_total = tf.reduce_sum(d_terms)
    if hp.r1:
        d_total += 0.5 * hp.r1 * model.r1_penalty(real_logits, x_real)
    d_grads = tf.gradients(d_total, d_before)
    # Adam reads the shared beta powers as it applies: after the update
    # before has advanced them.
    with tf.control_dependencies(after):
        d_train = t.adam.apply(d_grads, t.d_params, rate)
    if u_next:  # the power iteration moves on with the update
        d_train = tf.group(d_train, *[u.assign(n) for u, n in zip(t.sn_u, u_next)])
    return d_train, d_terms, real_logits, fake_logits


def train_step(hp, t, x_reals, iteration, rates, after=FIRST, g_keep=None):
    """One step's ops: ``hp.d_steps`` D updates, each on its batch of
    ``x_reals`` (a list of (B, 784)) and its own noise, then the G update
    against the updated D, then the average of G's weights.

    ``t``: Trainables; ``iteration``: int64 scalar, the global iteration
    that seeds the step's noise and dropout; ``rates``: (D's, G's) learning
    rate; ``after``: After of the step before; ``g_keep``: with --top-k,
    how many of the batch's fakes G learns from (int32 scalar). Returns a
    Step.
    """
    B, seed, n_d = hp.batch_size, hp.seed, hp.d_steps
    with tf.control_dependencies(after.weights_written):
        g_now = [p.read_value() for p in t.g_params]
    d_done, d_stats, x_fake = after.weights_written, [], None
    for k in range(n_d):
        # Noise and dropout depend on the counter alone: drawn ahead of the
        # step's dependencies, so they can overlap the step before.
        counter = iteration * n_d + k if n_d > 1 else iteration
        z = tf.random.stateless_normal(
            [B, hp.z_size], seed=model.stream_seed(seed, streams.Z, counter))
        masks = model.dropout_masks(2 * B, hp, seed, streams.D_DROP, counter)
        x_fake = model.generator(z, g_now)
        d_train, d_terms, real_logits, fake_logits = d_update(
            hp, x_reals[k], x_fake, t, rates[0], masks, d_done)
        d_done = [d_train]
        d_stats.append(tf.stack([tf.reduce_mean(d_terms),
                                 tf.reduce_mean(tf.sigmoid(real_logits)),
                                 tf.reduce_mean(tf.sigmoid(fake_logits))]))

    # G update, strictly after the D updates (and their beta powers). It
    # reuses the last D update's G(z): G's weights have not changed since.
    g_masks = model.dropout_masks(B, hp, seed, streams.G_DROP, iteration)
    with tf.control_dependencies(d_done):
        d_now, _ = normalized([p.read_value() for p in t.d_params], t)
    g_logits = model.discriminator(x_fake, d_now, g_masks, hp.leaky_relu)
    g_terms = model.g_loss_terms(g_logits, hp.loss)
    g_total = tf.reduce_sum(g_terms)
    g_mean = tf.reduce_mean(g_terms)
    if g_keep is not None:  # only the most convincing fakes teach G
        g_total = tf.reduce_sum(g_terms * model.top_k_mask(g_logits, g_keep))
        g_mean = g_total / tf.cast(g_keep, tf.float32)
    g_grads = tf.gradients(g_total, g_now)
    # G's weights change only once the step before has averaged them.
    with tf.control_dependencies(d_done + after.average_done):
        g_train = t.adam.apply(g_grads, t.g_params, rates[1])
    average_done = []
    if t.ema is not None:
        with tf.control_dependencies([g_train]):
            average_done = [t.ema.apply(t.g_params)]
    d_loss, d_real, d_fake = tf.unstack(
        d_stats[0] if n_d == 1 else tf.reduce_mean(tf.stack(d_stats), 0))
    return Step(done=tf.group(g_train, *average_done),
                after=After(weights_written=[g_train], average_done=average_done),
                losses=tf.stack([d_loss, g_mean, d_real, d_fake]),
                z=z, d_masks=masks, g_masks=g_masks)


def g_keep(hp, iteration, iters_per_epoch):
    """With --top-k: how many fakes of a batch G learns from at
    ``iteration`` (int64 scalar): floor(B * decay^epoch), but never fewer
    than ceil(top_k * B) (Sinha et al. 2020). None without --top-k."""
    if not hp.top_k:
        return None
    B = hp.batch_size
    epoch = tf.cast(iteration // iters_per_epoch, tf.float64)
    k = tf.floor(B * tf.pow(tf.constant(hp.top_k_decay, tf.float64), epoch))
    floor = float(-(-int(hp.top_k * B * 1e6) // int(1e6)))  # ceil, without float noise
    return tf.cast(tf.clip_by_value(k, max(1.0, floor), B), tf.int32)

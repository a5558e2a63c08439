"""The optimiser of both networks: the tutorial's one Adam, and its learning rates.

One ``tf.compat.v1`` Adam object serves the D and the G update, as in the
tutorial's script: its beta powers are shared and advance twice per iteration, and
a checkpoint holds the tutorial's keys (``g_w1/Adam``, ``beta1_power``, ...).
The learning rate may differ between the two updates (``--d-learning-rate``,
``--g-learning-rate``) and fall over the run's end (``--lr-decay``).
"""

from .._tf import tf, v1


class SharedAdam:
    """The tutorial's one Adam optimizer for both updates (so its beta powers are
    shared and advance twice per iteration, and the checkpoint holds the
    tutorial's keys), with a learning rate that may differ between them."""

    def __init__(self, hp):
        self._rate = None
        self.adam = v1.train.AdamOptimizer(lambda: self._rate, beta1=hp.beta1,
                                           beta2=hp.beta2)

    def apply(self, grads, params, rate):
        """Op: one Adam update of ``params`` with learning rate ``rate``."""
        self._rate = rate
        return self.adam.apply_gradients(list(zip(grads, params)))


def learning_rates(hp, iteration, total_iterations):
    """(D's, G's) Adam learning rate at ``iteration`` (int64 scalar): python
    floats when they are constant (the tutorial's case), else float32 tensors
    that fall linearly to 0 over the last ``hp.lr_decay`` of the
    ``total_iterations`` (constant before)."""
    d = hp.d_learning_rate or hp.learning_rate
    g = hp.g_learning_rate or hp.learning_rate
    if not hp.lr_decay:
        return d, g
    left = tf.cast(total_iterations - iteration, tf.float32)
    scale = tf.clip_by_value(left / (hp.lr_decay * total_iterations), 0.0, 1.0)
    return d * scale, g * scale

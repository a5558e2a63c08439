"""Every random number of a run, and where it comes from.

A run has one seed (``HParams.seed``). Each use of randomness has a stream
number, and each draw a counter, so a random value is a pure function of
(seed, stream, counter): a resumed run draws exactly what an uninterrupted
one draws, and no draw depends on how many came before it.

The graph's streams are drawn by TensorFlow's stateless random ops
(``model.stream_seed``); the others by numpy's ``default_rng`` seeded with
the list [seed, stream, counter].
"""

import numpy as np

# stream number   what it draws                       counter
INIT = 0          # initial weights                   the variable's index
Z = 1             # the training batch's noise        global iteration
D_DROP = (2, 3)   # D update's dropout, layers 1, 2   global iteration
G_DROP = (4, 5)   # G update's dropout, layers 1, 2   global iteration
FIXED_NOISE = 6   # noise behind sample<E>.jpg        none: once per run
RANDOM_SAMPLE = 7  # noise behind random_sample<E>.jpg  epoch
SHUFFLE = 8       # the epoch's order (--shuffle)     epoch
EVAL = 9          # noise of in-training evaluation   none: once per run
COUNT = 16        # streams reserved per seed in the graph's seed word


def noise(n, z_size, seed):
    """(n, z_size) float32 standard normal noise from ``seed``: an int, or a
    list of ints such as [run seed, stream, counter]."""
    return np.random.default_rng(seed).standard_normal((n, z_size)).astype(np.float32)


def epoch_order(seed, shuffle, epoch, n):
    """(n,) int32 row order of the training set in ``epoch``: file order, or
    with ``shuffle`` a permutation drawn from (seed, SHUFFLE, epoch)."""
    if not shuffle:
        return np.arange(n, dtype=np.int32)
    rng = np.random.default_rng([seed, SHUFFLE, epoch])
    return rng.permutation(n).astype(np.int32)

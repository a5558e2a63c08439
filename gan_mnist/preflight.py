"""Everything about a training run that can be checked before TensorFlow
loads: the output folder, the checkpoint to resume, the data and the batch
size. ``prepare`` either raises UsageError, having changed nothing on disk,
or returns the ``Plan`` that ``training.train`` carries out.
"""

import collections

from . import checkpoints, rundir
from .data import load_mnist
from .errors import UsageError

Plan = collections.namedtuple("Plan", [
    "hp",          # config.HParams, the seed resolved (an int)
    "resume",      # bool: continue the run in hp.output
    "checkpoint",  # prefix of the checkpoint to resume from; None for a new run
    "images",      # (N, 784) uint8: the training set, N >= hp.batch_size
])


def prepare(hp, resume=False):
    """Check a run before it starts and load its training set."""
    if hp.seed is None:
        raise ValueError("hp.seed must be resolved (train.resolve draws it)")
    folder = hp.output
    checkpoint = None
    if resume:
        checkpoint = checkpoints.latest(folder)
        if checkpoint is None:
            raise UsageError(f"--restore: no checkpoint in {folder!r} (model-N.index "
                             "with its data file); run without --restore to start")
        rundir.check_writable(folder)
    else:
        rundir.check_fresh(folder)
    images, _ = load_mnist(hp.data_dir, "train", hp.limit)
    images = images.reshape(len(images), -1)
    if hp.batch_size > len(images):
        raise UsageError(f"--batch-size {hp.batch_size}: larger than the "
                         f"{len(images)} training images")
    return Plan(hp, resume, checkpoint, images)

"""Everything about a training run that can be checked before TensorFlow
loads: the flags' combination, the CPU, the data, the output folder and the
checkpoint to resume. ``load_inputs`` and ``prepare`` either raise
UsageError, having changed nothing on disk, or return what
``training.train`` carries out: the ``Plan``.
"""

import collections
import os

from ..cpu import check_bfloat16
from ..config import DEFAULTS
from ..data import check_split, load_mnist, locate
from ..errors import UsageError
from ..rundir import checkpoints, lock, survey

Plan = collections.namedtuple("Plan", [
    "hp",          # config.HParams, the random seed resolved (an int)
    "resume",      # bool: continue the run in hp.output
    "checkpoint",  # prefix of the checkpoint to resume from; None for a new run
    "images",      # (N, 784) uint8: the training set, N >= hp.batch_size
    "data_dir",    # the folder the MNIST files are read from (hp.data_dir,
                   # or the packaged files where no ./MNIST_data is; see
                   # data.locate)
])


def data_folder(hp, typed):
    """The folder to read the MNIST files from: ``hp.data_dir`` when it was
    ``typed`` on the command line or is not the default (a run's config.json
    keeps it), else ./MNIST_data or the packaged files (printing which)."""
    given = typed or hp.data_dir != DEFAULTS["data_dir"]
    folder, line = locate(hp.data_dir if given else None)
    if line:
        print(line, flush=True)
    return folder


def load_inputs(hp, resume=False, data_dir=None):
    """Check the flags, the CPU and the output folder as far as can be done
    before the folder is locked (which writes its lock file into it), and
    load the training set from ``data_dir`` (default ``hp.data_dir``):
    (N, 784) uint8."""
    if os.path.isdir(hp.output):
        lock.check_free(hp.output)
    if resume:
        if not os.path.isdir(hp.output):
            raise UsageError(f"--restore: no run folder {hp.output!r}; run without "
                             "--restore to start one")
        survey.check_resume(hp.output)
    else:
        survey.check_new_run(hp.output, epochs=0)  # nothing foreign or in doubt
    if hp.precision == "bfloat16":
        check_bfloat16()
    data_dir = data_dir or hp.data_dir
    images, _ = load_mnist(data_dir, "train", hp.limit)
    check_split(data_dir, "test")  # evaluations read it: refused now, not later
    images = images.reshape(len(images), -1)
    if hp.batch_size * hp.d_steps > len(images):
        steps = f" times --d-steps {hp.d_steps}" if hp.d_steps > 1 else ""
        raise UsageError(f"--batch-size {hp.batch_size}{steps}: more than the "
                         f"{len(images)} training images")
    return images


def prepare(hp, resume=False, overwrite=False, images=None, checkpoint=None,
            data_dir=None):
    """Check a run before it starts (the folder should be locked, see
    ``rundir.lock``). A new run refuses a folder with a run of finished
    epochs unless ``overwrite``; a resume takes ``checkpoint`` or the newest
    complete checkpoint in the folder."""
    if hp.seed is None:
        raise ValueError("hp.seed must be resolved (train.resolve draws it)")
    data_dir = data_dir or hp.data_dir
    if images is None:
        images = load_inputs(hp, data_dir=data_dir)
    folder = hp.output
    found = checkpoints.latest(folder)
    if resume:
        survey.check_resume(folder)
        if checkpoint is None:
            checkpoint = found
        if checkpoint is None:
            raise UsageError(f"--restore: no checkpoint in {folder!r} (model-N.index "
                             "with its data file); run without --restore to start")
        if not os.path.exists(checkpoint + ".index"):
            raise UsageError(f"--checkpoint {checkpoint}: no {checkpoint}.index; "
                             f"give a prefix such as {found or 'output/model-10'}")
    else:
        epochs = checkpoints.complete(folder)[-1][0] if found else 0
        survey.check_new_run(folder, epochs, overwrite)
    return Plan(hp, resume, checkpoint, images, data_dir)

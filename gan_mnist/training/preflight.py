"""Everything about a training run that can be checked before TensorFlow
loads: the flags' combination, the CPU, the data, the output folder and the
checkpoint to resume. ``load_inputs`` and ``prepare`` either raise
UsageError, having changed nothing on disk, or return what
``training.train`` carries out: the ``Plan``.
"""

import collections
import contextlib
import os

from ..config import DEFAULTS, IMAGE_SIZE
from ..cpu import check_bfloat16, check_memory
from ..data import check_split, load_mnist, locate
from ..errors import UsageError
from ..rundir import checkpoints, history, lock, survey

Plan = collections.namedtuple("Plan", [
    "hp",          # config.HParams, the random seed resolved (an int)
    "resume",      # bool: continue the run in hp.output
    "checkpoint",  # prefix of the checkpoint to resume from; None for a new run
    "images",      # (N, 784) uint8: the training set, N >= hp.batch_size
    "data_dir",    # the folder the MNIST files are read from (hp.data_dir,
                   # or the packaged files where no ./MNIST_data is; see
                   # data.locate)
    "set_aside",   # epochs of the later checkpoints that a resume from an
                   # older one sets aside (--branch; rundir.history); []
])


def data_folder(hp, typed):
    """(the folder to read the MNIST files from, a line saying so or None):
    ``hp.data_dir`` when it was ``typed`` on the command line or is not the
    default (a run's config.json keeps it), else ./MNIST_data or the
    packaged files (see ``data.locate``)."""
    given = typed or hp.data_dir != DEFAULTS["data_dir"]
    return locate(hp.data_dir if given else None)


@contextlib.contextmanager
def planned(hp, modes, data_typed):
    """Check the run, then hold its folder (``rundir.lock``) while the block
    runs: yields (the Plan, [a line saying where the data come from, when
    that is not the flags' folder]). ``modes``: train's restore, overwrite
    and checkpoint flags; ``data_typed``: --data-dir was given."""
    data_dir, found = data_folder(hp, data_typed)
    images = load_inputs(hp, modes["restore"], data_dir, modes["checkpoint"],
                         modes["branch"])
    with lock.lock(hp.output):
        yield (prepare(hp, modes["restore"], modes["overwrite"], images,
                       modes["checkpoint"], data_dir, modes["branch"]),
               [found] if found else [])


def load_inputs(hp, resume=False, data_dir=None, checkpoint=None, branch=False):
    """Check the flags, the CPU and the output folder as far as can be done
    before the folder is locked (which writes its lock file into it), and
    load the training set from ``data_dir`` (default ``hp.data_dir``):
    (N, 784) uint8. A resume's checkpoint is checked here too, so that a
    folder without one never gets a lock file."""
    if os.path.isdir(hp.output):
        lock.check_free(hp.output)
    if resume:
        if not os.path.isdir(hp.output):
            raise UsageError(f"--restore: no run folder {hp.output!r}; run without "
                             "--restore to start one")
        survey.check_resume(hp.output)
        history.resume_point(hp.output, checkpoint, branch)
    else:
        survey.check_new_run(hp.output, epochs=0)  # nothing foreign or in doubt
    if hp.precision == "bfloat16":
        check_bfloat16()
    check_sizes(hp)
    data_dir = data_dir or hp.data_dir
    images, _ = load_mnist(data_dir, "train", hp.limit)
    check_split(data_dir, "test")  # evaluations read it: refused now, not later
    images = images.reshape(len(images), -1)
    if hp.batch_size * hp.d_steps > len(images):
        steps = f" times --d-steps {hp.d_steps}" if hp.d_steps > 1 else ""
        raise UsageError(f"--batch-size {hp.batch_size}{steps}: more than the "
                         f"{len(images)} training images")
    return images


def check_sizes(hp):
    """Refuse sizes whose memory this machine does not have, before any
    work: the variables (G, D, Adam's two slots each, the average), a step's
    activations, and an evaluation's images and features."""
    g = hp.z_size * hp.h1_size + hp.h1_size * hp.h2_size + hp.h2_size * IMAGE_SIZE
    d = IMAGE_SIZE * hp.h2_size + hp.h2_size * hp.h1_size + hp.h1_size
    check_memory(4 * (4 * g + 3 * d), "--h1-size, --h2-size, --z-size",
                 "choose smaller layers")
    check_memory(4 * 8 * hp.batch_size * (IMAGE_SIZE + hp.h1_size + hp.h2_size),
                 f"--batch-size {hp.batch_size}", "choose a smaller batch")
    if hp.eval_every:
        check_memory(4 * 3 * hp.eval_num * IMAGE_SIZE, f"--eval-num {hp.eval_num}",
                     "evaluate fewer images")


def prepare(hp, resume=False, overwrite=False, images=None, checkpoint=None,
            data_dir=None, branch=False):
    """Check a run before it starts (the folder should be locked, see
    ``rundir.lock``). A new run refuses a folder with a run of finished
    epochs unless ``overwrite``; a resume takes ``checkpoint`` or the newest
    complete checkpoint in the folder (an older one only with ``branch``,
    see ``rundir.history``)."""
    if hp.seed is None:
        raise ValueError("hp.seed must be resolved (train.resolve draws it)")
    data_dir = data_dir or hp.data_dir
    if images is None:
        images = load_inputs(hp, data_dir=data_dir)
    folder, later = hp.output, []
    if resume:
        survey.check_resume(folder)
        checkpoint, later = history.resume_point(folder, checkpoint, branch)
    else:
        found = checkpoints.complete(folder) if os.path.isdir(folder) else []
        survey.check_new_run(folder, found[-1][0] if found else 0, overwrite)
    return Plan(hp, resume, checkpoint, images, data_dir, later)

"""Everything about a training run that can be checked before TensorFlow
loads: the flags' combination, the CPU, the data, the output folder and the
checkpoint to resume. ``load_inputs`` and ``prepare`` either raise
UsageError, having changed nothing on disk, or return what
``training.train`` carries out: the ``Plan``.
"""

import collections
import os

from . import checkpoints, rundir
from .data import load_mnist
from .errors import UsageError

Plan = collections.namedtuple("Plan", [
    "hp",          # config.HParams, the seed resolved (an int)
    "resume",      # bool: continue the run in hp.output
    "checkpoint",  # prefix of the checkpoint to resume from; None for a new run
    "images",      # (N, 784) uint8: the training set, N >= hp.batch_size
])


def load_inputs(hp, resume=False):
    """Check the flags, the CPU and the output folder as far as can be done
    before the folder is locked (which writes its lock file into it), and
    load the training set: (N, 784) uint8."""
    if os.path.isdir(hp.output):
        rundir.check_free(hp.output)
    if resume:
        if not os.path.isdir(hp.output):
            raise UsageError(f"--restore: no run folder {hp.output!r}; run without "
                             "--restore to start one")
        rundir.check_resume(hp.output)
    else:
        rundir.check_new_run(hp.output, epochs=0)  # nothing foreign or in doubt
    if hp.precision == "bfloat16":
        check_bfloat16()
    images, _ = load_mnist(hp.data_dir, "train", hp.limit)
    images = images.reshape(len(images), -1)
    if hp.batch_size * hp.d_steps > len(images):
        steps = f" times --d-steps {hp.d_steps}" if hp.d_steps > 1 else ""
        raise UsageError(f"--batch-size {hp.batch_size}{steps}: more than the "
                         f"{len(images)} training images")
    return images


def prepare(hp, resume=False, overwrite=False, images=None, checkpoint=None):
    """Check a run before it starts (the folder should be locked, see
    ``rundir.lock``). A new run refuses a folder with a run of finished
    epochs unless ``overwrite``; a resume takes ``checkpoint`` or the newest
    complete checkpoint in the folder."""
    if hp.seed is None:
        raise ValueError("hp.seed must be resolved (train.resolve draws it)")
    if images is None:
        images = load_inputs(hp)
    folder = hp.output
    found = checkpoints.latest(folder)
    if resume:
        rundir.check_resume(folder)
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
        rundir.check_new_run(folder, epochs, overwrite)
    return Plan(hp, resume, checkpoint, images)


# CPU flags (Linux /proc/cpuinfo) of instructions that compute in bfloat16.
BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


def cpu_flags(path="/proc/cpuinfo"):
    """(model name, set of CPU feature flags), or (None, None) if unknown."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None, None
    model, flags = None, set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model name") and model is None:
            model = value.strip()
        elif key in ("flags", "Features"):  # x86, aarch64
            flags.update(value.split())
    return model, flags


def check_bfloat16():
    """Raise UsageError unless --precision bfloat16 can run natively here:
    a CPU with bfloat16 instructions and TensorFlow's oneDNN on (without
    them TensorFlow would emulate bfloat16, slower than float32)."""
    model, flags = cpu_flags()
    if flags is None:
        raise UsageError("--precision bfloat16: cannot read this CPU's features "
                         "(/proc/cpuinfo); use --precision float32")
    if not set(BFLOAT16_FLAGS) & flags:
        raise UsageError(
            f"--precision bfloat16: this CPU ({model or 'unknown'}) has no bfloat16 "
            f"instructions ({', '.join(BFLOAT16_FLAGS[:2])}); it would only be "
            "emulated, slower than float32; use --precision float32")
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0":
        raise UsageError("--precision bfloat16 needs TensorFlow's oneDNN, which "
                         "TF_ENABLE_ONEDNN_OPTS=0 turns off; unset it")

"""Checkpoints: finding them in a run folder, checking them against a graph,
and reading the generator's weights out of them.

A checkpoint is TensorFlow's ``model-<epochs>.index`` and ``.data-*`` files
(plus ``.meta``, which nothing here needs). Finding needs no TensorFlow;
the functions that read a checkpoint import it when called.
"""

import os
import re

from .. import config
from ..errors import UsageError
from ..fileio import check_utf8
from .names import CHECKPOINT_INDEX

# tf.train.ExponentialMovingAverage names the shadow of ``g_w1``
# ``g_w1/ExponentialMovingAverage``; --g-average checkpoints hold six.
AVERAGE_SUFFIX = "/ExponentialMovingAverage"
G_NAMES = ("g_w1", "g_b1", "g_w2", "g_b2", "g_w3", "g_b3")


def complete(folder):
    """Complete checkpoints in ``folder``, oldest first: [(epochs, prefix)].

    A checkpoint counts when its index and data files exist; TensorFlow
    writes the index last, by rename, so a checkpoint cut off by kill -9
    has no index and is passed over.
    """
    names = os.listdir(folder)
    found = []
    for name in names:
        m = CHECKPOINT_INDEX.match(name)
        if m:
            stem = name[: -len(".index")]
            if any(n.startswith(stem + ".data-") for n in names):
                found.append((int(m.group(1)), os.path.join(folder, stem)))
    return sorted(found)


def latest(folder):
    """Prefix of the newest complete checkpoint in ``folder``, or None."""
    if not os.path.isdir(folder):
        return None
    found = complete(folder)
    return found[-1][1] if found else None


def epochs_of(prefix):
    """The epochs a checkpoint ``model-<N>`` holds: N (its global_step)."""
    m = re.search(r"-(\d+)$", prefix)
    return int(m.group(1)) if m else None


def find(output=None, checkpoint=None):
    """The checkpoint prefix to use: ``checkpoint`` if given, else the newest
    in the run folder ``output``. Raises UsageError naming what is missing."""
    if checkpoint:
        check_utf8(checkpoint, "--checkpoint")
        if not os.path.exists(checkpoint + ".index"):
            raise UsageError(f"--checkpoint {checkpoint}: no {checkpoint}.index; "
                             "give a prefix such as output/model-500")
        return checkpoint
    prefix = latest(output)
    if prefix is None:
        raise UsageError(f"--output {output}: no checkpoint (model-N.index) there; "
                         "train first or pass --checkpoint")
    return prefix


def damage(prefix):
    """Why checkpoint ``prefix`` cannot be read whole, naming the file, or
    None when every tensor reads back (TensorFlow checks each tensor's
    checksum as it reads it)."""
    from .._tf import tf
    data = [n for n in os.listdir(os.path.dirname(prefix) or ".")
            if n.startswith(os.path.basename(prefix) + ".data-")]
    try:
        reader = tf.train.load_checkpoint(prefix)
    except Exception as e:  # the index is unreadable
        return f"{prefix}.index: {_reason(e)}"
    try:
        for name in reader.get_variable_to_shape_map():
            reader.get_tensor(name)
    except Exception as e:
        where = os.path.join(os.path.dirname(prefix), data[0]) if data else prefix
        return f"{where}: {_reason(e)}"
    return None


def _reason(err):
    """The first line of a reading error, briefly."""
    lines = str(getattr(err, "message", None) or err).strip().splitlines()
    text = lines[0] if lines else type(err).__name__
    return text[:160] + ("..." if len(text) > 160 else "")


def check_intact(prefix, folder=None):
    """Raise UsageError naming the damaged file unless checkpoint ``prefix``
    reads back whole; with ``folder`` (a run's), the message names the
    newest intact checkpoint there and how to resume from it."""
    why = damage(prefix)
    if why is None:
        return
    hint = "; use an intact checkpoint (--checkpoint)"
    if folder is not None:
        older = [p for _, p in complete(folder) if p != prefix]
        intact = next((p for p in reversed(older) if damage(p) is None), None)
        hint = (f"; the newest intact checkpoint is {intact}: resume from it with "
                f"--restore --checkpoint {intact} --branch" if intact else
                "; no intact checkpoint is left: start a new run with --overwrite")
    raise UsageError(f"checkpoint {prefix} is damaged ({why}){hint}")


class Vanished(UsageError):
    """A checkpoint whose files went away while it was read: a training in
    its folder rotated it out (the Saver keeps the newest five)."""


def _files_gone(prefix):
    folder = os.path.dirname(prefix) or "."
    try:
        listed = os.listdir(folder)
    except OSError:
        return True
    stem = os.path.basename(prefix)
    return (stem + ".index" not in listed
            or not any(n.startswith(stem + ".data-") for n in listed))


def unreadable(prefix, err):
    """The UsageError for a checkpoint that could not be read: Vanished when
    its files are gone, else damaged (naming the reason). Never advises
    deleting anything: the files may be intact, and they are the user's."""
    if _files_gone(prefix):
        return Vanished(f"checkpoint {prefix} was removed while it was read (a "
                        "training in its folder keeps only the newest five); "
                        "run the command again")
    return UsageError(f"checkpoint {prefix} is damaged ({_reason(err)}); use an "
                      "intact checkpoint (--checkpoint)")


def _shapes(prefix):
    """{name: shape} of the variables in a checkpoint, read from its index."""
    from .._tf import tf
    try:
        return dict(tf.train.list_variables(prefix))
    except Exception as e:
        raise unreadable(prefix, e) from None


def check_variables(prefix, hp, wanted, optional=()):
    """Raise UsageError unless the checkpoint has every variable in
    ``wanted`` [(name, shape)], with those shapes (which the flags ``hp``
    gave); names in ``optional`` may be missing. Returns the missing ones.
    Reads nothing but the index."""
    found = _shapes(prefix)
    missing = [name for name, _ in wanted if name not in found]
    for name in missing:
        if name not in optional:
            raise UsageError(f"checkpoint {prefix} lacks variable {name!r}; it "
                             "was not written by this model")
    for name, shape in wanted:
        if name in found and list(found[name]) != list(shape):
            hint = ", ".join(" ".join(config.as_flag(f, getattr(hp, f)))
                             for f in config.SHAPE_FIELDS if getattr(hp, f) is not None)
            raise UsageError(
                f"checkpoint {prefix}: {name} has shape {list(found[name])}, "
                f"the flags ({hint}) give {list(shape)}; pass the sizes the "
                "run was trained with")
    return missing


def generator_sizes(prefix):
    """(HParams with the z/h1/h2 sizes of the checkpoint's generator, whether
    it holds an average of G's weights)."""
    shapes = _shapes(prefix)
    try:
        z, h1 = shapes["g_w1"]
        _, h2 = shapes["g_w2"]
    except (KeyError, ValueError):
        raise UsageError(f"checkpoint {prefix}: without the generator's "
                         "variables g_w1, g_w2; not a checkpoint of this "
                         "model") from None
    averaged = "g_w1" + AVERAGE_SUFFIX in shapes
    return config.HParams(z_size=int(z), h1_size=int(h1), h2_size=int(h2)), averaged


def read_generator(prefix, average=True):
    """The generator's six weights from a checkpoint of this package or of
    the tutorial's script: ({name: float32 array} keyed by ``G_NAMES``, whether
    they are the average). ``average=False`` takes G's own weights even when
    the checkpoint holds their average (``--g-average``)."""
    from .._tf import tf
    _, averaged = generator_sizes(prefix)
    averaged = averaged and average
    suffix = AVERAGE_SUFFIX if averaged else ""
    try:
        reader = tf.train.load_checkpoint(prefix)
        return {n: reader.get_tensor(n + suffix) for n in G_NAMES}, averaged
    except Exception as e:  # a checksum or a length that does not match
        raise unreadable(prefix, e) from None

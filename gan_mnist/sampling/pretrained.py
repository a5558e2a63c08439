"""The generator that ships with the package.

``pretrained_generator.npz`` beside this module holds G's six weights (the
moving average of a run of the package's best recipe) as float32 arrays,
and under the key ``info`` a JSON text saying how they were made and what
they score; the run's D (``d_*`` and its settings under ``discriminator``)
rides along for ``--rejection``. ``scripts/shipped/make_pretrained.py`` writes it; ``generate``,
``evaluate`` and ``export`` read it with ``--pretrained``. No data and no
run folder are needed.
"""

import json
import os
import zipfile
import zlib

import numpy as np

from ..errors import UsageError
from ..rundir.checkpoints import G_NAMES
from .generator import check_weights

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "pretrained_generator.npz")
HOW_TO_MAKE = "run 'python scripts/shipped/make_pretrained.py' to make it"


def load(path=PATH):
    """(weights {name: float32 array} for G_NAMES, info dict)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            weights = {n: z[n].astype(np.float32) for n in G_NAMES}
            info = json.loads(str(z["info"])) if "info" in z.files else {}
    except FileNotFoundError:
        raise UsageError(f"{path}: the pretrained generator is missing; "
                         f"{HOW_TO_MAKE}") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
            zlib.error) as e:
        raise UsageError(f"{path}: unreadable pretrained generator "
                         f"({' '.join(str(e).split())[:120]}); {HOW_TO_MAKE}") from None
    try:
        check_weights(weights)  # shapes that fit, and finite numbers
    except ValueError as e:
        raise UsageError(f"{path}: not a usable pretrained generator ({e}); "
                         f"{HOW_TO_MAKE}") from None
    return weights, info


def load_discriminator(path=PATH):
    """The rejection.Discriminator kept in the file (UsageError if none)."""
    from . import rejection
    try:
        with np.load(path, allow_pickle=False) as z:
            return rejection.from_file(z, path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile,
            zlib.error) as e:
        raise UsageError(f"{path}: unreadable discriminator "
                         f"({' '.join(str(e).split())[:120]}); {HOW_TO_MAKE}") from None


def save(path, weights, info, disc=None):
    """Write ``weights`` and ``info`` (a JSON-able dict) as the npz above,
    with rejection.Discriminator ``disc`` if given, whole or not at all."""
    import io

    from ..fileio import write_bytes
    extra = {}
    if disc is not None:
        arrays, settings = disc.as_arrays()
        extra = dict(arrays, discriminator=np.array(json.dumps(settings)))
    buf = io.BytesIO()
    np.savez_compressed(buf, info=np.array(json.dumps(info, sort_keys=True)), **extra,
                        **{n: np.asarray(weights[n], np.float32) for n in G_NAMES})
    write_bytes(path, buf.getvalue())

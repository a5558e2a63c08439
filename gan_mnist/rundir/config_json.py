"""``config.json``: a run's settings, saved with it and read on resume.

It holds every field of ``config.HParams`` (the random seed included), so
``--restore`` needs no flags; it is checked like flags when read.
"""

import json
import os

from ..config import DEFAULTS, TYPE_WORDS, HParams, field_type, typed, validate
from ..errors import UsageError
from ..fileio import write_json
from .names import CONFIG_FILE


def to_dict(hp):
    """HParams as a JSON-able dict."""
    return dict(hp._asdict())


def save(hp, folder):
    """Write the run's configuration to ``folder/config.json`` (atomically)."""
    write_json(os.path.join(folder, CONFIG_FILE), to_dict(hp))


def load(folder):
    """Read and check ``folder/config.json``; None if the run has none (a
    run of the tutorial's script). Keys missing take the defaults (a run of an
    earlier version lacks the newer options); unknown keys, wrong types and
    values out of range raise UsageError naming the file and the field."""
    path = os.path.join(folder, CONFIG_FILE)
    if not os.path.lexists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError) as e:
        msg = " ".join(str(e).split())
        raise UsageError(f"{path}: unreadable ({msg}); restore it, or start a "
                         "new run") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path}: holds {type(raw).__name__}, not an object of "
                         "settings; restore it, or start a new run")
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise UsageError(f"{path}: unknown field {unknown[0]!r}; correct it, or "
                         "start a new run")
    values = {}
    for name, value in raw.items():
        try:
            values[name] = typed(name, value)
        except TypeError:
            raise UsageError(
                f"{path}: field {name!r} is {json.dumps(value)}: must be "
                f"{TYPE_WORDS[field_type(name)]}; correct it, or start a new run"
            ) from None
    return validate(HParams(**values), where=path)

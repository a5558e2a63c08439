"""Checking a search space completely before any trial starts.

``parse(raw, where)`` takes the space as read from its file (a dict) and
returns a ``space.Space``, or raises UsageError with one line that names
``where`` (the file), the key and what to do. Option names are the train
command's (``config.DEFAULTS``), spelt with ``_`` or ``-``; every range end
and choice goes through ``config.validate`` with the fixed options and the
recipe, so what the train command would refuse is refused here first.
"""

import difflib

from .. import config
from ..errors import UsageError
from .space import FIGURES, Param, Space

TOP_KEYS = ("epochs", "eval_every", "eval_num", "objective", "seed", "fixed",
            "search", "pruner", "sampler", "first")
# Train options whose value the tuner sets itself, and why.
OWNED = {
    "output": "each trial has its own folder under the study's",
    "restore": "the tuner resumes an interrupted trial itself",
    "checkpoint": "the tuner resumes an interrupted trial itself",
    "overwrite": "trial folders are never reused",
    "stop_after": "trials stop after `epochs`; fix max_epoch for a longer schedule",
    "eval_every": "set it at the top level: eval_every = K",
    "eval_num": "set it at the top level: eval_num = N",
    "seed": "set seed = N at the top level for one seed, or leave it out for "
            "a seed per trial (its number)",
}
PRUNERS = {  # settings and their defaults (None: eval_every)
    "median": {"startup_trials": 3, "warmup_epochs": 0, "min_trials": 1},
    "halving": {"min_epochs": None, "reduction_factor": 3,
                "min_early_stopping_rate": 0},
    "none": {},
}
PRUNER_MINIMA = {"startup_trials": 0, "warmup_epochs": 0, "min_trials": 1,
                 "min_epochs": 1, "reduction_factor": 2,
                 "min_early_stopping_rate": 0}
SAMPLERS = {"tpe": {"seed": None, "startup_trials": 10},
            "random": {"seed": None}}
_WORDS = {int: "a whole number", float: "a number", str: "a string",
          bool: "true or false"}


def _fail(where, key, problem):
    raise UsageError(f"{where}: {key}: {problem}")


def _whole(where, key, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        top = f" and <= {high}" if high is not None else ""
        _fail(where, key, f"{value!r} must be a whole number >= {low}{top}")
    return value


def _kind(name):
    return str if name == "recipe" else config.field_type(name)


def _option(where, section, key):
    """The train field that ``key`` names in ``section``, or a clear error."""
    name = key.replace("-", "_") if isinstance(key, str) else key
    at = f"{section}.{key}"
    if name in OWNED:
        _fail(where, at, f"set by the tuner ({OWNED[name]}); remove it")
    if name != "recipe" and name not in config.DEFAULTS:
        known = [n for n in config.DEFAULTS if n not in OWNED] + ["recipe"]
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f"did you mean {close[0]}?" if close else \
            "see python -m gan_mnist.train --help for the options"
        _fail(where, at, f"not an option of the train command; {hint}")
    if section == "search" and name == "max_epoch":
        _fail(where, at, "trials train `epochs` epochs; a fixed max_epoch "
              "can stretch their schedule, so put it in [fixed]")
    return name


def _value(where, at, name, value):
    """``value`` as field ``name``'s type (a whole number for a float field
    becomes a float)."""
    kind = _kind(name)
    ok = isinstance(value, kind) and isinstance(value, bool) == (kind is bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        _fail(where, at, f"{value!r} must be {_WORDS[kind]}")
    if name == "recipe" and value not in config.RECIPES:
        _fail(where, at, f"{value!r}: must be one of " + ", ".join(config.RECIPES))
    return value


def _names(where, section, table):
    if not isinstance(table, dict):
        _fail(where, section, "must be a table of options")
    names = {}
    for key in table:
        name = _option(where, section, key)
        if name in names:
            _fail(where, f"{section}.{key}", f"the same option as {names[name]}; "
                  "keep one spelling")
        names[name] = key
    return names


def _param(where, at, name, spec):
    kind = _kind(name)
    if isinstance(spec, list):
        if not spec:
            _fail(where, at, "an empty list of choices; give at least two")
        values = [_value(where, at, name, v) for v in spec]
        if len(set(map(repr, values))) != len(values):
            _fail(where, at, "a choice appears twice; remove it")
        if len(values) < 2:
            _fail(where, at, "one choice only: put it in [fixed]")
        return Param("choice", choices=values)
    if not isinstance(spec, dict):
        _fail(where, at, "must be a range { low = .., high = .. } or a list of choices")
    if kind not in (int, float):
        _fail(where, at, f"takes {_WORDS[kind]}, not a range: give a list of choices")
    extra = sorted(set(spec) - {"low", "high", "log", "step"})
    if extra:
        _fail(where, f"{at}.{extra[0]}", "unknown; a range has low, high, log, step")
    for end in ("low", "high"):
        if end not in spec:
            _fail(where, at, f"a range needs {end}")
    low, high = (_value(where, f"{at}.{e}", name, spec[e]) for e in ("low", "high"))
    log, step = spec.get("log", False), spec.get("step")
    if not isinstance(log, bool):
        _fail(where, f"{at}.log", f"{log!r} must be true or false")
    if low >= high:
        _fail(where, at, f"low {low!r} >= high {high!r}: an empty range; "
              + ("put a single value in [fixed]" if low == high else "swap them"))
    if log and low <= 0:
        _fail(where, at, f"a log range needs low > 0, not {low!r}")
    if step is not None:
        step = _value(where, f"{at}.step", name, step)
        if log or step <= 0:
            _fail(where, f"{at}.step", "must be > 0, and not with log = true")
        n = (high - low) / step
        if abs(n - round(n)) > 1e-9:
            _fail(where, f"{at}.step", f"high - low must be a multiple of {step!r}")
    return Param(kind.__name__, low, high, log, step)


def _check_values(where, fixed, search, max_epoch, top):
    """Every fixed value, range end and choice as the train command would
    check it, on top of each recipe that a trial can have."""
    recipes = search["recipe"].choices if "recipe" in search else [fixed.get("recipe")]
    plain = {k: v for k, v in fixed.items() if k not in ("recipe", "max_epoch")}
    for recipe in recipes:
        by_recipe = config.HParams()._replace(**config.RECIPES.get(recipe, {}))
        base = by_recipe._replace(**plain, max_epoch=max_epoch, **top)
        what = f" with recipe {recipe}" if recipe else ""
        for name, value in list(plain.items()) + [
                (n, v) for n, p in search.items() if n != "recipe" for v in p.values()]:
            at = f"fixed.{name}" if name in plain else f"search.{name}"
            if value is False and getattr(by_recipe, name) is True:
                _fail(where, at, f"false{what}: the recipe turns it on and the "
                      "train command has no flag to turn it off; drop false or "
                      "the recipe")
            try:
                config.validate(base._replace(**{name: value}))
            except UsageError as e:
                _fail(where, at + what, f"{e}; correct it")


def _settings(where, section, raw, kinds, default_kind):
    if not isinstance(raw, dict):
        _fail(where, section, "must be a table")
    kind = raw.get("kind", default_kind)
    if kind not in kinds:
        _fail(where, f"{section}.kind", f"{kind!r}: must be one of " + ", ".join(kinds))
    out = {"kind": kind}
    for key in raw:
        if key != "kind" and key not in kinds[kind]:
            known = ", ".join(kinds[kind]) or "no settings"
            _fail(where, f"{section}.{key}", f"not a setting of {kind} ({known})")
    for key, default in kinds[kind].items():
        out[key] = raw.get(key, default)
    return out


def parse(raw, where):
    """Check the raw space ``raw`` (from the file ``where`` names) and
    return it as a ``Space``."""
    if not isinstance(raw, dict):
        _fail(where, "the file", "must hold a table of settings (see "
              "python -m gan_mnist.tune --print-space)")
    for key in raw:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(str(key), TOP_KEYS, n=1)
            _fail(where, key, "unknown setting; " + (f"did you mean {close[0]}?" if close
                  else "the settings are " + ", ".join(TOP_KEYS)) +
                  " (train options go in [fixed] or [search])")
    epochs = _whole(where, "epochs", raw.get("epochs", 10), 1)
    every = _whole(where, "eval_every", raw.get("eval_every", 2), 1)
    num = _whole(where, "eval_num", raw.get("eval_num", 2000), 10)
    if epochs % every:
        _fail(where, "eval_every", f"{every} does not divide epochs {epochs}: "
              "the last epoch must be evaluated (its figure is the trial's)")
    objective = raw.get("objective", "fid")
    if objective not in FIGURES:
        _fail(where, "objective", f"{objective!r}: must be one of " + ", ".join(FIGURES))
    seed = raw.get("seed")
    if seed is not None:
        _whole(where, "seed", seed, 0, 2**31 - 1)
    fixed_raw, search_raw = raw.get("fixed", {}), raw.get("search", {})
    fixed = {name: _value(where, f"fixed.{key}", name, fixed_raw[key])
             for name, key in _names(where, "fixed", fixed_raw).items()}
    search = {name: _param(where, f"search.{key}", name, search_raw[key])
              for name, key in _names(where, "search", search_raw).items()}
    if not search:
        _fail(where, "search", "empty; give at least one option to vary")
    both = sorted(set(fixed) & set(search))
    if both:
        _fail(where, f"search.{both[0]}", "also in [fixed]; keep it in one")
    max_epoch = fixed.get("max_epoch", epochs)
    if max_epoch < epochs:
        _fail(where, "fixed.max_epoch", f"{max_epoch} < epochs {epochs}; "
              "raise it or lower epochs")
    _check_values(where, fixed, search, max_epoch,
                  {"eval_every": every, "eval_num": num})
    pruner = _settings(where, "pruner", raw.get("pruner", {}), PRUNERS, "median")
    for key, value in pruner.items():
        if key != "kind":
            value = every if value is None else value
            pruner[key] = _whole(where, f"pruner.{key}", value, PRUNER_MINIMA[key])
    sampler = _settings(where, "sampler", raw.get("sampler", {}), SAMPLERS, "tpe")
    for key, value in sampler.items():
        if key != "kind" and value is not None:
            _whole(where, f"sampler.{key}", value, 0, 2**32 - 1)
    first = raw.get("first", [])
    if not isinstance(first, list) or not all(isinstance(f, dict) for f in first):
        _fail(where, "first", "must be a list of tables ([[first]] in TOML)")
    firsts = []
    for i, table in enumerate(first):
        at, point = f"first[{i}]", {}
        for name, key in _names(where, at, table).items():
            if name not in search:
                _fail(where, f"{at}.{key}", "not in [search]; a first trial "
                      "sets searched options only")
            value = _value(where, f"{at}.{key}", name, table[key])
            if not search[name].contains(value):
                _fail(where, f"{at}.{key}", f"{value!r} is outside search.{key}")
            point[name] = value
        firsts.append(point)
    return Space(epochs, every, num, objective, seed, fixed, search, pruner,
                 sampler, firsts, where)

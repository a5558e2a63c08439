"""The search space of a study: what each trial varies, fixes and measures.

A space file is TOML (``.toml``) or JSON (``.json``) of this form::

    epochs = 10          # epochs each trial trains
    eval_every = 2       # evaluate every K epochs: the pruner's steps
    eval_num = 2000      # generated images per evaluation
    objective = "fid"    # or mnist_score, class_kl, precision, recall
    # seed = 1           # every trial with this seed; default: its number

    [fixed]              # train options every trial gets
    recipe = "fast"

    [search]             # train options to vary: a range or a list
    learning_rate = { low = 1e-4, high = 1.6e-3, log = true }
    g_average = [0.0, 0.999]

    [pruner]             # "median", "halving" or "none"
    kind = "median"
    startup_trials = 3

    [[first]]            # configurations to try before sampling
    learning_rate = 4e-4

``load(path)`` reads and checks a file (``checks.parse`` does the checking)
and returns a ``Space``; ``builtin()`` is the space used when none is given;
``Space.train_flags(params, seed)`` turns one trial into train flags.
"""

import json
import os

from ..errors import UsageError
from ..measure import figures

# The evaluation's figures (metrics.csv's columns) and which way is better.
FIGURES = dict(zip(figures.FIGURES,
                   ("minimize", "maximize", "minimize", "maximize", "maximize")))

# Around ``--recipe fast`` (README: time to quality): its learning rate
# log-uniform within a factor 4, and the options it sets that are cheap to
# vary. Its own values are the first trial, a baseline for the pruner.
BUILTIN = {
    "epochs": 10, "eval_every": 2, "eval_num": 2000, "objective": "fid",
    "fixed": {"recipe": "fast"},
    "search": {
        "learning_rate": {"low": 1e-4, "high": 1.6e-3, "log": True},
        "beta1": {"low": 0.0, "high": 0.9},
        "label_smoothing": {"low": 0.0, "high": 0.3},
        "keep_prob": {"low": 0.5, "high": 1.0},
        "g_average": [0.0, 0.99, 0.999, 0.9999],
        "lr_decay": {"low": 0.0, "high": 1.0},
    },
    "pruner": {"kind": "median", "startup_trials": 3, "warmup_epochs": 4},
    "first": [{"learning_rate": 4e-4, "beta1": 0.5, "label_smoothing": 0.1,
               "keep_prob": 0.7, "g_average": 0.999, "lr_decay": 1.0}],
}


class Param:
    """One searched option: ``kind`` "float" or "int" with ``low``,
    ``high``, ``log`` and ``step`` (None: continuous), or "choice" with
    ``choices``."""

    def __init__(self, kind, low=None, high=None, log=False, step=None,
                 choices=None):
        self.kind, self.low, self.high = kind, low, high
        self.log, self.step, self.choices = log, step, choices

    def values(self):
        """The values that bound the option: both ends, or every choice."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]

    def contains(self, value):
        if self.kind == "choice":
            return value in self.choices
        return self.low <= value <= self.high

    def as_dict(self):
        if self.kind == "choice":
            return list(self.choices)
        d = {"low": self.low, "high": self.high, "log": self.log}
        if self.step is not None:
            d["step"] = self.step
        return d


class Space:
    """A checked search space (build it with ``checks.parse``).

    ``fixed`` maps train fields (``recipe`` included) to values, ``search``
    maps fields to ``Param``; ``pruner`` and ``sampler`` are dicts with
    ``kind`` and every setting filled in; ``first`` is a list of dicts of
    searched fields; ``seed`` is None for a seed per trial.
    """

    def __init__(self, epochs, eval_every, eval_num, objective, seed, fixed,
                 search, pruner, sampler, first, where):
        self.epochs, self.eval_every, self.eval_num = epochs, eval_every, eval_num
        self.objective, self.seed, self.fixed = objective, seed, fixed
        self.search, self.pruner, self.sampler = search, pruner, sampler
        self.first, self.where = first, where

    @property
    def direction(self):
        return FIGURES[self.objective]

    def as_dict(self):
        """The canonical form: what a study stores, and what two spaces are
        compared by (a TOML file and its JSON twin give the same)."""
        d = {"epochs": self.epochs, "eval_every": self.eval_every,
             "eval_num": self.eval_num, "objective": self.objective,
             "fixed": dict(self.fixed),
             "search": {k: p.as_dict() for k, p in self.search.items()},
             "pruner": dict(self.pruner),
             # TOML has no null: a setting left unset is left out
             "sampler": {k: v for k, v in self.sampler.items() if v is not None},
             "first": [dict(f) for f in self.first]}
        if self.seed is not None:
            d["seed"] = self.seed
        return d

    def trial_seed(self, number):
        return self.seed if self.seed is not None else number

    def train_flags(self, params, seed):
        """The train command's flags for one trial (all but ``--output`` and
        ``--restore``): ``params`` maps searched fields to values.

        Trials train ``epochs`` epochs. A fixed ``max_epoch`` keeps the
        learning-rate schedule at that length and stops at ``epochs``.
        """
        max_epoch = self.fixed.get("max_epoch", self.epochs)
        words = ["--seed", str(seed), "--max-epoch", str(max_epoch)]
        if max_epoch > self.epochs:
            words += ["--stop-after", str(self.epochs)]
        words += ["--eval-every", str(self.eval_every),
                  "--eval-num", str(self.eval_num)]
        chosen = dict(self.fixed, **params)
        chosen.pop("max_epoch", None)
        if "recipe" in chosen:  # first, so that any flag reads as overriding it
            words += ["--recipe", chosen.pop("recipe")]
        for name, value in chosen.items():
            words += flag_words(name, value)
        return words


def flag_words(name, value):
    """``(field, value)`` as train words. A float is written in full
    (``repr``), not to six digits, so the run gets exactly the value Optuna
    recorded. False for a switch is no word at all: the train command has
    no flag to turn one off (``checks`` refuses False where a recipe sets it)."""
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return [flag] if value else []
    return [flag, repr(value) if isinstance(value, float) else str(value)]


def load(path):
    """Read and check the space file at ``path``; raise UsageError naming
    the file (and the key) when it cannot be used."""
    from . import checks
    where = f"--space {path}"
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".toml", ".json"):
        raise UsageError(f"{where}: name it .toml or .json (its format)")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UsageError(f"{where}: cannot read it ({e.strerror}); check the "
                         "path") from None
    try:
        if ext == ".json":
            raw = json.loads(data.decode("utf-8"))
        else:
            try:
                import tomllib
            except ImportError:  # Python before 3.11
                raise UsageError(f"{where}: reading TOML needs Python 3.11 or "
                                 "later; write the space as .json") from None
            raw = tomllib.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        msg = " ".join(str(e).split())
        raise UsageError(f"{where}: not valid {ext[1:].upper()} ({msg}); "
                         "correct it") from None
    return checks.parse(raw, where)


def builtin():
    from . import checks
    return checks.parse(BUILTIN, "the built-in space")


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the names used here
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"


def to_toml(space):
    """The space as a TOML file that ``load`` reads back to the same space
    (``--print-space``: a start for one's own file)."""
    d = space.as_dict()
    lines = [f"{k} = {_toml_value(d[k])}" for k in
             ("epochs", "eval_every", "eval_num", "objective", "seed") if k in d]
    for table in ("fixed", "search", "pruner", "sampler"):
        lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}"
                                       for k, v in d[table].items()]
    for first in d["first"]:
        lines += ["", "[[first]]"] + [f"{k} = {_toml_value(v)}"
                                      for k, v in first.items()]
    return "\n".join(lines) + "\n"

"""Hyperparameters: the tutorial's defaults in one place, the recipes, and
the checks every value passes (flags, or a run's config.json).

Every default below is the tutorial's value; the comment says what it does.
Tests build ``HParams`` directly and vary it with ``_replace(...)``.
"""

import collections
import json

from .errors import UsageError

IMAGE_SIZE = 28 * 28   # pixels of one MNIST image, flattened
GRID_SIZE = (8, 8)     # sample grids hold 8x8 digits ...
GRID_PAD = 5           # ... with 5 black pixels between them: 259x259

DEFAULTS = collections.OrderedDict([
    ("max_epoch", 500),         # epochs to train in all (a resume stops here too)
    ("batch_size", 256),        # real images per step (plus as many generated)
    ("h1_size", 256),           # G's first hidden layer; D's second
    ("h2_size", 512),           # G's second hidden layer; D's first
    ("z_size", 128),            # length of the generator's noise vector
    ("learning_rate", 1e-4),    # Adam step size, shared by the D and G updates
    ("keep_prob", 0.7),         # probability of keeping a D unit in dropout
    ("data_dir", "MNIST_data"), # folder with the MNIST IDX files
    ("output", "output"),       # folder for grids, checkpoints and metrics.csv
    ("seed", None),             # every random number comes from it; None: drawn
                                # at start, printed and saved with the run
    ("shuffle", False),         # False: the training set in file order each
                                # epoch, as the tutorial; True: an order per epoch
                                # from (seed, epoch)
    ("limit", None),            # train on the first N images only (quick
                                # trials and tests); None: all 60000
    ("eval_every", 0),          # evaluate (FID, ...) every K epochs; 0: never
    ("eval_num", 2000),         # generated images per evaluation in training
    # Training options beyond the tutorial's; each default is its behaviour.
    ("beta1", 0.9),             # Adam's beta1 (the tutorial: TensorFlow's default)
    ("label_smoothing", 0.0),   # one-sided: D's target for real images is
                                # 1 - this (Salimans et al. 2016); 0: the tutorial
    ("init", "truncated_normal"),  # weights: the tutorial's truncated normal
                                # (stddev 0.1) or "glorot" uniform
    ("leaky_relu", 0.0),        # slope of D's activations below 0 (Radford
                                # et al. 2015 use 0.2); 0: the tutorial's relu
    ("g_average", 0.0),         # decay of a moving average of G's weights,
                                # updated every iteration; grids, evaluation
                                # and sampling use it (Karras et al. 2018,
                                # Yazici et al. 2019); 0: none, the tutorial
    ("beta2", 0.999),           # Adam's beta2 (the tutorial: TensorFlow's default)
    ("d_learning_rate", None),  # D's Adam step size; None: --learning-rate.
    ("g_learning_rate", None),  # G's; a larger D rate is the two time-scale
                                # update rule (Heusel et al. 2017)
    ("lr_decay", 0.0),          # share of the run, at its end, over which both
                                # rates fall linearly to 0; 0: constant rates
    ("r1", 0.0),                # gamma of the R1 penalty gamma/2 |grad_x D(x)|^2
                                # on real images (Mescheder et al. 2018); 0: none
    ("d_steps", 1),             # D updates per G update, each on its own real
                                # batch; 1: the tutorial's alternation
    ("precision", "float32"),   # "bfloat16": the matmuls in bfloat16 on CPUs
                                # that have it (oneDNN's mixed precision);
                                # variables, Adam and checkpoints stay float32
    ("xla", False),             # True: each run call's chained steps compiled
                                # by XLA into one program (faster at small
                                # batches); the same mathematics, rounded
                                # differently: a run resumes exactly only
                                # with the setting it started with
    # Options of the discriminator alone: G stays the tutorial's, so its
    # checkpoints, the export and the pretrained file keep their shape.
    ("d_h1_size", None),        # D's second hidden layer; None: --h1-size
    ("d_h2_size", None),        # D's first hidden layer; None: --h2-size
    ("mbstd", False),           # True: D's last layer also sees the batch's
                                # standard deviation of its features, real and
                                # generated halves apart (Karras et al. 2018)
    ("spectral_norm", False),   # True: D's weights divided by their largest
                                # singular value, one power iteration a step
                                # (Miyato et al. 2018)
    ("loss", "nonsaturating"),  # "hinge": max(0, t - D) + max(0, 1 + D) for
                                # D (t: 1 - label_smoothing) and -D for G, on
                                # logits (Lim & Ye 2017); default: the tutorial's
    ("top_k", 0.0),             # > 0: G learns only from the k most
                                # convincing fakes of each batch, k falling
                                # from B by --top-k-decay each epoch to this
                                # share of B (Sinha et al. 2020); 0: all
    ("top_k_decay", 0.99),      # top-k's factor per epoch
])

INITS = ("truncated_normal", "glorot")
LOSSES = ("nonsaturating", "hinge")
MAX_EPOCHS = 10**9  # far beyond any run; keeps every iteration count in int64
PRECISIONS = ("float32", "bfloat16")

# ``--recipe NAME`` sets these fields (docs/results.md: the ablation says why); flags
# given on the command line override them. The sizes never change, so a
# recipe's checkpoints stay interchangeable with the tutorial's.
RECIPES = {
    "improved": collections.OrderedDict([
        ("learning_rate", 2e-4),   # Radford et al. 2015 (DCGAN)
        ("batch_size", 32),        # 8x the updates per epoch
        ("beta1", 0.5),            # Radford et al. 2015
        ("shuffle", True),
        ("label_smoothing", 0.1),  # Salimans et al. 2016
        ("init", "glorot"),        # Glorot & Bengio 2010
        ("leaky_relu", 0.2),       # Radford et al. 2015
        ("g_average", 0.999),      # Yazici et al. 2019
    ]),
}
# The fastest to good digits (docs/results.md: time to quality): twice the rate,
# falling linearly to 0 over the run's 100 epochs.
RECIPES["fast"] = collections.OrderedDict(
    RECIPES["improved"], learning_rate=4e-4, lr_decay=1.0, max_epoch=100)
# The best digits within 100 epochs (docs/results.md: near-real digits, the
# search): fast with D's minibatch standard deviation (Karras et al. 2018).
RECIPES["quality"] = collections.OrderedDict(RECIPES["fast"], mbstd=True)


def as_flag(field, value):
    """The command-line words that set ``field`` to ``value``, e.g.
    ("beta1", 0.5) -> ["--beta1", "0.5"], ("shuffle", True) -> ["--shuffle"]."""
    flag = "--" + field.replace("_", "-")
    if value is True:
        return [flag]
    return [flag, f"{value:g}" if isinstance(value, float) else str(value)]


def recipe_flags(name):
    """The flags recipe ``name`` stands for, as a user would type them."""
    return " ".join(w for field, value in RECIPES[name].items()
                    for w in as_flag(field, value))


HParams = collections.namedtuple("HParams", list(DEFAULTS))
HParams.__new__.__defaults__ = tuple(DEFAULTS.values())

# Fields that fix the shapes of the variables in a checkpoint.
SHAPE_FIELDS = ("h1_size", "h2_size", "z_size", "d_h1_size", "d_h2_size")

# The type of every field: that of its default, or for fields whose default
# is None, these (None stays allowed for them).
_NULLABLE = {"seed": int, "limit": int, "d_h1_size": int, "d_h2_size": int,
             "d_learning_rate": float,
             "g_learning_rate": float}
TYPE_WORDS = {int: "a whole number", float: "a number", str: "a string",
               bool: "true or false"}


def field_type(name):
    return _NULLABLE.get(name) or type(DEFAULTS[name])


def typed(name, value):
    """``value`` as field ``name``'s type (an int for a float field becomes
    a float), or raise TypeError."""
    kind = field_type(name)
    if value is None and name in _NULLABLE:
        return None
    if isinstance(value, bool) != (kind is bool):
        raise TypeError(name)
    if kind is float and isinstance(value, int):
        return float(value)
    if not isinstance(value, kind):
        raise TypeError(name)
    return value


def validate(hp, where=None):
    """Raise UsageError naming the flag (or, with ``where``, the file and
    field) when a value has the wrong type or cannot work; returns hp."""
    def bad(name, value, why):
        if where:
            raise UsageError(f"{where}: field {name!r} is {json.dumps(value)}: "
                             f"{why}; correct it, or start a new run")
        raise UsageError(f"--{name.replace('_', '-')} {value}: {why}")

    for name, value in hp._asdict().items():
        try:
            typed(name, value)
        except TypeError:
            bad(name, value, f"must be {TYPE_WORDS[field_type(name)]}")
    if not 0 <= hp.max_epoch <= MAX_EPOCHS:
        bad("max_epoch", hp.max_epoch, f"must be a whole number in 0..{MAX_EPOCHS}")
    for name in ("batch_size", "h1_size", "h2_size", "z_size", "d_steps",
                 "d_h1_size", "d_h2_size"):
        if getattr(hp, name) is not None and getattr(hp, name) < 1:
            bad(name, getattr(hp, name), "must be a whole number >= 1")
    for name in ("learning_rate", "d_learning_rate", "g_learning_rate"):
        v = getattr(hp, name)
        if v is not None and not 0 < v < float("inf"):
            bad(name, v, "must be a finite number > 0")
    if not (0 < hp.keep_prob <= 1):
        bad("keep_prob", hp.keep_prob, "must be in (0, 1]")
    if hp.seed is not None and not (0 <= hp.seed < 2**31):
        bad("seed", hp.seed, "must be in 0..2147483647")
    if hp.eval_every < 0:
        bad("eval_every", hp.eval_every, "must be a whole number >= 0")
    if hp.eval_num < 10:
        bad("eval_num", hp.eval_num, "must be a whole number >= 10")
    for name, top in (("beta1", 1), ("beta2", 1), ("leaky_relu", 1),
                      ("label_smoothing", 0.5)):
        if not 0 <= getattr(hp, name) < top:
            bad(name, getattr(hp, name), f"must be in [0, {top:g})")
    if not 0 <= hp.g_average < 1:
        bad("g_average", hp.g_average, "must be in [0, 1), e.g. 0.999; 0: off")
    if hp.limit is not None and hp.limit < 1:
        bad("limit", hp.limit, "must be a whole number >= 1")
    if not 0 <= hp.lr_decay <= 1:
        bad("lr_decay", hp.lr_decay, "must be in [0, 1]: the share of the run "
            "at its end over which the rates fall to 0")
    if not 0 <= hp.r1 < float("inf"):
        bad("r1", hp.r1, "must be a finite number >= 0")
    if not 0 <= hp.top_k < 1:
        bad("top_k", hp.top_k, "must be in [0, 1): the share of the batch G "
            "learns from in the end; 0: all of it")
    if not 0 < hp.top_k_decay <= 1:
        bad("top_k_decay", hp.top_k_decay, "must be in (0, 1]")
    for name, choices in (("init", INITS), ("precision", PRECISIONS),
                          ("loss", LOSSES)):
        if getattr(hp, name) not in choices:
            bad(name, getattr(hp, name), "must be one of " + ", ".join(choices))
    if hp.xla and hp.precision != "float32":
        bad("precision", hp.precision, "the bfloat16 rewrite does not reach into "
            "an XLA program; drop --xla, or use --precision float32")
    if not hp.data_dir:
        bad("data_dir", hp.data_dir, "must name a folder")
    return hp

"""The train command's flags: one per ``config.HParams`` field, with its
help, and the modes that say how to treat the output folder this time.
The defaults themselves live in ``config.DEFAULTS``.
"""

import argparse

from . import cli, config
from .config import DEFAULTS

# How to treat the output folder and when to stop, this time: not saved.
MODES = ("restore", "checkpoint", "branch", "overwrite", "stop_after")


# How to treat the output folder and when to stop this time (not saved):
# flag -> (argparse options, help).
_MODE_FLAGS = {
    "--restore": ({"action": "store_true"}, "continue the run in --output from its "
                  "newest checkpoint; its config.json supplies the flags not given"),
    "--checkpoint": ({"metavar": "PREFIX"}, "with --restore: go on from this checkpoint "
                     "of the run (e.g. output/model-35), not the newest"),
    "--branch": ({"action": "store_true"}, "with --restore --checkpoint of an older one: "
                 "set the run's later epochs aside in a folder of the run (nothing is "
                 "deleted) and go on from it"),
    "--overwrite": ({"action": "store_true"}, "start a new run in an --output that holds "
                    "one, deleting that run's files (and only those)"),
    "--stop-after": ({"metavar": "EPOCHS", "type": int}, "stop (with a checkpoint) once "
                     "the run holds this many epochs; the learning-rate decay still "
                     "spans --max-epoch, and --restore goes on"),
}


def train_parser(prog):
    """The train command's parser: a flag per HParams field (its default
    hidden, so that only flags given reach the namespace) and the MODES."""
    p = cli.ArgumentParser(prog, "Train the vanilla GAN of the tutorial on MNIST.")

    def flag(name, type_, help_, shown=None, **kw):
        # SUPPRESS: only the flags given reach the namespace, so that they
        # override the recipe and the run's config.json and nothing else does.
        if type_ is not None:
            kw["type"] = type_
        action = p.add_argument("--" + name.replace("_", "-"), dest=name,
                                default=argparse.SUPPRESS, help=help_, **kw)
        action.shown_default = shown or DEFAULTS[name]

    flag("max_epoch", int, "epochs to train in all")
    flag("batch_size", int, "real images per step")
    flag("h1_size", int, "generator's first / discriminator's second hidden layer")
    flag("h2_size", int, "generator's second / discriminator's first hidden layer")
    flag("z_size", int, "length of the noise vector")
    flag("learning_rate", float, "Adam learning rate")
    flag("keep_prob", float, "dropout keep probability in the discriminator")
    flag("data_dir", str, "folder with the MNIST IDX files",
         "MNIST_data, else the files packaged with gan_mnist")
    flag("output", str, "folder for grids, checkpoints and metrics.csv")
    flag("seed", int, "random seed of every random number", "drawn and saved")
    flag("shuffle", None, "new order of the training set each epoch, from the "
         "random seed and the epoch", "file order, as the tutorial",
         action="store_true")
    flag("limit", int, "train on the first N training images only", "all")
    flag("eval_every", int, "evaluate FID, MNIST score, class KL, precision "
         "and recall every K epochs into metrics.csv; 0: never")
    flag("eval_num", int, "generated images per evaluation in training")
    flag("beta1", float, "Adam's beta1")
    flag("label_smoothing", float, "one-sided label smoothing: D's target for "
         "real images is 1 minus this")
    flag("init", None, "weight initialisation", choices=config.INITS)
    flag("leaky_relu", float, "slope of D's activations below 0; 0: relu")
    flag("g_average", float, "decay of a moving average of G's weights, "
         "updated every iteration and used for grids, evaluation and "
         "sampling (e.g. 0.999); 0: none")
    flag("beta2", float, "Adam's beta2")
    flag("d_learning_rate", float, "D's Adam learning rate (a larger one than "
         "G's is the two time-scale update rule)", "--learning-rate")
    flag("g_learning_rate", float, "G's Adam learning rate", "--learning-rate")
    flag("lr_decay", float, "share of the run, at its end, over which the "
         "learning rates fall linearly to 0 (e.g. 0.5: the second half); 0: none")
    flag("r1", float, "gamma of an R1 gradient penalty on real images, "
         "gamma/2 |grad D(x)|^2; 0: none")
    flag("d_steps", int, "D updates per G update, each on its own batch")
    flag("precision", None, "bfloat16: matmuls in bfloat16 on a CPU that has it "
         "(variables, Adam and checkpoints stay float32)", choices=config.PRECISIONS)
    flag("xla", None, "compile each run call's chained steps with XLA into one "
         "program: faster at small batches on a CPU, the same mathematics "
         "rounded differently", "TensorFlow's kernels, op by op",
         action="store_true")
    flag("d_h1_size", int, "discriminator's second hidden layer", "--h1-size")
    flag("d_h2_size", int, "discriminator's first hidden layer", "--h2-size")
    flag("mbstd", None, "D's last layer also sees the batch's standard deviation "
         "of its features (real and generated halves apart)", "off",
         action="store_true")
    flag("spectral_norm", None, "divide D's weights by their largest singular "
         "value (one power iteration a step)", "off", action="store_true")
    flag("loss", None, "the GAN's loss: the tutorial's cross-entropy or the hinge",
         choices=config.LOSSES)
    flag("top_k", float, "G learns only from the most convincing fakes of a batch, "
         "their number falling by --top-k-decay each epoch to this share; 0: all",
         "0")
    flag("top_k_decay", float, "top-k's factor per epoch")
    flag("recipe", None, "set several options at once: " + "; ".join(
        f"'{name}' is {config.recipe_flags(name)}" for name in config.RECIPES)
        + "; flags given as well override it", "none, the tutorial's settings",
        choices=sorted(config.RECIPES))
    for name, (kw, help_) in _MODE_FLAGS.items():
        p.add_argument(name, help=help_, **kw)
    return p

"""Train the GAN: ``python -m gan_mnist.train [flags]``.

With no flags this is the tutorial's run: 500 epochs at batch 256 over the
MNIST training set in file order, grids ``output/sample<epoch>.jpg`` and
checkpoints ``output/model-<epochs done>``; ``--restore`` continues it.

This module only turns flags into ``HParams`` (``resolve``), checks the run
(``training.preflight``) and hands it to ``training.loop``; it loads no
TensorFlow itself, so bad input is reported before TensorFlow's start-up.
"""

import argparse
import os
import secrets
import sys

from . import cli, config
from .config import DEFAULTS, HParams
from .errors import UsageError
from .rundir import checkpoints, config_json, lock
from .training import preflight
from .training.interrupt import Stopped, resume_command

PROG = cli.prog("train")

# How to treat the output folder and when to stop, this time: not saved.
MODES = ("restore", "checkpoint", "overwrite", "stop_after")


def _parser():
    p = cli.ArgumentParser(PROG, "Train the vanilla GAN of the tutorial on MNIST.")

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
    flag("recipe", None, "set several options at once: " + "; ".join(
        f"'{name}' is {config.recipe_flags(name)}" for name in config.RECIPES)
        + "; flags given as well override it", "none, the tutorial's settings",
        choices=sorted(config.RECIPES))
    p.add_argument("--restore", action="store_true",
                   help="continue from the newest checkpoint in --output; the "
                        "run's config.json supplies the flags not given")
    p.add_argument("--checkpoint", metavar="PREFIX",
                   help="with --restore: continue from this checkpoint of the "
                        "run (e.g. output/model-35) instead of the newest")
    p.add_argument("--overwrite", action="store_true",
                   help="start a new run in an --output that holds one, "
                        "deleting that run's files (and only those)")
    p.add_argument("--stop-after", metavar="EPOCHS", type=int,
                   help="stop (with a checkpoint) once the run holds this many "
                        "epochs, although --max-epoch is more; the learning-rate "
                        "decay still spans --max-epoch, and --restore goes on")
    return p


def parse_args(argv=None):
    """Flags -> (explicit, modes): the flags the user gave, as a dict of
    HParams fields, and the MODES as a dict."""
    args = vars(_parser().parse_args(argv))
    modes = {k: args.pop(k) for k in MODES}
    if modes["stop_after"] is not None and modes["stop_after"] < 1:
        raise UsageError(f"--stop-after {modes['stop_after']}: must be at least 1")
    if modes["restore"] and modes["overwrite"]:
        raise UsageError("--restore and --overwrite: choose one (continue the "
                         "run, or start over)")
    if modes["checkpoint"] and not modes["restore"]:
        raise UsageError("--checkpoint: only with --restore")
    return args, modes


def resolve(explicit, restore, notes=None):
    """The run's HParams: flags given > --recipe > the run's config.json (on
    restore) > the defaults. The output folder is always where the run is
    now. A recipe's values are saved in config.json like flags, so a resume
    needs no --recipe. A random seed not given nor stored is drawn here,
    once; a line saying so is appended to the list ``notes`` when given."""
    explicit = dict(explicit)
    recipe = config.RECIPES.get(explicit.pop("recipe", None), {})
    folder = explicit.get("output", DEFAULTS["output"])
    stored = config_json.load(folder) if restore and os.path.isdir(folder) else None
    base = stored if stored is not None else HParams()
    hp = config.validate(base._replace(**recipe)._replace(
        **dict(explicit, output=folder)))
    if hp.seed is None:
        hp = hp._replace(seed=secrets.randbelow(2**31))
        if notes is not None:
            notes.append(f"seed {hp.seed} (drawn; --seed {hp.seed} repeats this run)")
    return hp


def main(argv=None):
    folder = [None]  # known once the flags are read

    def body():
        explicit, modes = parse_args(argv)
        notes = []
        hp = resolve(explicit, modes["restore"], notes)
        folder[0] = hp.output
        data_dir = preflight.data_folder(hp, "data_dir" in explicit)
        images = preflight.load_inputs(hp, modes["restore"], data_dir)
        with lock.lock(hp.output):
            plan = preflight.prepare(hp, modes["restore"], modes["overwrite"],
                                     images, modes["checkpoint"], data_dir)
            for line in notes:
                print(line, flush=True)
            from .training import loop  # TensorFlow loads here, after the checks
            try:
                loop.train(plan, stop_after=modes["stop_after"])
            except Stopped as e:
                print(f"{PROG}: {e}", file=sys.stderr)
                sys.exit(e.status)

    cli.run_command(PROG, body, lambda: resume_advice(folder[0]))


def resume_advice(folder):
    """How to continue the run in ``folder``; None without a finished epoch."""
    if folder is None or checkpoints.latest(folder) is None:
        return None
    return f"resume with: {resume_command(folder)}"


if __name__ == "__main__":
    main()

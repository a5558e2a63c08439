"""Train the GAN: ``python -m gan_mnist.train [flags]``.

With no flags this is the tutorial's run: 500 epochs at batch 256 over the
MNIST training set in file order, grids ``output/sample<epoch>.jpg`` and
checkpoints ``output/model-<epochs done>``; ``--restore`` continues it.

This module only turns flags into ``HParams`` (``resolve``), checks the run
(``training.preflight``) and hands it to ``training.loop``; it loads no
TensorFlow itself, so bad input is reported before TensorFlow's start-up.
"""

import os
import secrets
import sys

from . import cli, config, flags
from .config import DEFAULTS, HParams
from .errors import UsageError
from .rundir import config_json
from .training import interrupt, preflight
from .training.interrupt import Stopped

PROG = cli.prog("train")

def parse_args(argv=None):
    """Flags -> (explicit, modes): the flags the user gave, as a dict of
    HParams fields, and the flags.MODES as a dict."""
    args = vars(flags.train_parser(PROG).parse_args(argv))
    modes = {k: args.pop(k) for k in flags.MODES}
    if modes["stop_after"] is not None and not 1 <= modes["stop_after"] <= config.MAX_EPOCHS:
        raise UsageError(f"--stop-after {modes['stop_after']}: must be in "
                         f"1..{config.MAX_EPOCHS}")
    if modes["restore"] and modes["overwrite"]:
        raise UsageError("--restore and --overwrite: choose one (continue the "
                         "run, or start over)")
    for flag in ("checkpoint", "branch"):
        if modes[flag] and not modes["restore"]:
            raise UsageError(f"--{flag}: only with --restore")
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
    if stored is not None and explicit.get("seed", stored.seed) != stored.seed:
        raise UsageError(f"--seed {explicit['seed']}: the run in {folder} has random "
                         f"seed {stored.seed}, and a run keeps its seed; leave "
                         "--seed out, or start a new run in another --output")
    base = stored if stored is not None else HParams()
    hp = config.validate(base._replace(**recipe)._replace(
        **dict(explicit, output=folder)))
    if hp.seed is None:
        hp = hp._replace(seed=secrets.randbelow(2**31))
        if notes is not None:
            notes.append(f"seed {hp.seed} (drawn; --seed {hp.seed} repeats this run)")
    return hp


def main(argv=None):
    held = [None]  # the run's HParams, once the flags are read

    def body():
        explicit, modes = parse_args(argv)
        notes = []
        hp = resolve(explicit, modes["restore"], notes)
        held[0] = hp
        with preflight.planned(hp, modes, "data_dir" in explicit) as (plan, found):
            for line in found + notes:
                print(line, flush=True)
            from .training import loop  # TensorFlow loads here, after the checks
            try:
                loop.train(plan, stop_after=modes["stop_after"])
            except Stopped as e:
                print(f"{PROG}: {e}", file=sys.stderr)
                sys.exit(e.status)

    cli.run_command(PROG, body, lambda: held[0] and interrupt.advice(held[0]))


if __name__ == "__main__":
    main()

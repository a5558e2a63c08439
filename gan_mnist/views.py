"""``python -m gan_mnist.views --output RUN``: redraw a run's pictures.

Rebuilds ``losses.png`` and ``progress.gif`` from the run's metrics.csv and
sample grids, e.g. after copying a run elsewhere or after training was
stopped between two redraws.
"""

import os
import sys

from . import cli
from .config import DEFAULTS
from .errors import UsageError
from .rundir import lock, pictures

PROG = cli.prog("views")


def main(argv=None):
    p = cli.ArgumentParser(PROG, "Rebuild losses.png and progress.gif of a run.")
    p.add_argument("--output", default=DEFAULTS["output"], help="the run folder")

    def body():
        args = p.parse_args(argv)
        if not os.path.isdir(args.output):
            raise UsageError(f"--output {args.output}: no such folder")
        # Not while a training writes into the folder.
        with lock.shared(args.output), cli.signals_held():
            written = pictures.refresh(args.output)
        if not written:
            raise UsageError(f"--output {args.output}: no metrics.csv and no "
                             "sample grids to draw")
        for path in written:
            print("wrote", path)

    cli.run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

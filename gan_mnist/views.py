"""``python -m gan_mnist.views --output RUN``: redraw a run's pictures.

Rebuilds ``losses.png`` and ``progress.gif`` (see ``pictures``) from the
run's metrics.csv and sample grids, e.g. after copying a run elsewhere or
after training was stopped between two redraws.
"""

import os
import sys

from . import pictures
from .errors import ArgumentParser, UsageError, exit_with


def main(argv=None):
    p = ArgumentParser(prog="python -m gan_mnist.views",
                                description="Rebuild losses.png and progress.gif of a run.")
    p.add_argument("--output", default="output", help="the run folder")
    args = p.parse_args(argv)
    try:
        if not os.path.isdir(args.output):
            raise UsageError(f"--output {args.output}: no such folder")
        written = pictures.refresh(args.output)
        if not written:
            raise UsageError(f"--output {args.output}: no metrics.csv and no "
                             "sample grids to draw")
    except UsageError as e:
        exit_with(e, "python -m gan_mnist.views")
    for path in written:
        print("wrote", path)


if __name__ == "__main__":
    sys.exit(main())

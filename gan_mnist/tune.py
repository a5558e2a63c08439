"""Search the train command's options with Optuna: ``python -m gan_mnist.tune``.

    python -m gan_mnist.tune --study runs/tune --trials 20 --jobs 2
    python -m gan_mnist.tune --study runs/tune --space space.toml \\
        --storage postgresql://user@db-host/tune      # on every machine
    python -m gan_mnist.tune --study runs/tune --report

Each trial is a real run of ``python -m gan_mnist.train`` in its own folder
under ``STUDY/trials/``, evaluated every few epochs; the evaluations go to
Optuna as it trains, and its pruner stops the trials that are clearly
behind. The storage defaults to SQLite in the study folder. A worker
stopped in any way, even by SIGKILL, loses nothing: its trial goes on from
its newest checkpoint when a worker starts again.

This module reads flags and hands them to ``gan_mnist.tuning``; the space
file is checked before Optuna loads, and TensorFlow never loads here (only
in the train children). Needs ``pip install '.[tune]'``.
"""

import shlex
import sys

from . import cli
from .cli import ArgumentParser, run_command
from .errors import UsageError

PROG = cli.prog("tune")


def parse_args(argv):
    p = ArgumentParser(PROG, "Search the train command's options with Optuna.")
    p.add_argument("--study", metavar="DIR", default="tune",
                   help="folder of the study on this machine: its trial folders, "
                        "study.json and by default its SQLite storage (default: tune)")
    p.add_argument("--space", metavar="FILE",
                   help="search space, .toml or .json (default: the study's own, "
                        "or for a new study the built-in space around --recipe "
                        "fast; --print-space shows it)")
    p.add_argument("--storage", metavar="URL",
                   help="Optuna storage, a database URL such as postgresql://"
                        "user@host/db; the same URL on several machines makes one "
                        "study (default: the one study.json names, else "
                        "sqlite:///STUDY/study.db)")
    p.add_argument("--name", help="study name in the storage (default: the one "
                                  "study.json names, else gan_mnist)")
    p.add_argument("--trials", type=int, metavar="N", help="finished trials "
                   "(complete or pruned) the study should have, counted over every "
                   "worker and machine; kept in the study, so that a restart or "
                   "another machine need not give it (default: the study's, else 20)")
    p.add_argument("--jobs", type=int, metavar="N", help="worker processes on this machine, "
                   "each child training with cores/jobs threads (default: 1)")
    p.add_argument("--report", action="store_true",
                   help="print the best trials with the train command of each, "
                        "and draw the study as a PNG; trains nothing")
    p.add_argument("--top", type=int, metavar="K",
                   help="with --report: trials to list (default: 5)")
    p.add_argument("--picture", metavar="PNG", help="with --report: where to draw "
                   "the study (default: STUDY/study.png)")
    p.add_argument("--print-space", action="store_true",
                   help="print the search space (--space, else the built-in "
                        "one) as TOML, a start for one's own file, and stop")
    args = p.parse_args(argv)
    for flag in ("trials", "jobs", "top"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise UsageError(f"--{flag} {value}: must be at least 1")
    if args.report:
        wrong = [f for f in ("space", "trials", "jobs") if getattr(args, f) is not None]
        if wrong or args.print_space:
            raise UsageError(f"--report: not with --{(wrong or ['print-space'])[0]}"
                             " (a report reads the study, it trains nothing)")
    else:
        for flag in ("top", "picture"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag}: only with --report")
    return args


def _optuna_or_advice():
    try:
        import optuna  # noqa: F401
    except ImportError:
        raise UsageError("needs Optuna: pip install 'gan_mnist[tune]' (or pip "
                         "install optuna)") from None


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)

    def body():
        args = parse_args(argv)
        from .tuning import space as spaces
        space = spaces.load(args.space) if args.space else None  # before Optuna
        if args.print_space:
            sys.stdout.write(spaces.to_toml(space or spaces.builtin()))
            return
        _optuna_or_advice()
        if args.report:
            from .tuning import report
            report.run(args.study, args.storage, args.name, args.top or 5, args.picture)
            return
        from .tuning import study
        study.tune(args.study, space, args.storage, args.name, args.trials,
                   args.jobs or 1)

    run_command(PROG, body, lambda: "go on with: " + shlex.join(
        ["python", "-m", "gan_mnist.tune", *argv]))


if __name__ == "__main__":
    main()

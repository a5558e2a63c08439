"""Does discriminator rejection sampling (Azadi et al. 2019) pay on a run?

    python scripts/experiments/rejection.py --output RUN --num 10000 --gammas 50 80 95

For G's moving average (what generate and evaluate use) and for G's own
weights, it prints the figures of ``--num`` plain samples and of ``--num``
samples drawn with ``--rejection`` at each percentile of ``--gammas``, with
the share of draws kept, and the CPU. The method and its D are
``gan_mnist.sampling.rejection``'s, as generate and evaluate use them.
"""

import argparse

from gan_mnist.cpu import cpu_name
from gan_mnist.measure.figures import FIGURES, TERMS
from gan_mnist.rundir import checkpoints
from gan_mnist.sampling import rejection, sources
from gan_mnist.sampling.generator import Generator


def main(argv=None):
    from gan_mnist.measure import scoring
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", required=True, help="the run's folder")
    p.add_argument("--num", type=int, default=10000)
    p.add_argument("--gammas", type=float, nargs="+", default=[50.0, 80.0, 95.0],
                   help="percentiles of F over the burn-in to use as gamma")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    prefix = checkpoints.find(args.output)
    disc = rejection.from_checkpoint(prefix)
    keys = FIGURES + TERMS
    print(f"{prefix} on {cpu_name()}")
    print("| G | sampling | acceptance | " + " | ".join(keys) + " |")
    print("|" + " --- |" * (3 + len(keys)))
    for average in (True, False):
        src = sources.load(checkpoint=prefix, average=average)
        name = "average" if src.averaged else "own weights"
        for g in [None, *args.gammas]:
            if g is None:
                x, _ = sources.draw(src, args.num, args.seed)
                label, rate = "plain", 1.0
            else:
                gen = Generator(src.weights, src.averaged)
                x, rate = rejection.sample(gen, disc, args.num, args.seed, g)
                gen.close()
                label = f"DRS, gamma at percentile {g:g}"
            fig = scoring.score_images(x)
            print(f"| {name} | {label} | {rate:.3f} | "
                  + " | ".join(f"{fig[k]:.4g}" for k in keys) + " |", flush=True)
        if not src.averaged:
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

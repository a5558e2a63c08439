"""Does discriminator-driven latent sampling (Che et al. 2020) pay on a run?

    python scripts/experiments/refine.py --output RUN --steps 0 20 30 50 --rejection 50
    python scripts/experiments/refine.py --pretrained --steps 20 50 --langevin

From ``--num`` draws of noise seed ``--seed`` (generate's noise, or with
``--rejection P`` the noise of the samples rejection sampling keeps, as
``evaluate --rejection P`` draws them), it moves each sample's noise down
the energy E(z) = |z|^2 / 2 - l(G(z)) of ``gan_mnist.sampling.refine``,
by its noise-free steps (what ``--refine N`` does) or, with
``--langevin``, by the paper's Langevin steps, which add sqrt(eps) N(0, 1)
each step. It prints the figures after each count of ``--steps`` (0: the
samples as drawn) for G's moving average, the seconds the steps took, the
mean |z| and the CPU.
"""

import argparse
import time

import numpy as np

from gan_mnist import streams
from gan_mnist.cpu import cpu_name
from gan_mnist.measure.figures import FIGURES, TERMS
from gan_mnist.sampling import refine, rejection, sources
from gan_mnist.sampling.generator import Generator


def main(argv=None):
    from gan_mnist.measure import scoring
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output", help="the run's folder (else --pretrained)")
    p.add_argument("--pretrained", action="store_true")
    p.add_argument("--num", type=int, default=10000)
    p.add_argument("--steps", type=int, nargs="+", default=[0, 10, 30, 100])
    p.add_argument("--step-size", type=float, default=refine.STEP, help="eps")
    p.add_argument("--langevin", action="store_true",
                   help="add the Langevin chain's noise each step")
    p.add_argument("--rejection", type=float, metavar="P",
                   help="start from the noise that rejection sampling keeps")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    src = sources.load(args.output, pretrained=args.pretrained)
    disc = sources.load_discriminator(src)
    how = "as generate draws it"
    if args.rejection is None:
        z = streams.noise(args.num, src.weights["g_w1"].shape[0], args.seed)
    else:
        gen = Generator(src.weights, src.averaged)
        z, kept = rejection.sample_noise(gen, disc, args.num, args.seed, args.rejection)
        gen.close()
        how = rejection.describe(args.rejection, kept)
    r = refine.Refiner(src.weights, disc)
    rng = np.random.default_rng([args.seed, 2])
    keys = FIGURES + TERMS
    print(f"{src.label} on {cpu_name()}: noise {how}; eps {args.step_size:g}, "
          f"{'Langevin' if args.langevin else 'no noise (--refine)'}")
    print("| steps | seconds | mean abs(z) | " + " | ".join(keys) + " |")
    print("|" + " --- |" * (3 + len(keys)))
    done, seconds = 0, 0.0
    for target in sorted(args.steps):
        start = time.perf_counter()
        if args.langevin:
            for _ in range(target - done):
                z = r.noise(z, 1, args.step_size)
                z += np.float32(np.sqrt(args.step_size)) * rng.standard_normal(z.shape,
                                                                               np.float32)
        else:
            z = r.noise(z, target - done, args.step_size)
        seconds += time.perf_counter() - start
        done = target
        figures = scoring.score_images(r(z, 0))
        norm = float(np.mean(np.linalg.norm(z, axis=1)))
        print(f"| {done} | {seconds:.1f} | {norm:.2f} | "
              + " | ".join(f"{figures[k]:.4g}" for k in keys) + " |", flush=True)
    r.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

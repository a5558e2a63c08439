"""Minutes of training to the tutorial's 500-epoch quality and to near-real
digits, for the defaults and the recipes.

    python scripts/experiments/time_to_quality.py --out runs/ttq
    python scripts/experiments/time_to_quality.py --out runs/ttq --only fast --seeds 1 2 3

Each configuration trains with ``python -m gan_mnist.train`` in
``OUT/<name>-s<seed>`` (an interrupted script resumes where it stopped),
evaluating on 10000 samples every 2 epochs up to epoch 30 (10 for --recipe
quality) and every 10 epochs after that (every 10 throughout for the
defaults). The minutes are
the wall-clock time of the training steps up to that evaluation, as
metrics.csv records it; evaluations are not counted. Targets:

- the tutorial's quality: FID <= 25.1 (its defaults after 500 epochs,
  evaluated the same way);
- near real: MNIST score >= 9 and FID <= 5.

It writes ``OUT/time_to_quality.md`` (one row per configuration: minutes
and epochs to each target, mean and range over the seeds, and the figures
of the last evaluation) and ``OUT/time_to_quality.png`` (FID against minutes).
Run it alone on the machine: the minutes are what it measures.
"""

import argparse
import os
import re
import statistics

import runlib

from gan_mnist.cpu import cpu_name
from gan_mnist.fileio import atomic_path, write_text
from gan_mnist.measure.figures import FIGURES, TERMS
from gan_mnist.rundir.metrics_csv import read_rows

TARGETS = {
    "FID <= 25.1 (the tutorial after 500 epochs)": {"fid": ("<=", 25.1)},
    "MNIST score >= 9 and FID <= 5 (near real)": {"mnist_score": (">=", 9.0),
                                                   "fid": ("<=", 5.0)},
}
# name -> (flags, epochs, epochs evaluated every 2 before 10)
CONFIGS = {
    "defaults": ([], 500, 0),
    "improved": (["--recipe", "improved"], 100, 30),
    "fast": (["--recipe", "fast"], 100, 30),
    "fast-bfloat16": (["--recipe", "fast", "--precision", "bfloat16"], 100, 30),
    "fast-xla": (["--recipe", "fast", "--xla"], 100, 30),
    # Evaluated every 2 epochs only up to 10: it passes FID 25.1 sooner.
    "quality": (["--recipe", "quality"], 100, 10),
    # Single options on top of --recipe improved (the probes of docs/results.md), and
    # the best of them on top of --recipe fast.
    "improved-lr4e-4": (["--recipe", "improved", "--learning-rate", "4e-4"], 100, 30),
    "improved-ttur": (["--recipe", "improved", "--d-learning-rate", "4e-4"], 100, 30),
    "improved-r1": (["--recipe", "improved", "--r1", "1"], 100, 30),
    "fast-r1": (["--recipe", "fast", "--r1", "1"], 100, 30),
    # D's dropout (the tutorial keeps 70% of units) and a slower average.
    "fast-keep0.5": (["--recipe", "fast", "--keep-prob", "0.5"], 100, 30),
    "fast-keep1": (["--recipe", "fast", "--keep-prob", "1"], 100, 30),
    "fast-average0.9999": (["--recipe", "fast", "--g-average", "0.9999"], 100, 30),
}
# What runs without --only: the defaults and the recipes.
MAIN = ["defaults", "improved", "fast", "quality", "fast-bfloat16", "fast-xla"]


def train(name, seed, args):
    """Train one configuration and seed in two phases (dense evaluation
    early, where the first target falls); returns its metrics rows."""
    flags, epochs, dense = CONFIGS[name]
    # --max-epoch only stops early: the run's schedule (a learning-rate
    # decay) still spans the configuration's epochs.
    stop = min(epochs, args.max_epoch or epochs)
    folder = os.path.join(args.out, f"{name}-s{seed}")
    if dense:
        runlib.train_run(folder, flags, seed, epochs, 2, args.eval_num,
                         stop_after=min(dense, stop))
    return runlib.train_run(folder, flags, seed, epochs, 10, args.eval_num,
                            stop_after=stop)


def collect(out):
    """{configuration: {seed: metrics rows}} of every run in ``out``."""
    results = {}
    for name in CONFIGS:
        for entry in sorted(os.listdir(out)):
            m = re.fullmatch(re.escape(name) + r"-s(\d+)", entry)
            rows = m and read_rows(os.path.join(out, entry, "metrics.csv"))
            if rows:
                results.setdefault(name, {})[int(m.group(1))] = rows
    return results


def describe(values, fmt):
    """'mean (min-max)' of a list of numbers, or the value when they are
    all one."""
    if min(values) == max(values):
        return fmt.format(values[0])
    return (fmt.format(statistics.mean(values)) + " (" + fmt.format(min(values))
            + "-" + fmt.format(max(values)) + ")")


# the evaluation's figures (metrics.FIGURES), as the table heads them
LABELS = {"fid": "FID", "mnist_score": "MNIST score", "class_kl": "class KL",
          "precision": "precision", "recall": "recall"}
assert tuple(LABELS) == FIGURES
# the MNIST score's two terms (measure.figures.TERMS), from runs that record them
TERM_LABELS = {"class_entropy": "class balance", "sample_entropy": "ambiguity"}
assert tuple(TERM_LABELS) == TERMS


def table(results):
    """Markdown: per configuration, minutes and epochs to each target, then
    the figures of the last evaluation (mean and range over the seeds)."""
    head = ["configuration", "seeds"]
    for t in TARGETS:
        head += [f"minutes to {t}", "epochs"]
    head += ["epochs trained"] + [f"{label} at the end" for label in
                                  [*LABELS.values(), *TERM_LABELS.values()]]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for name, runs in results.items():
        cells = [name, " ".join(str(s) for s in runs)]
        for target in TARGETS.values():
            hits = [runlib.first_reached(rows, target) for rows in runs.values()]
            done = [h for h in hits if h]
            if not done:
                last = max(r["epoch"] + 1 for rows in runs.values() for r in rows)
                cells += [f"not within {last} epochs", ""]
                continue
            miss = f"; {len(hits) - len(done)} seed(s) not" if len(done) < len(hits) else ""
            cells += [describe([s / 60 for _, s in done], "{:.1f}") + miss,
                      describe([e for e, _ in done], "{:.0f}")]
        lasts = [[r for r in rows if "fid" in r][-1] for rows in runs.values()]
        cells.append(describe([r["epoch"] + 1 for r in lasts], "{:.0f}"))
        for key in LABELS:
            fmt = "{:.3f}" if key in ("class_kl", "precision", "recall") else "{:.2f}"
            cells.append(describe([r[key] for r in lasts], fmt))
        for key in TERM_LABELS:  # "-" where a run did not record them
            values = [r[key] for r in lasts if key in r]
            cells.append(describe(values, "{:.4f}") if len(values) == len(lasts) else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(results, path):
    """FID against training minutes, one line per run."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=100)
    colours = dict(zip(results, plt.get_cmap("tab10").colors))
    for name, runs in results.items():
        for i, rows in enumerate(runs.values()):
            minutes, pts = 0.0, []
            for r in rows:
                minutes += r["seconds"] / 60
                if "fid" in r:
                    pts.append((minutes, r["fid"]))
            if pts:
                ax.plot(*zip(*pts), color=colours[name], lw=1.5, marker="o", ms=2,
                        label=name if i == 0 else None)
    for label, target in TARGETS.items():
        ax.axhline(target["fid"][1], color="gray", lw=0.8, ls="--")
        # x in axes fraction: a log axis has no 0
        ax.annotate(label.split(" (")[1].rstrip(")"), (0.01, target["fid"][1]),
                    xycoords=("axes fraction", "data"), fontsize=7, color="gray",
                    va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training minutes (evaluations excluded)")
    ax.set_ylabel("FID, 10000 samples (lower is better)")
    ax.set_title(f"time to quality, {cpu_name()}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/ttq")
    p.add_argument("--only", nargs="*", choices=list(CONFIGS),
                   help=f"configurations to run (default: {' '.join(MAIN)})")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--max-epoch", type=int, help="stop every configuration after "
                   "this many epochs (its schedule still spans its full length)")
    p.add_argument("--eval-num", type=int, default=10000)
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.only or MAIN:
        for seed in args.seeds:
            train(name, seed, args)
    results = collect(args.out)
    report = (f"Measured on {cpu_name()}, {os.cpu_count()} cores.\n\n"
              + table(results))
    write_text(os.path.join(args.out, "time_to_quality.md"), report)
    plot(results, os.path.join(args.out, "time_to_quality.png"))
    print(report)


if __name__ == "__main__":
    main()

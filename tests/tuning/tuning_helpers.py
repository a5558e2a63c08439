"""Helpers of the tuner's tests: tiny spaces, the command, the study."""

import csv
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "MNIST_data")

# Trials of a few seconds: 2000 images at batch 16 (125 steps an epoch),
# small layers, evaluated on 100 samples. The learning rate is constant and
# G's weights are not averaged, so that a few epochs move the FID.
TINY_FIXED = f"""
[fixed]
recipe = "fast"
data_dir = "{DATA}"
limit = 2000
batch-size = 16
h1-size = 64
h2-size = 128
z-size = 16
g-average = 0.0
lr-decay = 0.0
"""


def write_space(folder, text, name="space.toml"):
    path = os.path.join(str(folder), name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def tiny_space(folder, epochs=2, eval_every=1, extra=""):
    """A space file of tiny trials searching the learning rate."""
    return write_space(folder, f"epochs = {epochs}\neval_every = {eval_every}\n"
                       f"eval_num = 100\n{extra}\n{TINY_FIXED}\n[search]\n"
                       "learning-rate = { low = 5e-4, high = 3e-3, log = true }\n"
                       "\n[pruner]\nkind = \"none\"\n")


def tune_argv(*args):
    return [sys.executable, "-m", "gan_mnist.tune", *map(str, args)]


def tune(*args, timeout=240):
    """Run the tune command to its end; the CompletedProcess."""
    return subprocess.run(tune_argv(*args), cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def load(storage, name="gan_mnist"):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=name, storage=storage)


def sqlite(study_dir):
    return "sqlite:///" + os.path.join(str(study_dir), "study.db")


def metrics(output):
    """metrics.csv's rows as dicts of strings."""
    with open(os.path.join(output, "metrics.csv"), newline="") as f:
        return list(csv.DictReader(f))


def claims_log(home):
    with open(os.path.join(home, "claims.log")) as f:
        return [line.split() for line in f if line.strip()]


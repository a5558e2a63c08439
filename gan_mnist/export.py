"""``python -m gan_mnist.export``: the generator as a SavedModel (and TFLite).

    python -m gan_mnist.export --output RUN --to DIR [--tflite]
    python -m gan_mnist.export --checkpoint RUN/model-50 --to DIR
    python -m gan_mnist.export --pretrained --to DIR

writes into DIR (new, or an empty folder) a TensorFlow SavedModel of G alone
(see ``serving``): the moving average of G's weights when the run has one,
else G's weights; with ``--tflite`` also ``generator.tflite``; and
``export.json``, which records where the weights came from (the run, its
epochs and settings, and its evaluation figures when ``evaluate`` has
written them). Everything is written in a temporary folder beside DIR and
renamed to DIR at the end, so DIR is whole or absent.
"""

import json
import os
import shutil
import sys
import tempfile

from . import checkpoints, config, pretrained
from .errors import ArgumentParser, UsageError, run_command
from .fileio import write_json

PROG = "python -m gan_mnist.export"
TFLITE_FILE = "generator.tflite"
INFO_FILE = "export.json"


def parse_args(argv):
    p = ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    checkpoints.add_source_flags(p, "export")
    p.add_argument("--to", required=True,
                   help="folder to write (must not exist, or be empty)")
    p.add_argument("--tflite", action="store_true",
                   help=f"also write {TFLITE_FILE} with TensorFlow's converter")
    args = p.parse_args(argv)
    check_target(args.to)
    return args


def check_target(path):
    """Raise UsageError unless ``path`` can become the export folder."""
    if os.path.lexists(path):
        if not os.path.isdir(path) or os.path.islink(path):
            raise UsageError(f"--to {path}: exists and is not a folder; name a "
                             "new folder")
        if os.listdir(path):
            raise UsageError(f"--to {path}: exists and is not empty; name a new "
                             "or empty folder (nothing was changed)")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"--to {path}: its folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--to {path}: {parent} is not writable")


def source(args):
    """(G's weights, what export.json says of them)."""
    if args.pretrained:
        weights, info = pretrained.load()
        return weights, {"source": "pretrained", "file": pretrained.PATH, **info}
    prefix = checkpoints.find(args.output, args.checkpoint)
    weights, averaged = checkpoints.read_generator(prefix)
    folder = os.path.dirname(prefix)
    info = {"source": "checkpoint", "checkpoint": os.path.abspath(prefix),
            "epochs": checkpoints.epochs_of(prefix),
            "weights": "moving average of G's weights" if averaged else "G's weights"}
    try:
        stored = config.load(folder)
    except UsageError:
        stored = None
    if stored is not None:
        info["settings"] = config.to_dict(stored)
    for name in (prefix + ".eval.json",):
        if os.path.isfile(name):
            with open(name) as f:
                figures = json.load(f)
            info["evaluation"] = {k: figures[k] for k in
                                  ("fid", "mnist_score", "class_kl", "precision",
                                   "recall", "num_images") if k in figures}
    return weights, info


def export(weights, info, target, tflite=False):
    """Write the SavedModel (and TFLite file) and export.json into
    ``target``, whole or not at all."""
    from . import serving
    parent = os.path.dirname(os.path.abspath(target))
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(target) + ".", dir=parent)
    try:
        model_dir = os.path.join(tmp, "model")
        serving.save_generator(weights, model_dir)
        if tflite:
            serving.to_tflite(model_dir, os.path.join(model_dir, TFLITE_FILE))
        info = dict(info, z_size=int(weights["g_w1"].shape[0]),
                    signature={"name": serving.SIGNATURE, "inputs": {"z": "float32 (N, z_size)"},
                               "outputs": {"images": "float32 (N, 28, 28, 1) in [-1, 1]",
                                           "digits": "uint8 (N, 28, 28, 1)"}},
                    tflite=TFLITE_FILE if tflite else None)
        write_json(os.path.join(model_dir, INFO_FILE), info)
        if os.path.isdir(target):
            os.rmdir(target)  # empty, as checked
        os.replace(model_dir, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    def body():
        args = parse_args(argv)
        weights, info = source(args)
        export(weights, info, args.to, args.tflite)
        print(f"wrote {args.to} (SavedModel{', ' + TFLITE_FILE if args.tflite else ''}, "
              f"{INFO_FILE}) from {info.get('checkpoint') or 'the pretrained generator'}")

    run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())

"""Where a command's generator comes from: the generator that ships with
the package (``--pretrained``), a checkpoint (``--checkpoint``), or the
newest checkpoint of a run folder (``--output``)."""

import collections
import json
import os

from ..errors import UsageError
from ..rundir import checkpoints, config_json, names
from . import pretrained as shipped

READ_ATTEMPTS = 5  # newest checkpoints tried in turn while a run rotates them

Source = collections.namedtuple("Source", [
    "weights",   # {name: float32 array} for checkpoints.G_NAMES
    "averaged",  # bool: the weights are the moving average of G's
    "prefix",    # the checkpoint's prefix; None for the pretrained generator
    "label",     # what to call it in messages
])


def load(output=None, checkpoint=None, pretrained=False, average=True):
    """A Source for the flags. ``average=False`` takes G's own weights even
    when the checkpoint holds their average."""
    if pretrained:
        weights, _ = shipped.load()
        return Source(weights, True, None, "the pretrained generator")
    # A training in ``output`` may rotate its oldest checkpoint away, or
    # write a newer one, while it is read: then read the newest again.
    for attempt in range(READ_ATTEMPTS):
        prefix = checkpoints.find(output, checkpoint)
        try:
            weights, averaged = checkpoints.read_generator(prefix, average)
        except checkpoints.Vanished:
            if checkpoint or attempt + 1 == READ_ATTEMPTS:
                raise
            continue
        return Source(weights, averaged, prefix, prefix)


def open_generator(output=None, checkpoint=None, pretrained=False, average=True):
    """(Generator, what to call it) for the flags."""
    from .generator import Generator
    src = load(output, checkpoint, pretrained, average)
    return Generator(src.weights, src.averaged), src.label


def load_discriminator(src):
    """The rejection.Discriminator beside Source ``src``'s weights: its
    checkpoint's D, or the pretrained file's (UsageError if it keeps none)."""
    from . import rejection as drs
    return shipped.load_discriminator() if src.prefix is None else drs.from_checkpoint(src.prefix)


def check_sampling(rejection=None, refine=None):
    """Check the values of --rejection and --refine (None: not given), before
    anything loads; a UsageError names the flag."""
    from . import refine as latent, rejection as drs
    if rejection is not None:
        drs.check_percentile(rejection)
    if refine is not None:
        latent.check_steps(refine)


def draw(src, num, seed, rejection=None, refine=None, meter=None, **walk):
    """(num images (num, 784) in (-1, 1) of Source ``src`` from noise seed
    ``seed``, how they were drawn: None for G's plain samples, else the line
    that says so). ``rejection``: a percentile for discriminator rejection
    sampling with the D beside the weights (``sampling.rejection``);
    ``refine``: gradient steps of each sample's noise on that D's energy
    (``sampling.refine``), after the rejection when both are given;
    ``walk``: generator.generate's ``interpolate`` and ``steps``."""
    from ..meter import SILENT
    from .. import streams
    from . import refine as latent, rejection as drs
    from .generator import Generator, generate
    meter = meter or SILENT
    disc = None
    if rejection is not None or refine:  # read before any work: it may be missing
        disc = load_discriminator(src)
    hows = []
    if rejection is None and refine:  # generate's noise; G runs in the Refiner
        z = streams.noise(num, src.weights["g_w1"].shape[0], seed)
    else:
        gen = Generator(src.weights, src.averaged)
        try:
            if disc is None:
                return generate(gen, num, seed, meter=meter, **walk), None
            if not refine:
                images, kept = drs.sample(gen, disc, num, seed, rejection, meter)
                return images, drs.describe(rejection, kept)
            z, kept = drs.sample_noise(gen, disc, num, seed, rejection, meter)
            hows.append(drs.describe(rejection, kept))
        finally:
            gen.close()
    refiner = latent.Refiner(src.weights, disc)
    try:
        images = refiner(z, refine, meter=meter)
    finally:
        refiner.close()
    return images, ", then ".join(hows + [latent.describe(refine)])


def describe(src):
    """What a Source's weights are, as a JSON-able dict for the files an
    export writes: the checkpoint, its epochs, the run's settings and its
    evaluation figures when ``evaluate`` has written them."""
    if src.prefix is None:
        _, info = shipped.load()
        return {"source": "pretrained", "file": shipped.PATH, **info}
    info = {"source": "checkpoint", "checkpoint": os.path.abspath(src.prefix),
            "epochs": checkpoints.epochs_of(src.prefix),
            "weights": ("moving average of G's weights" if src.averaged
                        else "G's weights")}
    try:
        stored = config_json.load(os.path.dirname(src.prefix))
    except UsageError:
        stored = None
    if stored is not None:
        info["settings"] = config_json.to_dict(stored)
    path = names.evaluation(src.prefix)
    if os.path.isfile(path):
        with open(path) as f:
            figures = json.load(f)
        info["evaluation"] = {k: figures[k] for k in
                              ("fid", "mnist_score", "class_kl", "precision",
                               "recall", "num_images") if k in figures}
    return info

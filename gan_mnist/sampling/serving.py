"""The generator outside this package: a TensorFlow SavedModel, and TFLite.

``save_generator`` builds G alone in a fresh ``tf.compat.v1`` graph from six
weights and writes a SavedModel whose ``serving_default`` signature maps

    z       float32 (N, Z), standard normal noise
 -> images  float32 (N, 28, 28, 1) in [-1, 1]
    digits  uint8   (N, 28, 28, 1), the grids' conversion: clip to [-1, 1],
            then (0.5 x + 0.5) * 255 truncated

With a ``Rejection`` (``export --rejection P``) the SavedModel also has a
``rejection`` signature, D and the constants of discriminator rejection
sampling (``sampling.rejection``), fixed at export from a burn-in:

    images           float32 (N, 28, 28, 1) in [-1, 1], G's images
 -> logits          float32 (N,), D's logit (no dropout)
    keep_probability float32 (N,), sigmoid(F(x) - gamma) with l* fixed

Keep each image when a uniform draw falls below its keep probability. With
``--mbstd`` D's logit depends on the batch: feed the ``group`` images that
export.json names at a time, as D saw them in training.

Any TensorFlow 2 program loads it with ``tf.saved_model.load``; it needs
nothing of this package. ``to_tflite`` converts G's signature with
TensorFlow's own converter.
"""

import collections

import os

from .._tf import session, tf, v1
from ..fileio import atomic_folder, write_json
from ..graph import model
from ..rundir import checkpoints

SIGNATURE = "serving_default"
REJECTION = "rejection"
TFLITE_FILE = "generator.tflite"
INFO_FILE = "export.json"


def generator_graph(weights):
    """(graph, z placeholder, {"images", "digits"} tensors, params) of G with
    ``weights`` as variables (not yet loaded)."""
    graph = tf.Graph()
    with graph.as_default():
        # G's variables alone, under the tutorial's names; loaded after.
        params = [v1.Variable(tf.zeros(weights[n].shape), name=n)
                  for n in checkpoints.G_NAMES]
        z = v1.placeholder(tf.float32, [None, weights["g_w1"].shape[0]], name="z")
        images = tf.reshape(model.generator(z, params), [-1, 28, 28, 1],
                            name="images")
        pixels = (0.5 * tf.clip_by_value(images, -1.0, 1.0) + 0.5) * 255.0
        digits = tf.cast(pixels, tf.uint8, name="digits")
    return graph, z, {"images": images, "digits": digits}, params


# What export --rejection adds: D (a sampling.rejection.Discriminator), the
# constants l* and gamma, and how they were found (percentile, burn-in seed).
Rejection = collections.namedtuple("Rejection", "disc l_max gamma percentile seed")


def rejection_graph(rejection):
    """(images placeholder, {"logits", "keep_probability"}, [(variable,
    array)]) of D in the default graph, F and gamma as sampling.rejection
    computes them with l* fixed."""
    from .rejection import EPS
    arrays, settings = rejection.disc.as_arrays()
    loads = [(v1.Variable(tf.zeros(a.shape), name=n), a) for n, a in arrays.items()]
    params = [v for v, _ in loads]  # D_NAMES' six, then MBSTD's with --mbstd
    images = v1.placeholder(tf.float32, [None, 28, 28, 1], name="d_images")
    logits = model.discriminator(tf.reshape(images, [-1, 784]), params,
                                 leak=settings["leaky_relu"], groups=1)[:, 0]
    d = logits - rejection.l_max
    f = d - tf.math.log1p(-tf.exp(tf.minimum(d - EPS, -EPS)))
    keep = tf.sigmoid(f - rejection.gamma)
    return images, {"logits": tf.identity(logits, name="logits"),
                    "keep_probability": tf.identity(keep, name="keep_probability")}, loads


def save_generator(weights, export_dir, rejection=None):
    """Write G with ``weights`` as a SavedModel into ``export_dir`` (which
    must not exist yet); with a ``Rejection``, D's signature beside it."""
    graph, z, outputs, params = generator_graph(weights)
    loads = [(p, weights[name]) for p, name in zip(params, checkpoints.G_NAMES)]
    with graph.as_default():
        signatures = {SIGNATURE: v1.saved_model.predict_signature_def(
            inputs={"z": z}, outputs=outputs)}
        if rejection is not None:
            images, d_outputs, d_loads = rejection_graph(rejection)
            signatures[REJECTION] = v1.saved_model.predict_signature_def(
                inputs={"images": images}, outputs=d_outputs)
            loads += d_loads
    with graph.as_default(), session(graph) as sess:
        for p, value in loads:
            p.load(value, sess)
        builder = v1.saved_model.Builder(export_dir)
        builder.add_meta_graph_and_variables(
            sess, [v1.saved_model.tag_constants.SERVING],
            signature_def_map=signatures)
        builder.save()


def export(weights, info, target, tflite=False, rejection=None):
    """Write the SavedModel (and with ``tflite`` a TFLite file) and
    export.json, which records ``info`` and the signatures, into the new
    folder ``target``, whole or not at all. ``rejection``: a Rejection."""
    with atomic_folder(target, "--to") as work:
        save_generator(weights, work, rejection)
        if tflite:
            to_tflite(work, os.path.join(work, TFLITE_FILE))
        info = dict(info, z_size=int(weights["g_w1"].shape[0]),
                    signature={"name": SIGNATURE, "inputs": {"z": "float32 (N, z_size)"},
                               "outputs": {"images": "float32 (N, 28, 28, 1) in [-1, 1]",
                                           "digits": "uint8 (N, 28, 28, 1)"}},
                    tflite=TFLITE_FILE if tflite else None)
        if rejection is not None:
            info["rejection"] = {
                "signature": REJECTION,
                "inputs": {"images": "float32 (N, 28, 28, 1) in [-1, 1]"},
                "outputs": {"logits": "float32 (N,)",
                            "keep_probability": "float32 (N,) in [0, 1]"},
                "l_max": rejection.l_max, "gamma": rejection.gamma,
                "percentile": rejection.percentile, "burn_in_seed": rejection.seed,
                "group": rejection.disc.group if rejection.disc.mbstd is not None else None}
        write_json(os.path.join(work, INFO_FILE), info)


def to_tflite(saved_dir, path):
    """Convert the SavedModel in ``saved_dir`` to a TFLite file ``path``."""
    converter = tf.lite.TFLiteConverter.from_saved_model(
        saved_dir, signature_keys=[SIGNATURE])
    with open(path, "wb") as f:
        f.write(converter.convert())

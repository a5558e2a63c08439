"""The generator outside this package: a TensorFlow SavedModel, and TFLite.

``save_generator`` builds G alone in a fresh ``tf.compat.v1`` graph from six
weights and writes a SavedModel whose ``serving_default`` signature maps

    z       float32 (N, Z), standard normal noise
 -> images  float32 (N, 28, 28, 1) in [-1, 1]
    digits  uint8   (N, 28, 28, 1), the grids' conversion: clip to [-1, 1],
            then (0.5 x + 0.5) * 255 truncated

Any TensorFlow 2 program loads it with ``tf.saved_model.load``; it needs
nothing of this package. ``to_tflite`` converts it with TensorFlow's own
converter.
"""

import os

from .._tf import session, tf, v1
from ..fileio import atomic_folder, write_json
from ..graph import model
from ..rundir import checkpoints

SIGNATURE = "serving_default"
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


def save_generator(weights, export_dir):
    """Write G with ``weights`` as a SavedModel into ``export_dir`` (which
    must not exist yet)."""
    graph, z, outputs, params = generator_graph(weights)
    with graph.as_default(), session(graph) as sess:
        for p, name in zip(params, checkpoints.G_NAMES):
            p.load(weights[name], sess)
        builder = v1.saved_model.Builder(export_dir)
        signature = v1.saved_model.predict_signature_def(
            inputs={"z": z}, outputs=outputs)
        builder.add_meta_graph_and_variables(
            sess, [v1.saved_model.tag_constants.SERVING],
            signature_def_map={SIGNATURE: signature})
        builder.save()


def export(weights, info, target, tflite=False):
    """Write the SavedModel (and with ``tflite`` a TFLite file) and
    export.json, which records ``info`` and the signature, into the new
    folder ``target``, whole or not at all."""
    with atomic_folder(target, "--to") as work:
        save_generator(weights, work)
        if tflite:
            to_tflite(work, os.path.join(work, TFLITE_FILE))
        info = dict(info, z_size=int(weights["g_w1"].shape[0]),
                    signature={"name": SIGNATURE, "inputs": {"z": "float32 (N, z_size)"},
                               "outputs": {"images": "float32 (N, 28, 28, 1) in [-1, 1]",
                                           "digits": "uint8 (N, 28, 28, 1)"}},
                    tflite=TFLITE_FILE if tflite else None)
        write_json(os.path.join(work, INFO_FILE), info)


def to_tflite(saved_dir, path):
    """Convert the SavedModel in ``saved_dir`` to a TFLite file ``path``."""
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_dir)
    with open(path, "wb") as f:
        f.write(converter.convert())

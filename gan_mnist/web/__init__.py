"""A static web page that runs the generator in the browser.

``write_page(weights, target, info)`` writes a folder that needs nothing
but a browser: open ``target/index.html`` as a file, or serve the folder
(``python -m http.server``). It holds

  index.html, page.css, page.js   copied from ``gan_mnist/web/page/``
  generator.js                    G's six weights and ``info``, as one
                                  global, ``window.GAN_MNIST_GENERATOR``

The page computes G itself (Float32Array weights, float64 sums, Math.tanh)
and shows 64 samples from a seed typed in, the straight walk between two
picked samples, four sliders that move a sample along random directions of
the noise, and a button that saves the grid as a PNG. Browsers refuse
``fetch`` of local files under ``file://``, so the weights come in through a
``<script src>`` tag, as a JavaScript file.

Weights precision, measured with the shipped generator: rounding the three
weight matrices to float16 moves G's output (after tanh, in (-1, 1)) by up
to 6.6e-3 over 4096 noise vectors (for the median vector, 1.8e-3 at its
worst pixel); rounding a single matrix moves it by 3.4e-3 (g_w2) to 5.7e-3
(g_w3). No layer holds within 1e-3, so every array is stored as float32:
generator.js is 3,023,826 bytes for the shipped generator without ``info``
(float16 would make it 1,512,362). With float32 the page's output matches
the package's TensorFlow generator within 3.1e-6 per pixel (16 noise
vectors; tests/web/test_page.py prints it).

``check_target(target)`` makes the checks on ``target`` alone, so a command
can refuse a bad ``--web`` before TensorFlow loads.
"""

import base64
import importlib.resources
import json
import os

from ..config import IMAGE_SIZE
from ..fileio import atomic_folder, check_new_folder
from ..rundir.checkpoints import G_NAMES
from ..sampling.generator import check_weights

# The templates copied into every page folder, from gan_mnist/web/page/.
PAGE_FILES = ("index.html", "page.css", "page.js")
WEIGHTS_FILE = "generator.js"
WEIGHTS_GLOBAL = "GAN_MNIST_GENERATOR"
FORMAT = 1


def check_target(target):
    """Raise UsageError (one line naming ``--web <target>``) unless a page
    folder can be written at ``target`` (see ``fileio.check_new_folder``).
    Nothing is written."""
    check_new_folder(target, "--web")


def weights_script(weights, info=None):
    """The text of generator.js: one statement assigning
    ``window.GAN_MNIST_GENERATOR = {format, info, sizes, layers}``, where
    each of the six layers is {name, shape, dtype: "float32", data: base64
    of the little-endian array}. ``weights`` is {name: array} with shapes
    g_w1 (Z, H1), g_b1 (H1,), g_w2 (H1, H2), g_b2 (H2,), g_w3 (H2, 784),
    g_b3 (784,); ``info`` a JSON-able dict (None: {}).

    Raises ValueError for missing, misshapen or non-finite weights and
    TypeError for an ``info`` that JSON cannot hold."""
    arrays = check_weights(weights)
    z, h1 = arrays["g_w1"].shape
    h2 = arrays["g_w2"].shape[1]
    doc = {
        "format": FORMAT,
        "info": {} if info is None else info,
        "sizes": {"z": int(z), "h1": int(h1), "h2": int(h2), "image": IMAGE_SIZE},
        "layers": [{"name": name, "shape": list(arrays[name].shape),
                    "dtype": "float32",
                    "data": base64.b64encode(arrays[name].astype("<f4").tobytes())
                    .decode("ascii")}
                   for name in G_NAMES],
    }
    # allow_nan=False: NaN is not JSON, and the page parses nothing else.
    body = json.dumps(doc, indent=1, allow_nan=False, ensure_ascii=True)
    return ("// gan_mnist: the generator's weights and where they came from,\n"
            "// for index.html beside this file. G(z) = tanh(relu(relu(z W1 + b1)"
            " W2 + b2) W3 + b3).\n"
            f"window.{WEIGHTS_GLOBAL} = {body};\n")


def write_page(weights, target, info=None):
    """Write the page folder ``target`` whole or not at all; returns the
    absolute path of its index.html.

    ``weights``: {name: array} for G's six weights (shapes in
    ``weights_script``); ``info``: a JSON-able dict saying where they came
    from (a checkpoint and its epoch, or the pretrained generator), shown on
    the page in one line and stored in generator.js.

    The files go into a temporary folder beside ``target`` that is renamed
    to ``target`` at the end and removed on any error (also Ctrl-C), so
    ``target`` is never half written. Raises UsageError as
    ``check_target`` does, with nothing written."""
    check_target(target)
    path = os.path.abspath(os.fspath(target))
    # Everything that can fail on bad input fails here, before any write.
    files = {WEIGHTS_FILE: weights_script(weights, info).encode("ascii")}
    page = importlib.resources.files(__name__).joinpath("page")
    for fname in PAGE_FILES:
        files[fname] = page.joinpath(fname).read_bytes()

    with atomic_folder(target, "--web") as tmp:
        for fname, data in files.items():
            with open(os.path.join(tmp, fname), "wb") as f:
                f.write(data)
    return os.path.join(path, "index.html")

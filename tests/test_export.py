"""The export command: the generator as a SavedModel and TFLite."""

import json
import os
import warnings

import numpy as np
import pytest
from conftest import run, small_hp

from gan_mnist import export, generate
from gan_mnist._tf import tf, v1
from gan_mnist.graph import tutorial
from gan_mnist.rundir import checkpoints, grid
from gan_mnist.sampling import pretrained, serving


def _tutorial_script_checkpoint(folder):
    """model-1 as the tutorial's own script writes it."""
    hp = small_hp(folder)
    sg = tutorial.build_tutorial_graph(hp, seed=1)
    with sg.graph.as_default(), v1.Session() as s:
        s.run(sg.init)
        sg.saver.save(s, os.path.join(folder, "model"), global_step=1)
    return os.path.join(folder, "model-1")


@pytest.fixture(scope="module", params=["defaults", "recipe", "tutorial_script"])
def checkpoint(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "tutorial_script":
        return _tutorial_script_checkpoint(str(folder))
    options = {"recipe": dict(g_average=0.9, leaky_relu=0.2, init="glorot")}.get(
        request.param, {})
    run(small_hp(folder, max_epoch=1, **options))
    return str(folder / "model-1")


def _load(path):
    """The SavedModel's signature, by TensorFlow's TF2 API alone."""
    return tf.saved_model.load(path).signatures["serving_default"]


@pytest.mark.slow
def test_the_savedmodel_gives_exactly_what_generate_gives(checkpoint, tmp_path):
    export.main(["--checkpoint", checkpoint, "--to", str(tmp_path / "g"), "--tflite"])
    generate.main(["--checkpoint", checkpoint, "--num", "50", "--seed", "4",
                   "--out", str(tmp_path / "s.npz")])
    want = np.load(tmp_path / "s.npz")["images"]
    z = np.random.default_rng(4).standard_normal((50, 16)).astype(np.float32)
    out = _load(str(tmp_path / "g"))(z=tf.constant(z))
    assert out["digits"].dtype == tf.uint8 and out["digits"].shape == (50, 28, 28, 1)
    np.testing.assert_array_equal(out["digits"].numpy()[..., 0], want)
    images = out["images"].numpy()
    assert images.shape == (50, 28, 28, 1) and np.abs(images).max() <= 1
    np.testing.assert_array_equal(grid.to_uint8(images)[..., 0], want)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the interpreter's move to LiteRT
        lite = tf.lite.Interpreter(model_path=str(tmp_path / "g" / serving.TFLITE_FILE))
    (inp,) = lite.get_input_details()
    lite.resize_tensor_input(inp["index"], [50, 16])
    lite.allocate_tensors()
    lite.set_tensor(inp["index"], z)
    lite.invoke()
    outs = {o["name"].split(":")[0]: lite.get_tensor(o["index"])
            for o in lite.get_output_details()}
    np.testing.assert_allclose(outs["images"], images, atol=1e-5)
    assert np.abs(outs["digits"].astype(int) - want[..., None]).max() <= 1

    info = json.loads((tmp_path / "g" / serving.INFO_FILE).read_text())
    assert info["source"] == "checkpoint" and info["epochs"] == 1
    assert info["z_size"] == 16 and info["tflite"] == serving.TFLITE_FILE
    averaged = "recipe" in checkpoint
    assert info["weights"] == ("moving average of G's weights" if averaged
                               else "G's weights")
    assert ("settings" in info) == ("tutorial_script" not in checkpoint)


@pytest.mark.slow
def test_export_json_carries_the_evaluation(tmp_path):
    run(small_hp(tmp_path / "run", max_epoch=1))
    figures = {"fid": 12.5, "mnist_score": 8.1, "class_kl": 0.02, "precision": 0.7,
               "recall": 0.6, "num_images": 10000, "class_histogram": [1000] * 10}
    (tmp_path / "run" / "model-1.eval.json").write_text(json.dumps(figures))
    export.main(["--output", str(tmp_path / "run"), "--to", str(tmp_path / "g")])
    info = json.loads((tmp_path / "g" / serving.INFO_FILE).read_text())
    assert info["evaluation"]["fid"] == 12.5 and info["evaluation"]["num_images"] == 10000
    assert info["settings"]["seed"] == 7 and not os.path.exists(tmp_path / "g" / "generator.tflite")


def _fails(capsys, argv, words):
    with pytest.raises(SystemExit) as e:
        export.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert words in err, err


def test_bad_input_is_one_line_and_nothing_is_half_written(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    _fails(capsys, ["--output", str(tmp_path / "empty"), "--to", str(tmp_path / "g")],
           "no checkpoint")
    run(small_hp(tmp_path / "run", max_epoch=1))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("keep")
    _fails(capsys, ["--output", str(tmp_path / "run"), "--to", str(tmp_path / "full")],
           "exists and is not empty")
    assert os.listdir(tmp_path / "full") == ["mine.txt"]
    (tmp_path / "file").write_text("keep")
    _fails(capsys, ["--output", str(tmp_path / "run"), "--to", str(tmp_path / "file" / "g")],
           "is not a folder")
    before = sorted(os.listdir(tmp_path))

    def disk_full(saved_dir, path):
        raise OSError(28, "No space left on device", path)

    monkeypatch.setattr(serving, "to_tflite", disk_full)
    _fails(capsys, ["--output", str(tmp_path / "run"), "--to", str(tmp_path / "g"),
                    "--tflite"], "generator.tflite: the disk is full")
    assert sorted(os.listdir(tmp_path)) == before  # no g, no temporary folder
    (tmp_path / "g").mkdir()  # an empty folder may be the target
    export.main(["--output", str(tmp_path / "run"), "--to", str(tmp_path / "g")])
    assert "saved_model.pb" in os.listdir(tmp_path / "g")


def _page_weights(folder):
    """{name: float32 array} from a page folder's generator.js, and its info."""
    import base64
    text = (folder / "generator.js").read_text()
    start = text.index("window.GAN_MNIST_GENERATOR = ") + len("window.GAN_MNIST_GENERATOR = ")
    doc = json.loads(text[start: text.rindex(";")])
    return ({layer["name"]: np.frombuffer(base64.b64decode(layer["data"]), "<f4")
             .reshape(layer["shape"]) for layer in doc["layers"]}, doc["info"])


def test_web_writes_the_page_of_the_runs_averaged_generator(tmp_path, capsys):
    run(small_hp(tmp_path / "run", max_epoch=1, g_average=0.9))
    export.main(["--output", str(tmp_path / "run"), "--web", str(tmp_path / "page")])
    assert "index.html" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / "page")) == [
        "generator.js", "index.html", "page.css", "page.js"]
    got, info = _page_weights(tmp_path / "page")
    want, averaged = checkpoints.read_generator(str(tmp_path / "run" / "model-1"))
    assert averaged and info["weights"] == "moving average of G's weights"
    for name in checkpoints.G_NAMES:
        assert np.array_equal(got[name], want[name]), name


def test_web_and_to_together_and_the_flags_they_need(tmp_path, capsys):
    export.main(["--pretrained", "--web", str(tmp_path / "page"),
                 "--to", str(tmp_path / "model")])
    got, info = _page_weights(tmp_path / "page")
    assert info["source"] == "pretrained"
    assert np.array_equal(got["g_w3"], pretrained.load()[0]["g_w3"])
    assert "saved_model.pb" in os.listdir(tmp_path / "model")
    capsys.readouterr()
    for argv, words in ((["--pretrained"], "give --to DIR"),
                        (["--pretrained", "--web", str(tmp_path / "p2"), "--tflite"],
                         "--tflite: only with --to"),
                        (["--pretrained", "--web", str(tmp_path / "same"),
                          "--to", str(tmp_path / "same")], "give two folders"),
                        (["--pretrained", "--web", str(tmp_path / "page")], "not empty")):
        _fails(capsys, argv, words)
    assert not os.path.exists(tmp_path / "p2") and not os.path.exists(tmp_path / "same")


@pytest.mark.parametrize("part", ["index", "data-00000-of-00001"])
def test_web_from_a_damaged_checkpoint_is_one_line_and_writes_nothing(tmp_path, capsys, part):
    run(small_hp(tmp_path / "run", max_epoch=1))
    path = tmp_path / "run" / f"model-1.{part}"
    raw = bytearray(path.read_bytes())
    if part == "index":
        raw[len(raw) // 2] ^= 0xFF  # a bit flipped: its checksum no longer holds
    else:
        raw = raw[:64]  # cut short: G's weights are gone
    path.write_bytes(bytes(raw))
    _fails(capsys, ["--output", str(tmp_path / "run"), "--web", str(tmp_path / "page")],
           "model-1")
    assert sorted(os.listdir(tmp_path)) == ["run"]


@pytest.mark.parametrize("options", [{}, dict(mbstd=True, leaky_relu=0.2,
                                              spectral_norm=True, g_average=0.9)])
def test_rejection_signature_gives_what_the_package_computes(tmp_path, capsys, options):
    from gan_mnist.sampling import rejection
    from gan_mnist.sampling.generator import Generator
    run(small_hp(tmp_path / "run", max_epoch=1, **options))
    prefix = str(tmp_path / "run" / "model-1")
    export.main(["--checkpoint", prefix, "--to", str(tmp_path / "g"), "--rejection", "50"])
    assert "rejection signature" in capsys.readouterr().out
    info = json.loads((tmp_path / "g" / serving.INFO_FILE).read_text())["rejection"]
    disc = rejection.from_checkpoint(prefix)
    weights, averaged = checkpoints.read_generator(prefix)
    gen = Generator(weights, averaged)
    l_max, gamma = rejection.calibrate_with_seed(gen, disc, 0, 50)
    assert (info["l_max"], info["gamma"], info["percentile"]) == (l_max, gamma, 50)
    assert info["group"] == (32 if options else None)

    # One group of fakes, as D saw them in training (and as the numpy D takes them).
    x = gen(np.random.default_rng(5).standard_normal((32, 16)).astype(np.float32))
    gen.close()
    loaded = tf.saved_model.load(str(tmp_path / "g"))
    out = loaded.signatures[serving.REJECTION](images=tf.constant(x.reshape(-1, 28, 28, 1)))
    want = disc.logits(x)
    np.testing.assert_allclose(out["logits"].numpy(), want, rtol=1e-4, atol=1e-4)
    p = out["keep_probability"].numpy()
    assert p.shape == (32,) and 0 <= p.min() and p.max() <= 1 and p.std() > 0
    np.testing.assert_allclose(p, rejection.keep_probability(want, l_max, gamma),
                               atol=1e-4)
    assert "serving_default" in loaded.signatures  # G's signature as before


def test_rejection_flag_errors(tmp_path, capsys):
    run(small_hp(tmp_path / "run", max_epoch=1))
    for argv, words in ((["--web", str(tmp_path / "p"), "--rejection", "50"],
                         "--rejection: only with --to"),
                        (["--to", str(tmp_path / "g"), "--rejection", "100"],
                         "--rejection 100: must be a percentile")):
        _fails(capsys, ["--output", str(tmp_path / "run")] + argv, words)
    assert sorted(os.listdir(tmp_path)) == ["run"]
